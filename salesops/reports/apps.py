from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "salesops.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Imported for what they register: the LTV sweep and nightly task, and the
        # subscriptions that queue an account when one of its records changes; the weekly
        # forecast snapshot sweep; the healthy-deal sweep, nightly task and the
        # subscriptions that mark a deal's check stale; the morning heatmap action and
        # its default rule.
        from . import (  # noqa: F401
            deal_health,
            defaults,
            forecast_snapshots,
            health_subscriptions,
            heatmap_digest,
            ltv,
            subscriptions,
        )

        subscriptions.connect()
        health_subscriptions.connect()
        heatmap_digest.register()
        post_migrate.connect(defaults.install, sender=self)
