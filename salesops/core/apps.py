from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

from . import intrange
from .history import cache_history_managers, mark_source


class CoreConfig(AppConfig):
    name = "salesops.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Imported here: sweeps loads core's models, which needs a ready app registry.
        from django.db.models.signals import post_migrate

        from . import sweeps  # noqa: F401  (registers the core sweeps)
        from .choices import ensure_seeded
        from .models import CalendarDay, Choice, ChoiceList, OrgSettings
        from .orgsettings import cache as org_settings_cache

        # A save anywhere (the settings page, the API, the admin) is seen at once.
        org_settings_cache.invalidate_on(OrgSettings, CalendarDay, ChoiceList, Choice)
        # The seeded lists, again after a test database is flushed (the data migration
        # filled them once).
        post_migrate.connect(ensure_seeded, sender=self)

        cache_history_managers(apps.get_models())
        from simple_history.signals import pre_create_historical_record

        pre_create_historical_record.connect(mark_source, dispatch_uid="core-history-source")
        intrange.register()  # integers beyond a column's range match nothing, not a 500
