from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "salesops.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Imported for what they register: the LTV sweep and nightly task, and the
        # subscriptions that queue an account when one of its records changes, and the
        # weekly forecast snapshot sweep.
        from . import forecast_snapshots, ltv, subscriptions  # noqa: F401
        # subscriptions that queue an account when one of its records changes; the healthy-deal
        # sweep, nightly task and the subscriptions that mark a deal's check stale.
        from . import deal_health, health_subscriptions, ltv, subscriptions  # noqa: F401

        subscriptions.connect()
        health_subscriptions.connect()
