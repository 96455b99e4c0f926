from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from salesops.core import entities, events


class ActivitiesConfig(AppConfig):
    name = "salesops.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.

        from . import daily_variables, defaults, rollup
        from .models import Activity

        rollup.connect()
        daily_variables.register()
        entities.register("activity", Activity, label=_("Activity"), timer_fields=("started_at",))
        events.register(
            "activity.logged",
            fields=("id", "owner_id", "kind", "lead_id", "account_id", "tag", "effective"),
        )
        events.register("daily_report.submitted", fields=("id", "owner_id", "day"))
        post_migrate.connect(defaults.install, sender=self)
        post_migrate.connect(defaults.install_reminder, sender=self)
