"""One module per app whose configuration an app template carries."""

from __future__ import annotations

import importlib

MODULES = (
    # Settings · result tags, lead statuses, channels, custom fields and layouts, knowledge
    "customization",
    "leads",
    "knowledge",
    # routing, pipelines, automation, notification channels, KPI, bonus plans, targets
    "routing",
    "pipeline",
    "automation",
    "notifications",
    "kpi",
    "incentives",
    "targets",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
