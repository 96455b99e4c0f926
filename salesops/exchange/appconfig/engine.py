"""Export, preview and apply a whole app template.

The file: ``{"format": "salesops-app-template", "version": 1, "name": ..., "sections":
{section name: [items]}}``, written with sorted keys and two-space indents, so exporting
the same configuration twice gives byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import base

FORMAT = "salesops-app-template"
VERSION = 1


def export_config(name: str = "") -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "sections": {s.name: s.export() for s in base.sections()},
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def loads(text: str | bytes) -> dict:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
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


@dataclass
class SectionPlan:
    section: base.Section
    create: list[str] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    leave: list[str] = field(default_factory=list)


@dataclass
class Plan:
    sections: list[SectionPlan]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def preview(data: dict) -> Plan:
    """What applying ``data`` would create, change or leave, section by section, and the
    errors that refuse it (an unknown section, a bad item, a dangling reference)."""
    errors: list[str] = []
    given = data["sections"]
    for name in sorted(given):
        if base.get(name) is None:
            errors.append(_("Unknown section “%(name)s”.") % {"name": name})
    plans = []
    keys_in_file = {}
    for section in base.sections():
        items = given.get(section.name) or []
        if not isinstance(items, list):
            errors.append(_("Section “%(name)s” must be a list.") % {"name": section.name})
            items = []
        keys_in_file[section.name] = {section.key(i) for i in items if isinstance(i, dict)}
    for section in base.sections():
        items = [i for i in (given.get(section.name) or []) if isinstance(i, dict)]
        current = {section.key(i): i for i in section.export()}
        plan = SectionPlan(section)
        for item in items:
            key = section.key(item)
            for message in section.validate(item):
                errors.append(f"{section.label} “{key}”: {message}")
            for ref_section, ref_key in section.references(item):
                ref = base.get(ref_section)
                known = keys_in_file.get(ref_section, set())
                if ref_key not in known and (
                    ref is None or ref_key not in {ref.key(i) for i in ref.export()}
                ):
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
            elif _canonical(current[key]) != _canonical(item):
                plan.change.append(key)
            else:
                plan.leave.append(key)
        plans.append(plan)
    return Plan(plans, errors)


def _canonical(item: dict) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


@transaction.atomic
def apply(data: dict, *, actor) -> dict[str, dict[str, int]]:
    """Apply ``data`` in one transaction (after a clean preview): counts of created,
    changed and unchanged items per section. Raises ``ValidationError`` with the
    preview's errors, writing nothing."""
    plan = preview(data)
    if not plan.ok:
        raise ValidationError({"file": plan.errors})
    counts: dict[str, dict[str, int]] = {}
    for section in base.sections():
        tally = {"created": 0, "changed": 0, "unchanged": 0}
        for item in data["sections"].get(section.name) or []:
            tally[section.apply(item, actor=actor)] += 1
        counts[section.name] = tally
    return counts
