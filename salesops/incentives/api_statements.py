"""Incentives API: statements, lines, payout periods, adjustments, payroll export (I7).

Visibility is ``permissions``': another rep's statement or line is a 404; approving or
adjusting is finance's (403 otherwise); approving a locked month is a 409 naming when and
by whom; bad input a 422 naming the field; an export that does not add up a 409.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from salesops.core.api_errors import error_response

from . import adjustments, payroll, periods, statements
from .schemas_statements import (
    IncentiveAdjustmentIn,
    IncentivePeriodOut,
    PayrollExportQuery,
    StatementLineDetailOut,
    StatementLineOut,
    StatementOut,
    StatementPageQuery,
    StatementQuery,
)

router = Router(tags=["incentives"])


def line_out(item) -> dict:
    line = item.line
    explanation = line.explanation if isinstance(line.explanation, dict) else {}
    inputs = explanation.get("inputs")
    if not inputs and line.settles_id:
        inputs = (line.settles.explanation or {}).get("inputs")
    version = line.plan_version
    return {
        "id": line.pk,
        "month": statements.month_key(line.period),
        "kind": line.kind,
        "kind_label": str(line.get_kind_display()),
        "state": item.state,
        "state_text": str(item.state_text),
        "settled_in": statements.month_key(item.settled_in) if item.settled_in else None,
        "tranche": line.tranche,
        "amount": line.amount,
        "base": line.base,
        "coefficient": line.coefficient,
        "percent": line.percent,
        "plan": version.plan.name if version else None,
        "plan_version": version.number if version else None,
        "formula": line.formula,
        "condition": item.condition,
        "due_on": line.due_on,
        "reason": line.reason,
        "approved_by": line.approved_by.label if line.approved_by_id else None,
        "inputs": inputs or {},
        "explanation": explanation,
        "records": [r.__dict__ for r in item.records],
        "url": reverse("incentives:line", args=[line.pk]),
    }


def statement_out(found) -> dict:
    rep = found.rep
    return {
        "rep_id": rep.pk,
        "rep": rep.label,
        "team": rep.team.name if rep.team_id else None,
        "month": found.key,
        "locked": found.locked,
        "locked_at": found.period.locked_at if found.period else None,
        "payable": found.payable,
        "pending": found.pending,
        "forfeited": found.forfeited,
        "coefficient": found.coefficient,
        "groups": [
            {
                "kind": g.kind,
                "label": g.label,
                "payable": g.payable,
                "pending": g.pending,
                "forfeited": g.forfeited,
                "count": g.count,
                "lines": [line_out(item) for item in g.lines],
            }
            for g in found.groups
        ],
        "earlier_pending_count": found.earlier_count,
        "earlier_pending_amount": found.earlier_amount,
        "earlier_pending": [line_out(item) for item in found.earlier],
        "line_count": found.line_count,
        "page": found.page,
        "pages": found.pages,
    }


def period_out(row) -> dict:
    period = row.period
    return {
        "month": row.key,
        "state": period.state if period else "open",
        "locked_at": period.locked_at if period else None,
        "locked_by": period.locked_by.label if period and period.locked_by else None,
        **row.totals,
    }


@router.get("/incentives/statements/me", response=StatementOut, summary="My statement")
def my_statement(request, query: Query[StatementQuery]):
    """My payout statement for ``month`` (``YYYY-MM``; default: this month)."""
    month = statements.parse_month(query.month)
    found = statements.statement_for(
        request.user, request.user.pk, month, page=query.page, kind=query.kind
    )
    return statement_out(found)


@router.get("/incentives/statements/{rep_id}/{month}", response=StatementOut, summary="A statement")
def rep_statement(request, rep_id: int, month: str, query: Query[StatementPageQuery]):
    """A rep's statement of ``month``: their own, their team's for a manager, anyone's for
    finance, directors and admins (404 otherwise); ``page`` and ``kind`` as for mine."""
    found = statements.statement_for(
        request.user, rep_id, statements.parse_month(month), page=query.page, kind=query.kind
    )
    return statement_out(found)


@router.get("/incentives/lines/{line_id}", response=StatementLineDetailOut, summary="One line")
def line_detail(request, line_id: int):
    """One ledger line with everything behind it: event, settlement, source and derived
    lines, adjustments to it, the coefficient of its month."""
    found = statements.line_detail(request.user, line_id)
    maybe = lambda item: line_out(item) if item else None  # noqa: E731
    return {
        "line": line_out(found.item),
        "rep_id": found.item.line.rep_id,
        "rep": found.item.line.rep.label,
        "event": found.event,
        "settlement": maybe(found.settlement),
        "settles": maybe(found.settles),
        "source_line": maybe(found.source),
        "derived": [line_out(d) for d in found.derived],
        "adjustments": [line_out(d) for d in found.adjustments],
        "coefficient": found.factors,
    }


@router.get("/incentives/periods", response=list[IncentivePeriodOut], summary="Payout months")
def period_list(request):
    """The last 12 months and every approved one, with totals and state (finance,
    directors, admins)."""
    return [period_out(row) for row in periods.months(request.user)]


@router.post(
    "/incentives/periods/{month}/approve",
    response={200: IncentivePeriodOut},
    summary="Approve and lock a month",
)
def period_approve(request, month: str):
    """Finance approves ``month`` and locks it (403 for anyone else; 409 when already
    approved, naming when and by whom)."""
    parsed = statements.parse_month(month)
    try:
        periods.approve(parsed, by=request.user)
    except periods.PeriodLocked as exc:
        return error_response(request, 409, "conflict", exc.message_dict["month"][0], "month")
    return period_out(periods.month_row(request.user, parsed))


@router.post(
    "/incentives/adjustments", response={201: StatementLineOut}, summary="Write an adjustment"
)
def adjustment_create(request, payload: IncentiveAdjustmentIn):
    """Finance writes an adjustment line (reason required, amount ≠ 0, a rep with a
    statement) into the first open month from today."""
    line = adjustments.create(by=request.user, **payload.dict())
    found = statements.explain([statements.lines_qs().get(pk=line.pk)])[0]
    return Status(201, line_out(found))


@router.get(
    "/incentives/periods/{month}/export",
    response={200: None},
    summary="Payroll export of a month",
)
def period_export(request, month: str, query: Query[PayrollExportQuery]):
    """The month for payroll: ``format=xlsx`` (Summary and Lines sheets) or ``csv`` (the
    summary); 409 when the totals do not add up."""
    parsed = statements.parse_month(month)
    fmt = query.format if query.format in payroll.FORMATS else None
    if fmt is None:
        message = _("Choose the export format: xlsx or csv.")
        return error_response(request, 422, "validation_error", message, "format")
    try:
        return payroll.response(request.user, parsed, fmt)
    except payroll.TotalsMismatch as exc:
        return error_response(request, 409, "conflict", exc.message_dict["month"][0], "month")
