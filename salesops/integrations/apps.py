from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "salesops.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from django.contrib.auth import get_user_model

        from salesops.customers.models import Account

        from . import feed

        feed.register_reference(
            "account_external_id",
            target="account",
            model=Account,
            field="external_id",
            select_related=("owner",),
        )
        feed.register_reference(
            "account_credit_code",
            target="account",
            model=Account,
            field="credit_code",
            select_related=("owner",),
        )
        feed.register_reference(
            "owner_username", target="owner", model=get_user_model(), field="username"
        )
