from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesops.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import sweeps  # noqa: F401  (registers the core sweeps)
