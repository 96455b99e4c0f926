from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import entities, events


class CustomersConfig(AppConfig):
    name = "salesops.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.
        from .models import Account, Contact

        entities.register("account", Account, label=_("Account"))
        entities.register("contact", Contact, label=_("Contact"), owner_path="account__owner")

        for entity in ("account", "contact"):
            events.register(f"{entity}.created", fields=("id", "actor_id"))
            events.register(f"{entity}.updated", fields=("id", "changed", "actor_id"))
            events.register(f"{entity}.deleted", fields=("id", "actor_id"))
