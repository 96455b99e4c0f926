from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "salesops.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The registries fill when these modules load: the senders of each delivery kind
        # and the retry sweep. Imported here because models must be loaded first.
        from . import kinds, senders, sweeps  # noqa: F401

        kinds.register("system", _("System messages"))
        # The automation engine's notify/escalate actions send this kind.
        kinds.register("rule", _("Automation rules (reminders, escalations, alerts)"))
