"""Exit criteria (D1): what must be true before a deal leaves its stage forward.

:func:`unmet` returns every unmet criterion as ``{"code", "field", "message"}``, so a
page lists them and the API answers 422 with all of them at once.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from salesops.core import choices

from .models import Deal, Evidence, Stage

FIELD_LABELS = {
    "amount": lambda: _("amount"),
    "expected_close_date": lambda: _("expected close date"),
    "product_line": lambda: _("product line"),
    "contacts": lambda: _("decision chain"),
    "need_confirmed": lambda: _("need confirmed"),
    "budget_confirmed": lambda: _("budget confirmed"),
    "decision_maker_identified": lambda: _("decision maker identified"),
    "commit_category": lambda: _("forecast category"),
}


def _field_filled(deal: Deal, name: str) -> bool:
    if name == "contacts":
        return deal.pk is not None and deal.contacts.exists()
    value = getattr(deal, name, None)
    if name == "amount":
        return value is not None and value > 0
    return bool(value)


def _activities_in_stage(deal: Deal, kind: str) -> int:
    """Activities of ``kind`` logged on the deal since it entered its stage."""
    return deal.activities.filter(kind=kind, started_at__gte=deal.stage_entered_at).count()


def unmet(deal: Deal, stage: Stage | None = None, *, extra_evidence: tuple[str, ...] = ()) -> list:
    """The exit criteria of ``stage`` (the deal's own by default) the deal does not meet.
    ``extra_evidence`` are evidence types about to be uploaded with the request."""
    stage = stage or deal.stage
    missing: list[dict] = []
    for name in stage.required_fields or ():
        if not _field_filled(deal, name):
            label = FIELD_LABELS.get(name, lambda n=name: n)()
            missing.append(
                {
                    "code": "field",
                    "field": name,
                    "message": _("Fill in “%(field)s”.") % {"field": label},
                }
            )
    if stage.required_evidence:
        # Evidence counts whatever stage it was uploaded in: a proposal sent earlier
        # still proves the proposal.
        have = set(Evidence.objects.filter(deal=deal).values_list("type", flat=True)) | set(
            extra_evidence
        )
        for code in stage.required_evidence:
            if code not in have:
                missing.append(
                    {
                        "code": "evidence",
                        "field": "evidence",
                        "type": code,
                        "message": _("Upload evidence: %(type)s.")
                        % {"type": choices.label(choices.EVIDENCE_TYPE, code)},
                    }
                )
    for requirement in stage.required_activities or ():
        kind = requirement.get("kind", "") if isinstance(requirement, dict) else str(requirement)
        count = int(requirement.get("count", 1)) if isinstance(requirement, dict) else 1
        if kind and _activities_in_stage(deal, kind) < count:
            missing.append(
                {
                    "code": "activity",
                    "field": "activities",
                    "kind": kind,
                    "message": _("Log %(count)s × %(kind)s on the deal in this stage.")
                    % {"count": count, "kind": activity_kind_label(kind)},
                }
            )
    return missing


def activity_kind_label(kind: str) -> str:
    """An activity kind's label, read from the activity model through the deal's reverse
    relation (activities stand above this app and are not imported)."""
    field = Deal.activities.rel.related_model._meta.get_field("kind")
    return str(dict(field.flatchoices).get(kind, kind))


def activity_kinds() -> list[tuple[str, str]]:
    field = Deal.activities.rel.related_model._meta.get_field("kind")
    return [(code, str(label)) for code, label in field.flatchoices]
