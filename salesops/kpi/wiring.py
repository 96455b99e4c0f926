"""What the KPI app connects when Django is ready: one function per area, called from
:meth:`KpiConfig.ready`. Each area's owner fills its own function."""

from __future__ import annotations


def connect_engine(app_config) -> None:
    """Live scores: dirty-marking signals, the minutely refresh sweep, default metrics."""
    from django.db.models.signals import post_migrate

    from . import defaults, live, sources

    sources.ensure_registered()
    live.connect()  # importing live registers the kpi.live_scores sweep
    post_migrate.connect(defaults.install, sender=app_config, dispatch_uid="kpi-defaults")


def connect_growth(app_config) -> None:
    """Customer voice (K6), points (K7), the gap alert rule (K8)."""
    from django.db.models.signals import post_migrate
    from django.utils.translation import gettext_lazy as _

    from salesops.notifications import kinds as notification_kinds
    from salesops.notifications import senders as notification_senders

    from . import growth_actions, points, voice

    growth_actions.register_all()
    notification_kinds.register(voice.NOTIFICATION_KIND, _("Customer voice"))
    notification_kinds.register(points.NOTIFICATION_KIND, _("Growth account points"))
    notification_senders.register(voice.CHANNEL, voice.send_voice_email)
    post_migrate.connect(growth_actions.install, sender=app_config, dispatch_uid="kpi-growth-rules")


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
