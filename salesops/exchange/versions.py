"""Entity template versions and the dual track (X5).

A template's version is its columns: each field's key, zh-Hans and English name, in
order. When an importer's fields change (a field added, renamed or removed) the next
call to :func:`current` publishes version N+1 with what changed. A file made from an
older version V still imports for ``ExchangePolicy.dual_track_days`` after version V+1
was published — with notices naming what changed — and is refused after that with a
message naming the template to download.

Which version made a file: the template's hidden sheet says so (``table.meta``); a file
without it (saved by another program, or typed by hand) is matched by its headers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salesops.core import clock

from . import registry
from .files import FileRefused, Table
from .models import ExchangePolicy, TemplateVersion


def specs(fields) -> list[dict]:
    """``[{"key", "zh", "en"}]`` in column order, from :class:`~.registry.Field`\\ s or
    from such dicts already."""
    out = []
    for item in fields:
        if isinstance(item, dict):
            out.append({"key": item["key"], "zh": item["zh"], "en": item["en"]})
        else:
            zh, en = item.names()
            out.append({"key": item.key, "zh": zh, "en": en})
    return out


def signature(fields) -> str:
    """A digest of the columns (key, zh-Hans and English name, in order)."""
    text = json.dumps(
        [[s["key"], s["zh"], s["en"]] for s in specs(fields)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def diff(old: list[dict], new: list[dict]) -> dict:
    """What changed from columns ``old`` to ``new``: added and removed columns (as
    specs) and renamed ones ``[key, old names, new names]``."""
    before = {s["key"]: s for s in old}
    after = {s["key"]: s for s in new}
    return {
        "added": [s for s in new if s["key"] not in before],
        "renamed": [
            [s["key"], _names(before[s["key"]]), _names(s)]
            for s in new
            if s["key"] in before and _names(before[s["key"]]) != _names(s)
        ],
        "removed": [s for s in old if s["key"] not in after],
    }


def _names(spec: dict) -> dict:
    return {"zh": spec["zh"], "en": spec["en"]}


def current(entity: str) -> TemplateVersion:
    """The latest version of ``entity``'s template, publishing a new one first when the
    importer's columns differ from it (version 1 the first time)."""
    importer = registry.get(entity)
    if importer is None:
        raise LookupError(entity)
    columns = specs(importer.fields())
    digest = signature(columns)
    latest = _latest(entity)
    if latest is not None and latest.signature == digest:
        return latest
    try:
        with transaction.atomic():
            return TemplateVersion.objects.create(
                entity=entity,
                version=(latest.version + 1) if latest else 1,
                fields=columns,
                signature=digest,
                changes=diff(latest.fields, columns) if latest else {},
                published_at=clock.now(),
            )
    except IntegrityError:
        # Another request published the same version a moment ago.
        return _latest(entity)


def _latest(entity: str) -> TemplateVersion | None:
    return TemplateVersion.objects.filter(entity=entity).order_by("-version").first()


def accepted_until(version: TemplateVersion) -> dt.datetime | None:
    """When a file made from ``version`` stops importing; ``None`` while it is the
    latest version."""
    following = (
        TemplateVersion.objects.filter(entity=version.entity, version__gt=version.version)
        .order_by("version")
        .first()
    )
    if following is None:
        return None
    days = ExchangePolicy.current().dual_track_days
    return following.published_at + dt.timedelta(days=days)


def is_accepted(version: TemplateVersion) -> bool:
    until = accepted_until(version)
    return until is None or clock.now() <= until


def check_file(entity: str, table: Table) -> tuple[TemplateVersion | None, list[str]]:
    """(the template version that made the file or ``None`` for a file in the current
    names or of no known version, notices to show). Raises :class:`FileRefused` for a
    file from a version past its dual-track period, or from another entity's template."""
    latest = current(entity)
    importer = registry.get(entity)
    meta_entity = table.meta.get("entity")
    if meta_entity and str(meta_entity) != entity:
        other = registry.get(str(meta_entity))
        raise FileRefused(
            _(
                "This file is the template for %(other)s, not for %(entity)s. Import it as "
                "%(other)s, or download the %(entity)s template from the import page."
            )
            % {"other": other.label if other else meta_entity, "entity": importer.label},
            code="template_entity",
        )
    version = _version_from_meta(entity, table.meta.get("version"))
    if version is None and table.meta.get("version") is None:
        version = _version_from_headers(entity, latest, table.headers)
        if version is None:
            return None, []
    if version is None or version.version == latest.version:
        return version, []
    until = accepted_until(version)
    label = importer.label
    until_text = timezone.localtime(until).date().isoformat()
    if clock.now() > until:
        raise FileRefused(
            _(
                "This file was made from template version %(version)d of %(entity)s, which "
                "stopped being accepted on %(date)s. Download the current template "
                "(version %(current)d) from the import page and copy the data into it."
            )
            % {
                "version": version.version,
                "entity": label,
                "date": until_text,
                "current": latest.version,
            },
            code="template_expired",
        )
    notices = _change_notices(diff(version.fields, latest.fields))
    notices.append(
        _(
            "This file was made from template version %(version)d of %(entity)s; files from "
            "that version import until %(date)s. Download the current template (version "
            "%(current)d) from the import page for your next file."
        )
        % {
            "version": version.version,
            "entity": label,
            "date": until_text,
            "current": latest.version,
        }
    )
    return version, notices


def _version_from_meta(entity: str, value) -> TemplateVersion | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return TemplateVersion.objects.filter(entity=entity, version=number).first()


def _folded_names(columns: list[dict]) -> set[str]:
    return {n.strip().casefold() for s in columns for n in (s["zh"], s["en"], s["key"]) if n}


def _version_from_headers(
    entity: str, latest: TemplateVersion, headers: list[str]
) -> TemplateVersion | None:
    """The newest older version whose names explain more of the headers than the current
    names do; ``None`` when the current names explain them as well."""
    wanted = {h.strip().casefold() for h in headers if h and h.strip()}
    if not wanted:
        return None
    importer = registry.get(entity)
    now_names = _folded_names(latest.fields)
    for field in importer.fields():
        now_names.update(a.strip().casefold() for a in field.aliases)
    best, best_score = None, len(wanted & now_names)
    older = TemplateVersion.objects.filter(entity=entity, version__lt=latest.version)
    for version in older.order_by("-version"):
        score = len(wanted & _folded_names(version.fields))
        if score > best_score:
            best, best_score = version, score
    return best


def _name(names: dict) -> str:
    language = translation.get_language() or "zh-hans"
    if language.lower().startswith("zh"):
        return names["zh"] or names["en"]
    return names["en"] or names["zh"]


def _change_notices(changes: dict) -> list[str]:
    notices = []
    for _key, old, new in changes.get("renamed", []):
        notices.append(
            _("Column “%(old)s” has been renamed to “%(new)s”.")
            % {"old": _name(old), "new": _name(new)}
        )
    for spec in changes.get("added", []):
        notices.append(_("New column: %(name)s.") % {"name": _name(spec)})
    for spec in changes.get("removed", []):
        notices.append(
            _("Column “%(name)s” has been removed; its values are not imported.")
            % {"name": _name(spec)}
        )
    return notices


def old_names(version: TemplateVersion | None) -> dict[str, str]:
    """Header name (casefolded) → field key for the columns of ``version`` whose field
    still exists, so an old header maps to the renamed field; empty for ``None`` and
    for a version no longer accepted."""
    if version is None or not is_accepted(version):
        return {}
    importer = registry.get(version.entity)
    keys = {f.key for f in importer.fields()} if importer else set()
    out: dict[str, str] = {}
    for spec in version.fields:
        if spec["key"] not in keys:
            continue
        for name in (spec["zh"], spec["en"]):
            if name:
                out.setdefault(name.strip().casefold(), spec["key"])
    return out
