from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "salesops.exchange"
    label = "exchange"
    verbose_name = _("Import and templates")

    def ready(self):
        # The importers register themselves (one module per app they write into).
        from . import home, importers
        from .appconfig import sections

        importers.load()
        sections.load()
        home.register()
