from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "salesops.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from salesops.core import events

        for entity in ("account", "contact"):
            events.register(f"{entity}.created", fields=("id", "actor_id"))
            events.register(f"{entity}.updated", fields=("id", "changed", "actor_id"))
            events.register(f"{entity}.deleted", fields=("id", "actor_id"))
