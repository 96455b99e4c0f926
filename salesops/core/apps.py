from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

from . import intrange
from .history import cache_history_managers


class CoreConfig(AppConfig):
    name = "salesops.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Imported here: sweeps loads core's models, which needs a ready app registry.
        from . import sweeps  # noqa: F401  (registers the core sweeps)

        cache_history_managers(apps.get_models())
        intrange.register()  # integers beyond a column's range match nothing, not a 500
