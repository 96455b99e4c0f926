from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import entities, events, visibility


class CustomersConfig(AppConfig):
    name = "salesops.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.
        from . import services
        from .models import Account, Contact

        # Customer success sees the accounts they are the assigned manager of.
        visibility.register_success_book(
            lambda user: Account.objects.filter(success_owner=user).values("pk")
        )

        # Rules' "set a field" writes through the services (validation, history, events).
        account_writer = entities.service_writer(services.account_update, "account")
        contact_writer = entities.service_writer(services.contact_update, "contact")
        entities.register("account", Account, label=_("Account"), writer=account_writer)
        entities.register(
            "contact",
            Contact,
            label=_("Contact"),
            owner_path="account__owner",
            writer=contact_writer,
        )

        for entity in ("account", "contact"):
            events.register(f"{entity}.created", fields=("id", "actor_id"))
            events.register(f"{entity}.updated", fields=("id", "changed", "actor_id"))
            events.register(f"{entity}.deleted", fields=("id", "actor_id"))
