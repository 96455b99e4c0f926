from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "salesops.targets"
    label = "targets"
    verbose_name = _("Targets")

    def ready(self):
        # Target health (SPEC T4, T5): the monthly snapshot action, its notification kind
        # and the default rule that runs it.
        from salesops.notifications import kinds as notification_kinds

        from . import actions, defaults_rules, rollup

        actions.register_all()
        # The measure rollup follows every payment and contract write (PERF-A).
        rollup.connect()
        notification_kinds.register(actions.NOTIFICATION_KIND, _("Target health"))
        post_migrate.connect(defaults_rules.install, sender=self)
