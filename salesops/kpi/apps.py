from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "salesops.kpi"
    label = "kpi"
    verbose_name = _("KPI and performance")

    def ready(self):
        # Each area wires itself here (signals, actions, default rules, sweeps); see
        # docs/architecture.md "KPI and performance".
        from . import wiring

        wiring.connect(self)
