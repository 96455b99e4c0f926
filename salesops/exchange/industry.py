"""The industry templates SalesOps ships (``appconfig/industry/<slug>.json``): app
templates a new installation can start from — stages with exit criteria, result tags,
custom fields, routing examples, KPI weights, script categories, automation rules.

Each is an ordinary app template (:mod:`.appconfig.engine` previews and applies it); this
module only finds them and reads one.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .appconfig import engine

DIRECTORY = Path(__file__).with_name("appconfig") / "industry"
# The order a person choosing one reads them in (the others after, by slug).
ORDER = ("manufacturing", "saas", "education")


def _path(slug: str) -> Path | None:
    if not slug or not slug.replace("_", "").replace("-", "").isalnum():
        return None  # a slug is a file stem, never a path
    path = DIRECTORY / f"{slug}.json"
    return path if path.is_file() else None


def shipped() -> list[dict]:
    """Every shipped template: ``slug``, ``name``, ``description`` (zh) and ``path``."""
    found = []
    for path in DIRECTORY.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            {
                "slug": path.stem,
                "name": data.get("name") or path.stem,
                "description": data.get("description") or "",
                "path": path,
            }
        )
    rank = {slug: index for index, slug in enumerate(ORDER)}
    return sorted(found, key=lambda t: (rank.get(t["slug"], len(ORDER)), t["slug"]))


def load(slug: str) -> dict:
    """The template ``slug`` as :func:`engine.loads` reads it (checked format and version)."""
    path = _path(slug)
    if path is None:
        raise ValidationError(
            {
                "template": _("There is no industry template “%(slug)s”; choose one of: %(all)s.")
                % {"slug": slug, "all": ", ".join(t["slug"] for t in shipped())}
            }
        )
    return engine.loads(path.read_text(encoding="utf-8"))
