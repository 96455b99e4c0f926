from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "salesops.incentives"
    label = "incentives"
    verbose_name = _("Incentives")

    def ready(self):
        # Each area wires itself (signals, sweeps, default plan); see docs/architecture.md
        # "Incentives".
        from . import wiring

        wiring.connect(self)
