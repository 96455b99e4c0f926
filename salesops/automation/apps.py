from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "salesops.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self):
        from salesops.core import events

        from . import actions, engine, sweeps  # noqa: F401 - registers actions and sweeps
        from .models import Rule

        engine.event_rules_cache.invalidate_on(Rule)
        events.unsubscribe("*", engine.on_event)
        events.subscribe("*", engine.on_event)
