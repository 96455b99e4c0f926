"""Organisation over the API: who am I, users I may see, teams; the organisation
settings (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from salesops.core import choices, clock, orgsettings
from salesops.core.calendar import years_without_data
from salesops.core.models import CalendarDay, ChoiceList

from . import selectors
from .models import Team

router = Router(tags=["org"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    language: str
    team_id: int | None
    manager_chain: list[int]


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    manager_id: int | None
    region: str


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.label,
        "role": user.role,
        "language": user.language,
        "team_id": user.team_id,
        "manager_chain": [m.pk for m in selectors.manager_chain(user)],
    }


@router.get("/users", response=list[UserOut], summary="Users you may see")
def users(request):
    return list(selectors.visible_users(request.user).order_by("username")[:1000])


@router.get("/teams", response=list[TeamOut], summary="The team tree")
def teams(request):
    return list(Team.objects.order_by("path"))


# --- Settings · Organisation (admins) ------------------------------------------------------
class CalendarDayIO(Schema):
    day: dt.date
    note: str = Field("", max_length=100)


class ChoiceIO(Schema):
    code: str = Field(..., max_length=30)
    label_en: str = Field(..., max_length=100)
    label_zh: str = Field(..., max_length=100)
    order: int = Field(0, ge=0, le=32000)
    is_active: bool = True


class ChoiceListOut(Schema):
    key: str
    name_en: str
    name_zh: str
    options: list[ChoiceIO]


# A time of day as "HH:MM" in the organisation's time zone (JSON Schema's "time" format
# demands a UTC offset, which a working day's hours do not have).
ClockTime = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, local time"),
]
TIME_FIELDS = ("work_start", "work_end", "lunch_start", "lunch_end")


class OrgSettingsOut(Schema):
    default_daily_lead_cap: int
    work_start: ClockTime
    work_end: ClockTime
    lunch_start: ClockTime | None
    lunch_end: ClockTime | None
    dedup_name_certain: int
    dedup_name_review: int
    effective_touch_seconds: int
    checkin_note_max: int
    dwell_top_n: int
    extra_holidays: list[CalendarDayIO]
    extra_workdays: list[CalendarDayIO]
    years_without_data: list[int] = Field(
        ..., description="The current or next year with no holiday data: enter its holidays."
    )
    lists: list[ChoiceListOut]


class OrgSettingsIn(Schema):
    """Only the fields sent change; ``extra_holidays`` / ``extra_workdays``, when sent,
    replace the admin's list of that kind."""

    default_daily_lead_cap: int | None = None
    work_start: ClockTime | None = None
    work_end: ClockTime | None = None
    lunch_start: ClockTime | None = None
    lunch_end: ClockTime | None = None
    dedup_name_certain: int | None = None
    dedup_name_review: int | None = None
    effective_touch_seconds: int | None = None
    checkin_note_max: int | None = None
    dwell_top_n: int | None = None
    extra_holidays: list[CalendarDayIO] | None = None
    extra_workdays: list[CalendarDayIO] | None = None

    model_config = {"extra": "forbid"}


def _require_admin(request) -> None:
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only a sales-ops admin changes the organisation settings."))


def _settings_out() -> dict:
    stored = orgsettings.row()
    out = {name: getattr(stored, name) for name in orgsettings.POLICY_FIELDS}
    for name in TIME_FIELDS:
        out[name] = out[name].strftime("%H:%M") if out.get(name) else None
    days = {CalendarDay.Kind.HOLIDAY: [], CalendarDay.Kind.WORKDAY: []}
    for row in CalendarDay.objects.order_by("day"):
        days[row.kind].append({"day": row.day, "note": row.note})
    out["extra_holidays"] = days[CalendarDay.Kind.HOLIDAY]
    out["extra_workdays"] = days[CalendarDay.Kind.WORKDAY]
    out["years_without_data"] = years_without_data(clock.today())
    out["lists"] = [
        {
            "key": c.key,
            "name_en": c.name_en,
            "name_zh": c.name_zh,
            "options": [o.__dict__ for o in choices.options(c.key)],
        }
        for c in choices.lists()
    ]
    return out


@router.get(
    "/settings/organisation",
    response=OrgSettingsOut,
    summary="The organisation settings (admins)",
)
def org_settings_get(request):
    _require_admin(request)
    return _settings_out()


@router.put(
    "/settings/organisation",
    response=OrgSettingsOut,
    summary="Change the organisation settings (admins); effective at once, audited",
)
def org_settings_put(request, payload: OrgSettingsIn):
    _require_admin(request)
    # One transaction: a refused value leaves the days unwritten, and the reverse.
    with transaction.atomic():
        sent = payload.model_dump(exclude_unset=True)
        for name in TIME_FIELDS:
            if sent.get(name):
                sent[name] = dt.time.fromisoformat(sent[name])
        holidays = sent.pop("extra_holidays", None)
        workdays = sent.pop("extra_workdays", None)
        if sent:
            orgsettings.org_settings_update(actor=request.user, **sent)
        if holidays is not None or workdays is not None:
            current = {CalendarDay.Kind.HOLIDAY: {}, CalendarDay.Kind.WORKDAY: {}}
            for row in CalendarDay.objects.all():
                current[row.kind][row.day] = row.note

            def as_map(rows, kind):
                if rows is None:
                    return current[kind]
                return {r["day"]: r["note"] for r in rows}

            orgsettings.calendar_days_update(
                actor=request.user,
                holidays=as_map(holidays, CalendarDay.Kind.HOLIDAY),
                workdays=as_map(workdays, CalendarDay.Kind.WORKDAY),
            )
    return _settings_out()


@router.put(
    "/settings/lists/{key}",
    response=ChoiceListOut,
    summary="Change one editable list (admins): rename, reorder, deactivate, add",
)
def choice_list_put(request, key: str, payload: list[ChoiceIO]):
    _require_admin(request)
    choice_list = get_object_or_404(ChoiceList, key=key)
    choices.choice_list_update(
        actor=request.user, choice_list=choice_list, rows=[r.model_dump() for r in payload]
    )
    return {
        "key": choice_list.key,
        "name_en": choice_list.name_en,
        "name_zh": choice_list.name_zh,
        "options": [o.__dict__ for o in choices.options(key)],
    }


@router.get(
    "/choice-lists",
    response=list[ChoiceListOut],
    summary="The editable lists and their codes (industry, company size, account level, "
    "decision role, lead invalid reason); only active codes are accepted on writes",
)
def choice_lists(request):
    return [
        {
            "key": c.key,
            "name_en": c.name_en,
            "name_zh": c.name_zh,
            "options": [o.__dict__ for o in choices.options(c.key)],
        }
        for c in choices.lists()
    ]
