from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "salesops.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from . import kinds, sending  # noqa: F401 - sending registers the retry sweep

        kinds.register("system", _("System messages"))
        # The automation engine's notify/escalate actions send this kind.
        kinds.register("rule", _("Automation rules (reminders, escalations, alerts)"))
