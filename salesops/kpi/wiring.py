"""What the KPI app connects when Django is ready: one function per area, called from
:meth:`KpiConfig.ready`. Each area's owner fills its own function."""

from __future__ import annotations


def connect_engine(app_config) -> None:
    """Live scores: dirty-marking signals, the minutely refresh sweep, default metrics."""


def connect_growth(app_config) -> None:
    """Customer voice (K6), points (K7), the gap alert rule (K8)."""


def connect_review(app_config) -> None:
    """Credibility lists (K9) and the compliance scan (K10): their rule actions and the
    default rules that run them (monthly lists, nightly scan)."""
    from django.db.models.signals import post_migrate

    from . import review_actions

    review_actions.register_all()
    post_migrate.connect(review_actions.install, sender=app_config)


def connect(app_config) -> None:
    connect_engine(app_config)
    connect_growth(app_config)
    connect_review(app_config)
