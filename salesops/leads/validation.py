"""Filling and checking a lead's fields: one ValidationError naming every bad field
(``custom.<key>`` for custom fields), shared by intake, edits and the routing test."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesops.core import choices
from salesops.core.validators import merge_errors, normalize_credit_code, normalize_phone
from salesops.customization import services as custom_services

from .models import Lead

REQUIRED = ("contact_name", "phone", "company", "need")
LEAD_FIELDS = (
    "contact_name",
    "phone",
    "company",
    "need",
    "email",
    "wechat",
    "credit_code",
    "address",
    "province",
    "city",
    "industry",
    "size_band",
    "product_line",
    "campaign",
)
EDITABLE_FIELDS = LEAD_FIELDS


def assign_fields(lead: Lead, data: dict, allowed: Iterable[str]) -> dict:
    unknown = set(data) - set(allowed)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key in unknown:
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(key, []).append(_("Enter text."))
            continue
        setattr(lead, key, value.strip())
    return errors


# Fields that store a code of an editable list (core.choices).
LEAD_LISTS = {"industry": choices.INDUSTRY, "size_band": choices.COMPANY_SIZE}


def normalise(lead: Lead, before: dict | None = None) -> dict:
    """Required fields, phone and credit code in their stored form, list codes checked
    (``before``: the stored values of an edit, whose codes stay allowed)."""
    errors: dict[str, list] = {}
    choices.check_fields(lead, LEAD_LISTS, errors, before=before)
    for field in REQUIRED:
        if not getattr(lead, field):
            errors[field] = [_("This field is required.")]
    if lead.phone:
        try:
            lead.phone = normalize_phone(lead.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if lead.credit_code:
        try:
            lead.credit_code = normalize_credit_code(lead.credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
    return errors


def full_clean_lead(lead: Lead, extra: dict, checked: Iterable[str] = ()) -> None:
    """``full_clean`` of ``lead``, its relations and the fields in error left out, and
    ``checked``: fields whose values are known to pass (see :func:`constant_defaults`)."""
    errors = {k: list(v) for k, v in extra.items()}
    try:
        lead.full_clean(
            exclude=["channel", "owner", "team", *errors, *checked],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def constant_defaults(lead: Lead) -> tuple[str, ...]:
    """The fields of a new, unfilled ``lead`` that intake never fills and whose default
    is a constant (status, SLA state, review state, counters …), when those values pass
    cleaning; else none. Every new lead holds the same values in them until it is
    validated, so a batch (``leads.bulk``) cleans them once on a fresh lead and then
    leaves them out of each lead's ``full_clean``, which still cleans every field the
    row fills, the custom fields and the time stamps."""
    names = [
        f.name
        for f in Lead._meta.concrete_fields
        if not f.is_relation
        and f.name not in LEAD_FIELDS
        and f.has_default()
        and not callable(f.default)
    ]
    try:
        lead.clean_fields(exclude=[f.name for f in Lead._meta.fields if f.name not in names])
    except ValidationError:
        return ()
    return tuple(names)


def validate_new(
    lead: Lead,
    data: dict,
    custom: dict | None,
    *,
    required_fields: Iterable[str] = (),
    checked: Iterable[str] = (),
) -> None:
    """Fill and check a new lead from ``data``; raise one ValidationError naming every bad
    field (``custom.<key>`` for custom fields). ``checked``: what
    :func:`constant_defaults` returned for a fresh lead like this one."""
    errors = assign_fields(lead, data, LEAD_FIELDS)
    errors = merge_errors(errors, normalise(lead))
    errors = merge_errors(
        errors,
        custom_services.merge_custom(
            lead, "lead", custom, partial=False, required=tuple(required_fields)
        ),
        custom_services.required_model_fields(lead, required_fields),
    )
    full_clean_lead(lead, errors, checked)
