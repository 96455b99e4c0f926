"""Registry of notification kinds, so the preferences page can name them.

Apps (and the automation engine) register the kinds they send in ``AppConfig.ready``;
``notify`` accepts any kind string, and a kind nobody registered is shown by its key.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

KIND_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")

_registry: dict[str, str] = {}


def register(key: str, label) -> None:
    if not KIND_RE.match(key):
        raise ValueError(f"notification kind {key!r}: use a-z, 0-9 and _ . : - (at most 64)")
    _registry[key] = label


def label(key: str):
    if key == "*":
        return _("Everything else (default)")
    return _registry.get(key, key)


def registered() -> list[tuple[str, object]]:
    return sorted(_registry.items())
