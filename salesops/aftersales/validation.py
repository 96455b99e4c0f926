"""Validation of after-sales records: field conversion and the rules between fields.

Every function adds to an ``errors`` dict (field → messages) instead of raising, so a
form or a feed learns about every bad field of a record in one answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.money import to_money

from .models import COMPLAINT_DONE, Complaint, NpsResponse, Renewal, RenewalStatus, ServiceTicket

# --- validation helpers -------------------------------------------------------------------


def add(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(str(message))


def merge(*dicts: dict) -> dict:
    merged: dict[str, list] = {}
    for errors in dicts:
        for field, messages in errors.items():
            merged.setdefault(field, []).extend(messages)
    return merged


def assign(instance, data: dict, allowed: tuple[str, ...]) -> dict:
    """Put ``data`` on ``instance``: text stripped (``None`` → empty text), money to two
    places. Returns the errors of fields it could not take."""
    errors: dict[str, list] = {}
    for key in sorted(set(data) - set(allowed)):
        add(errors, key, _("Unknown field."))
    for key, value in data.items():
        if key not in allowed:
            continue
        field = instance._meta.get_field(key)
        if isinstance(field, models.CharField | models.TextField):
            if value is None:
                value = ""
            if not isinstance(value, str):
                add(errors, key, _("Enter text."))
                continue
            value = value.strip()
        elif isinstance(field, models.DecimalField) and value is not None:
            try:
                value = to_money(value)
            except (TypeError, ValueError):
                add(errors, key, _("Enter an amount such as 1200.00."))
                continue
            if value < 0:
                add(errors, key, _("The amount cannot be negative; enter 0 or more."))
                continue
        setattr(instance, key, value)
    return errors


def _make_aware(instance) -> None:
    """A date-time without a zone (``"2025-03-03T10:00"`` from a spreadsheet or a feed) is
    taken in the organisation's time zone, the way people wrote it down."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.DateTimeField):
            value = getattr(instance, field.attname)
            if isinstance(value, dt.datetime) and timezone.is_naive(value):
                setattr(instance, field.attname, timezone.make_aware(value))


def full_clean(instance, errors: dict) -> dict:
    """Django's field validation (types, choices, lengths, 0–10) for fields not already
    reported, merged with ``errors``. Converts text to dates and numbers in place."""
    errors = {k: list(v) for k, v in errors.items()}
    try:
        instance.full_clean(exclude=list(errors), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    _make_aware(instance)
    return errors


def _not_future(errors: dict, instance, field: str) -> None:
    value = getattr(instance, field)
    if field not in errors and isinstance(value, dt.date) and value > clock.today():
        add(errors, field, _("This date is in the future; enter today or an earlier date."))


def _not_before(errors: dict, instance, later: str, earlier: str, label) -> None:
    """``later`` must not be before ``earlier`` (both set and valid)."""
    a, b = getattr(instance, later), getattr(instance, earlier)
    if later in errors or earlier in errors or a is None or b is None:
        return
    if a < b:
        add(
            errors,
            later,
            _("This is before the %(other)s (%(value)s); enter a later one.")
            % {"other": label, "value": timezone.localtime(b) if isinstance(b, dt.datetime) else b},
        )


def _contact_of_account(errors: dict, instance) -> None:
    contact = getattr(instance, "contact", None)
    if contact is not None and instance.account_id and contact.account_id != instance.account_id:
        add(errors, "contact", _("This contact works at another account; pick one from it."))


# --- per-kind checks -------------------------------------------------------------------------


def check_complaint(c: Complaint, errors: dict) -> None:
    _contact_of_account(errors, c)
    _not_future(errors, c, "raised_on")
    if c.status in COMPLAINT_DONE and c.resolved_on is None and "status" not in errors:
        c.resolved_on = clock.today()
    if c.status not in COMPLAINT_DONE and c.resolved_on is not None and "status" not in errors:
        add(
            errors,
            "resolved_on",
            _("An open complaint has no resolved date; clear it or set the status to resolved."),
        )
    _not_future(errors, c, "resolved_on")
    _not_before(errors, c, "resolved_on", "raised_on", _("date raised"))


def check_nps(n: NpsResponse, errors: dict) -> None:
    _contact_of_account(errors, n)
    _not_future(errors, n, "responded_on")
    if "score" in errors and n.score is not None:
        # One message with the range instead of Django's "at least 0" / "at most 10".
        errors["score"] = [_("Enter a whole number from 0 to 10.")]


def check_ticket(t: ServiceTicket, errors: dict) -> None:
    _contact_of_account(errors, t)
    _not_before(errors, t, "first_response_at", "opened_at", _("time opened"))
    _not_before(errors, t, "resolved_at", "opened_at", _("time opened"))
    _not_before(errors, t, "resolved_at", "first_response_at", _("first response"))


def check_renewal(r: Renewal, errors: dict) -> None:
    if "amount" not in errors and r.amount is None:
        r.amount = Decimal("0.00")
    if "status" in errors:
        return
    closed = r.status != RenewalStatus.PENDING
    if closed and r.closed_on is None:
        r.closed_on = clock.today()
    if not closed and r.closed_on is not None:
        add(
            errors,
            "closed_on",
            _("A pending renewal has no closing date; clear it or mark it renewed or lost."),
        )
    if r.status == RenewalStatus.LOST and not r.lost_reason:
        add(errors, "lost_reason", _("Say why the renewal was lost."))
    if r.status != RenewalStatus.LOST and r.lost_reason:
        add(errors, "lost_reason", _("Only a lost renewal has a reason; clear it."))
