"""Daily reports over the API (/api/v1/daily-reports): parse → service → serialise.

A report the user may not read is a 404; writing another person's report is refused
(403); bad input is a 422 naming the field (the project's one error shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salesops.core.pagination import paginate
from salesops.core.schemas import UserRef

from . import daily_reports

router = Router(tags=["daily reports"])


class DailyReportOut(Schema):
    id: int
    owner: UserRef
    day: dt.date
    done: str
    plans: str
    help_needed: str
    forecast_changes: str
    snapshot: dict[str, Any] = Field(
        default_factory=dict,
        description="The day's figures at submission: activities (by_kind), effective "
        "touches, new leads, deals created/won/lost with amounts, stage changes.",
    )
    submitted_at: dt.datetime
    updated_at: dt.datetime


class DailyReportPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DailyReportOut]


class DailyReportIn(Schema):
    day: dt.date | None = Field(
        None, description="Today (the default) or the previous working day."
    )
    done: str = ""
    plans: str = ""
    help_needed: str = ""
    forecast_changes: str = ""


class DailyReportPatch(Schema):
    done: str | None = None
    plans: str | None = None
    help_needed: str | None = None
    forecast_changes: str | None = None


class DailyReportQuery(Schema):
    q: str | None = None
    help: bool | None = None
    owner: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1
    page_size: int = 25


class PrefillOut(Schema):
    day: dt.date
    done: str


@router.get(
    "/daily-reports",
    response=DailyReportPage,
    summary="Daily reports (mine, or my team's)",
)
def list_daily_reports(request, query: Query[DailyReportQuery]):
    data = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    fs = daily_reports.daily_report_filterset(user=request.user, data=data)
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return paginate(fs.qs, query.page, query.page_size)


@router.get(
    "/daily-reports/prefill",
    response=PrefillOut,
    summary="The draft of “what was done” for my report of a day",
)
def prefill_daily_report(request, day: dt.date | None = None):
    days = daily_reports.writable_days()
    day = day or days[0]
    if day not in days:
        raise ValidationError({"day": daily_reports.day_message(days)})
    return {"day": day, "done": daily_reports.prefill_done(request.user.pk, day)}


@router.post(
    "/daily-reports",
    response={201: DailyReportOut, 200: DailyReportOut},
    summary="Send my daily report (replaces the day's report when there is one)",
)
def submit_daily_report(request, payload: DailyReportIn):
    existed = (
        daily_reports.own_report(request.user, payload.day or daily_reports.writable_days()[0])
        is not None
    )
    report = daily_reports.daily_report_submit(actor=request.user, **payload.dict())
    report = daily_reports.daily_report_get(user=request.user, pk=report.pk)
    return Status(200 if existed else 201, report)


@router.get("/daily-reports/{report_id}", response=DailyReportOut, summary="One daily report")
def get_daily_report(request, report_id: int):
    return daily_reports.daily_report_get(user=request.user, pk=report_id)


@router.patch(
    "/daily-reports/{report_id}", response=DailyReportOut, summary="Change my daily report"
)
def update_daily_report(request, report_id: int, payload: DailyReportPatch):
    report = daily_reports.daily_report_get(user=request.user, pk=report_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items()}
    report = daily_reports.daily_report_update(actor=request.user, report=report, **changes)
    return daily_reports.daily_report_get(user=request.user, pk=report.pk)
