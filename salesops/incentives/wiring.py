"""What the incentives app connects when Django is ready: one function per area, called
from :meth:`IncentivesConfig.ready`. Each area's owner fills its own function."""

from __future__ import annotations


def connect_engine(app_config) -> None:
    """The default plan (on migrate), the month-end run's task and default rule."""
    from django.db.models.signals import post_migrate

    from . import defaults, runs_rule

    runs_rule.register_all()
    post_migrate.connect(defaults.install, sender=app_config, dispatch_uid="incentives-defaults")
    post_migrate.connect(runs_rule.install, sender=app_config, dispatch_uid="incentives-rule")


def connect_tranches(app_config) -> None:
    """Queue signals on payments, complaints and renewals; the tranche sweeps."""
    # Imported for what they register: the sweeps (every 5 minutes, nightly check).
    from . import signals, sweep  # noqa: F401

    signals.connect()


def connect_statements(app_config) -> None:
    """The home page's "My bonus" (reps) and "Bonus months to approve" (finance) cards."""
    from . import home

    home.register()


def connect(app_config) -> None:
    connect_engine(app_config)
    connect_tranches(app_config)
    connect_statements(app_config)
