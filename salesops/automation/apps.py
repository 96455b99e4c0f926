from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import events


class AutomationConfig(AppConfig):
    name = "salesops.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self):
        # Imported here, not at module top: the models must be loaded first, and loading
        # builtin_actions, webhooks and sweeps fills the action and sweep registries.
        from . import builtin_actions, engine, sweeps, tasks, webhooks  # noqa: F401
        from .models import Rule

        engine.event_rules_cache.invalidate_on(Rule)
        events.unsubscribe("*", tasks.on_event)
        events.subscribe("*", tasks.on_event)
