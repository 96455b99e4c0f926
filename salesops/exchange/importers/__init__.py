"""One importer per entity, registered in :mod:`salesops.exchange.registry`.

Each module imports the services of the app it writes into (exchange stands above every
app it imports into, see ``.importlinter``)."""

from __future__ import annotations

import importlib

MODULES = (
    "customers",
    "leads",
    "activities",
    "pipeline",
    "revenue",
    "aftersales",
    "targets",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
