"""Map a file's header row to an entity's fields.

Proposals, strongest first: a header that is a field's zh-Hans or English name, key or
alias (``exact``); a header of the older template version the file was made from
(``template``: a renamed column still maps during the dual track); a header someone
mapped by hand before (``saved``); else the closest field name by fuzzy match
(``fuzzy``, rapidfuzz), which waits for the user to confirm it. A field takes at most
one column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from salesops.core import clock

from . import permissions, registry, versions
from .files import column_letter
from .models import HeaderMapping, ImportJob, JobState

FUZZY_FLOOR = 70


@dataclass(frozen=True)
class Suggestion:
    index: int
    header: str
    field_key: str | None
    how: str  # "exact" | "template" | "saved" | "fuzzy" | ""
    score: int = 100


def _names(importer) -> dict[str, str]:
    names: dict[str, str] = {}
    for field in importer.fields():
        zh, en = field.names()
        for name in (zh, en, field.key, *field.aliases):
            names.setdefault(name.strip().casefold(), field.key)
    return names


def suggest(importer, headers: list[str], *, version=None) -> list[Suggestion]:
    """One proposal per column of ``headers``."""
    names = _names(importer)
    old = versions.old_names(version) if version is not None else {}
    saved = dict(
        HeaderMapping.objects.filter(entity=importer.entity, header__in=headers).values_list(
            "header", "field_key"
        )
    )
    known = {f.key for f in importer.fields()}
    taken: set[str] = set()
    out: list[Suggestion | None] = [None] * len(headers)
    # Pass by strength, so a weak guess on an early column never takes a field a later
    # column names exactly.
    passes = (
        ("exact", lambda h: names.get(h.strip().casefold())),
        ("template", lambda h: old.get(h.strip().casefold())),
        ("saved", lambda h: saved.get(h)),
    )
    for how, find in passes:
        for index, header in enumerate(headers):
            if out[index] is not None or not header:
                continue
            key = find(header)
            if key and key in known and key not in taken:
                out[index] = Suggestion(index, header, key, how)
                taken.add(key)
    choices = {name: key for name, key in names.items()}
    for index, header in enumerate(headers):
        if out[index] is not None:
            continue
        best = None
        if header and choices:
            free = {n: k for n, k in choices.items() if k not in taken}
            if free:
                best = process.extractOne(header.strip().casefold(), list(free), scorer=fuzz.WRatio)
        if best and best[1] >= FUZZY_FLOOR:
            key = choices[best[0]]
            out[index] = Suggestion(index, header, key, "fuzzy", int(best[1]))
            taken.add(key)
        else:
            out[index] = Suggestion(index, header, None, "")
    return [s for s in out if s is not None]


def apply_suggestions(job: ImportJob, suggestions: list[Suggestion], importer) -> None:
    """Store the proposals on the job; the sure ones are the mapping, and the mapping is
    confirmed when nothing waits for the user (no fuzzy guess, every required field
    mapped)."""
    job.suggested = {
        str(s.index): {"field": s.field_key, "how": s.how, "score": s.score} for s in suggestions
    }
    job.mapping = {
        str(s.index): s.field_key for s in suggestions if s.field_key and s.how != "fuzzy"
    }
    mapped = set(job.mapping.values())
    missing = [f for f in importer.fields() if f.required and f.key not in mapped]
    fuzzy = any(s.how == "fuzzy" for s in suggestions)
    job.mapping_confirmed = not fuzzy and not missing
    ignored = [s.header for s in suggestions if s.header and not s.field_key]
    if ignored:
        job.notices = [
            *job.notices,
            _("These columns match no field and will not be imported: %(names)s.")
            % {"names": "、".join(ignored)},
        ]


@transaction.atomic
def save_mapping(*, job: ImportJob, actor, mapping: dict[str, str]) -> ImportJob:
    """The user's mapping (column index → field key, "" to skip a column). Every problem is
    reported at once, naming the column; a header mapped by hand is remembered for the
    next file of this entity. The job has to be checked again afterwards."""
    if not permissions.can_see_job(actor, job):
        raise ValidationError({"mapping": _("This import is not yours.")})
    if job.state in (JobState.CHECKING, JobState.COMMITTING, JobState.DONE):
        raise ValidationError(
            {
                "mapping": _("This import is %(state)s; its mapping cannot change now.")
                % {"state": job.get_state_display()}
            }
        )
    importer = registry.get(job.entity)
    fields = {f.key: f for f in importer.fields()}
    errors: list[str] = []
    clean: dict[str, str] = {}
    used: dict[str, int] = {}
    for raw_index, key in (mapping or {}).items():
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            errors.append(_("“%(col)s” is not a column number.") % {"col": raw_index})
            continue
        if not 0 <= index < len(job.headers):
            errors.append(_("The file has no column %(col)d.") % {"col": index + 1})
            continue
        if not key:
            continue
        label = f"{column_letter(index)} “{job.headers[index]}”"
        if key not in fields:
            errors.append(
                _("Column %(col)s: “%(key)s” is not a field of this import.")
                % {"col": label, "key": key}
            )
            continue
        if key in used:
            first = used[key]
            errors.append(
                _("Columns %(a)s and %(b)s both go to “%(field)s”; choose one.")
                % {
                    "a": f"{column_letter(first)} “{job.headers[first]}”",
                    "b": label,
                    "field": fields[key].names()[0],
                }
            )
            continue
        used[key] = index
        clean[str(index)] = key
    for key, field in fields.items():
        if field.required and key not in used:
            errors.append(
                _("The required field “%(field)s” has no column; map one to it.")
                % {"field": field.names()[0]}
            )
    if errors:
        raise ValidationError({"mapping": errors})
    sure = {i for i, s in (job.suggested or {}).items() if s.get("how") in ("exact", "template")}
    for index, key in clean.items():
        header = job.headers[int(index)]
        if index not in sure and header:
            HeaderMapping.objects.update_or_create(
                entity=job.entity,
                header=header[:200],
                defaults={"field_key": key, "saved_by": actor, "saved_at": clock.now()},
            )
    job.mapping = clean
    job.mapping_confirmed = True
    job.state = JobState.UPLOADED
    job.counts = {}
    job.progress = 0
    job.save(update_fields=["mapping", "mapping_confirmed", "state", "counts", "progress"])
    return job


def as_dicts(suggestions: list[Suggestion]) -> list[dict]:
    return [asdict(s) for s in suggestions]
