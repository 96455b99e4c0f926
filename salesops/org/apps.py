from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import visibility


class OrgConfig(AppConfig):
    name = "salesops.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self):
        # Imported here: org.selectors imports org.models, which cannot load before the
        # app registry is ready.
        from . import selectors

        visibility.set_subordinate_resolver(selectors.subordinate_ids)
