"""Export, preview and apply a whole app template.

The file: ``{"format": "salesops-app-template", "version": 1, "name": ..., "sections":
{section name: [items]}}`` (``schema.json`` beside this module describes it), written with
sorted keys and two-space indents, so exporting the same configuration twice gives
byte-identical files.

Applying never deletes: an item of the installation that the file does not name is kept
("kept" in the preview). An item the file names is created, changed (only the fields the
file gives) or left alone, in one transaction; a file with any error writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema_rs
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import history

from ..models import AppliedTemplate
from . import base

FORMAT = "salesops-app-template"
VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema.json")
# More errors than this are summarised: a wrong file would otherwise list thousands.
MAX_ERRORS = 50


def export_config(name: str = "", description: str = "") -> dict:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "sections": {s.name: s.export() for s in base.sections()},
    }
    if description:
        data["description"] = description
    return data


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def loads(text: str | bytes) -> dict:
    """The template in ``text``; ``ValidationError`` (key ``file``) when it is not JSON,
    not an app template, or of another version."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                {"file": _("This is not an app template: the file is not UTF-8 text.")}
            ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError(
            {"file": _("This is not an app template: the file is not valid JSON.")}
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(
            {
                "file": _("This is not a SalesOps app template (its “format” is not %(f)s).")
                % {"f": FORMAT}
            }
        )
    if data.get("version") != VERSION:
        raise ValidationError(
            {
                "file": _(
                    "This app template is version %(v)s; this installation reads version "
                    "%(n)d. Export it again from an installation of the same release."
                )
                % {"v": data.get("version"), "n": VERSION}
            }
        )
    if not isinstance(data.get("sections"), dict):
        raise ValidationError({"file": _("The app template has no “sections”.")})
    return data


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator():
    return jsonschema_rs.validator_for(schema())


def schema_errors(data: dict) -> list[str]:
    """Where ``data`` departs from ``schema.json``, each naming the place in the file."""
    out = []
    for error in _validator().iter_errors(data):
        where = " › ".join(
            _("item %(n)d") % {"n": p + 1} if isinstance(p, int) else str(p)
            for p in error.instance_path
        )
        out.append(
            _("%(where)s: %(problem)s")
            % {"where": where or _("the file"), "problem": error.message}
        )
    return out


@dataclass
class SectionPlan:
    section: base.Section
    create: list[str] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    leave: list[str] = field(default_factory=list)
    # In the installation and not in the file: applying keeps them as they are.
    keep: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.section.name

    @property
    def label(self) -> str:
        return str(self.section.label)

    @property
    def in_file(self) -> int:
        return len(self.create) + len(self.change) + len(self.leave)


@dataclass
class Plan:
    sections: list[SectionPlan]
    errors: list[str]
    name: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def writes(self) -> int:
        return sum(len(p.create) + len(p.change) for p in self.sections)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "ok": self.ok,
            "errors": list(self.errors),
            "sections": {
                p.name: {
                    "label": p.label,
                    "create": p.create,
                    "change": p.change,
                    "leave": p.leave,
                    "keep": p.keep,
                }
                for p in self.sections
            },
        }


def _differs(current: dict, item: dict) -> bool:
    """Whether applying ``item`` would change ``current``: only the fields the file gives
    count (a template may leave optional fields out)."""
    return any(_canonical(current.get(k)) != _canonical(v) for k, v in item.items())


def normalise(section: base.Section, item: dict) -> dict:
    """The item as the section would store it (``Section.normalise``), or as given when
    it is too malformed to normalise."""
    try:
        return section.normalise(item)
    except (TypeError, ValueError, AttributeError, KeyError):
        return item  # validate() reports what is wrong with it


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _key(section: base.Section, item: dict) -> str:
    """The item's key, or "?" for an item too broken to have one (its fields are named
    by the schema check and ``validate``)."""
    try:
        return str(section.key(item))
    except (TypeError, ValueError, AttributeError, KeyError):
        return "?"


def _item_label(section: base.Section, key: str) -> str:
    return f"{section.label} “{key}”"


def preview(data: dict) -> Plan:
    """What applying ``data`` would create, change or leave, section by section, and the
    errors that refuse it (an unknown section, a bad item, a dangling reference)."""
    errors: list[str] = []
    given = data["sections"]
    known = [s.name for s in base.sections()]
    for name in sorted(given):
        if base.get(name) is None:
            errors.append(
                _("Unknown section “%(name)s”; an app template has: %(known)s.")
                % {"name": name, "known": ", ".join(known)}
            )
    errors += schema_errors(data)
    exports: dict[str, dict[str, dict]] = {}

    def installed(section: base.Section) -> dict[str, dict]:
        if section.name not in exports:
            exports[section.name] = {_key(section, i): i for i in section.export()}
        return exports[section.name]

    items_of: dict[str, list[dict]] = {}
    keys_in_file: dict[str, set[str]] = {}
    for section in base.sections():
        items = given.get(section.name) or []
        if not isinstance(items, list):
            errors.append(_("Section “%(name)s” must be a list.") % {"name": section.name})
            items = []
        good = []
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                good.append(item)
            else:
                errors.append(
                    _("%(section)s: item %(n)d is not an object.")
                    % {"section": section.label, "n": number}
                )
        items_of[section.name] = good
        keys_in_file[section.name] = {_key(section, i) for i in good}
    plans = []
    for section in base.sections():
        current = installed(section)
        plan = SectionPlan(section)
        seen: set[str] = set()
        for item in items_of[section.name]:
            key = _key(section, item)
            if key in seen:
                errors.append(
                    _("%(item)s appears twice in the file; keep one.")
                    % {"item": _item_label(section, key)}
                )
                continue
            seen.add(key)
            try:
                messages = section.validate(item)
                references = section.references(item)
            except (TypeError, ValueError, AttributeError, KeyError):
                # A value of the wrong shape the section did not expect: the schema
                # check above has named it; do not let it become a server error.
                messages = [_("the item cannot be read; correct the fields named above.")]
                references = []
            for message in messages:
                errors.append(f"{_item_label(section, key)}: {message}")
            for ref_section, ref_key in references:
                ref = base.get(ref_section)
                if ref_key in keys_in_file.get(ref_section, set()):
                    continue
                if ref is not None and ref_key in installed(ref):
                    continue
                errors.append(
                    _(
                        "%(section)s “%(key)s” refers to %(ref_section)s “%(ref)s”, which "
                        "is neither in the file nor in this installation."
                    )
                    % {
                        "section": section.label,
                        "key": key,
                        "ref_section": ref.label if ref else ref_section,
                        "ref": ref_key,
                    }
                )
            if key not in current:
                plan.create.append(key)
            elif _differs(current[key], normalise(section, item)):
                plan.change.append(key)
            else:
                plan.leave.append(key)
        plan.keep = sorted(set(current) - seen)
        plans.append(plan)
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = errors[:MAX_ERRORS] + [
            _("… and %(n)d more problems; fix these first.") % {"n": more}
        ]
    return Plan(plans, errors, name=str(data.get("name") or ""))


def _refusal(plan_errors) -> ValidationError:
    return ValidationError({"file": list(plan_errors)})


@transaction.atomic
def apply(data: dict, *, actor) -> dict[str, dict[str, int]]:
    """Apply ``data`` in one transaction (after a clean preview): counts of created,
    changed and unchanged items per section. Raises ``ValidationError`` with the
    preview's errors, or with the first item a service refused, writing nothing."""
    plan = preview(data)
    if not plan.ok:
        raise _refusal(plan.errors)
    counts: dict[str, dict[str, int]] = {}
    name = str(data.get("name") or "")
    # Every history row the sections' services write names the template as its source.
    with history.source(
        _("app template “%(name)s”") % {"name": name} if name else _("app template")
    ):
        for section in base.sections():
            tally = {"created": 0, "changed": 0, "unchanged": 0}
            for item in data["sections"].get(section.name) or []:
                try:
                    outcome = section.apply(item, actor=actor)
                except ValidationError as exc:
                    raise _refusal(
                        f"{_item_label(section, _key(section, item))}: {message}"
                        for message in _messages(exc)
                    ) from None
                except PermissionDenied as exc:
                    # A director may use app templates, but some settings (custom fields,
                    # lists) are the sales-ops admin's alone: say which, write nothing.
                    raise _refusal(
                        [f"{_item_label(section, _key(section, item))}: {exc}"]
                    ) from None
                tally[outcome] += 1
            counts[section.name] = tally
    if any(t["created"] or t["changed"] for t in counts.values()):
        # Recorded only when it changed something: the same file twice writes nothing.
        AppliedTemplate.objects.create(name=name[:200], applied_by=actor, counts=counts)
    return counts


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return list(exc.messages)
