from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesops.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.apps import apps

        from . import intrange, sweeps  # noqa: F401  (registers the core sweeps)
        from .history import cache_history_managers

        cache_history_managers(apps.get_models())
        intrange.register()  # integers beyond a column's range match nothing, not a 500
