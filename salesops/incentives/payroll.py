"""The payroll export of a month (SPEC I7): Excel (two sheets) or CSV (the summary).

* ``汇总/Summary``: one row per rep — rep, team, payable by kind, total — then a totals row;
* ``明细/Lines``: every line of the month with its state, base, formula, coefficient,
  condition and reason.

Before anything is sent the totals are checked three ways — Σ of the rep rows (grouped by
rep and kind), Σ of the month's earned lines (one aggregate) and Σ of the earned lines as
written to the Lines sheet; if they differ the export is refused (``TotalsMismatch``, a
409) rather than handing payroll a sheet that does not add up. Text cells that a
spreadsheet would run as a formula are neutralised, as ``core.exports`` does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _

from salesops.core.money import to_money

from . import ledger
from .models import LedgerLine, LineKind, LineState
from .periods import can_read
from .statements import month_key

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUMMARY_SHEET = "汇总 Summary"
LINES_SHEET = "明细 Lines"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TotalsMismatch(ValidationError):
    """The rep rows do not add up to the month's payable lines (a 409)."""


def safe_text(value) -> str:
    """Text a spreadsheet shows rather than runs (a leading apostrophe before = + - @)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass
class Summary:
    month: dt.date
    kinds: list[tuple[str, str]]
    rows: list[dict]
    totals: dict[str, Decimal]
    total: Decimal

    @property
    def totals_list(self) -> list[Decimal]:
        return [self.totals[k] for k, _label in self.kinds]


def require_reader(user) -> None:
    if not can_read(user):
        raise PermissionDenied(_("Only finance, directors and admins export payout months."))


def summary(month: dt.date) -> Summary:
    """One row per rep with payable by kind, a totals row, and the check."""
    month = ledger.month_of(month)
    grouped = (
        LedgerLine.objects.filter(period=month, state=LineState.EARNED)
        .values("rep_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    per_rep: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in grouped:
        per_rep[row["rep_id"]][row["kind"]] = to_money(row["total"])
    used = {kind for kinds in per_rep.values() for kind in kinds}
    kinds = [(k, str(label)) for k, label in LineKind.choices if k in used]
    reps = (
        get_user_model()
        .objects.filter(pk__in=list(per_rep))
        .select_related("team")
        .order_by("team__name", "display_name", "username", "pk")
    )
    rows, totals = [], {k: Decimal("0.00") for k, _label in kinds}
    for rep in reps:
        amounts = per_rep[rep.pk]
        for kind, value in amounts.items():
            totals[kind] += value
        rows.append(
            {
                "rep": rep,
                "amounts": [amounts.get(k, Decimal("0.00")) for k, _label in kinds],
                "total": to_money(sum(amounts.values(), Decimal(0))),
            }
        )
    grand = to_money(sum((row["total"] for row in rows), Decimal(0)))
    earned = LedgerLine.objects.filter(period=month).aggregate(
        s=Sum("amount", filter=Q(state=LineState.EARNED))
    )["s"]
    _check(month, grand, to_money(earned or 0))
    return Summary(month=month, kinds=kinds, rows=rows, totals=totals, total=grand)


def _check(month: dt.date, reps_total: Decimal, lines_total: Decimal) -> None:
    if reps_total != lines_total:
        raise TotalsMismatch(
            {
                "month": _(
                    "The export of %(month)s does not add up: the reps' totals make "
                    "%(reps)s but the payable lines %(lines)s. Nothing was exported; ask "
                    "an administrator to check the ledger."
                )
                % {"month": month_key(month), "reps": reps_total, "lines": lines_total}
            },
            code="totals_mismatch",
        )


def _headers(data: Summary) -> list[str]:
    return [_("Rep"), _("Username"), _("Team"), *[label for _k, label in data.kinds], _("Total")]


def _summary_rows(data: Summary):
    for row in data.rows:
        rep = row["rep"]
        team = rep.team.name if rep.team_id else ""
        yield [
            safe_text(rep.label),
            safe_text(rep.username),
            safe_text(team),
            *row["amounts"],
            row["total"],
        ]
    yield [_("Total"), "", "", *[data.totals[k] for k, _l in data.kinds], data.total]


def _line_headers() -> list[str]:
    return [
        _("Line"), _("Rep"), _("Kind"), _("State"), _("Tranche"), _("Amount"), _("Base"),
        _("Coefficient"), _("Share (%)"), _("Plan version"), _("Formula"),
        _("Release condition"), _("Due on"), _("Contract"), _("Reason"), _("Approved by"),
    ]  # fmt: skip


def _lines(month: dt.date):
    """Every line of the month, as rows, and the Σ of the earned ones (filled as read)."""
    kinds, states = dict(LineKind.choices), {k: str(v) for k, v in LineState.choices}
    qs = (
        LedgerLine.objects.filter(period=month)
        .select_related("rep", "plan_version__plan", "contract", "approved_by")
        .order_by("rep_id", "pk")
    )
    seen = {"earned": Decimal("0.00")}

    def rows():
        for line in qs.iterator(chunk_size=2000):
            if line.state == LineState.EARNED:
                seen["earned"] += line.amount
            version = (
                f"{line.plan_version.plan.name} v{line.plan_version.number}"
                if line.plan_version_id
                else ""
            )
            yield [
                line.pk,
                safe_text(line.rep.label),
                str(kinds.get(line.kind, line.kind)),
                states.get(line.state, line.state),
                line.tranche,
                line.amount,
                line.base if line.base is not None else "",
                line.coefficient if line.coefficient is not None else "",
                line.percent if line.percent is not None else "",
                safe_text(version),
                safe_text(line.formula),
                safe_text(line.condition),
                line.due_on.isoformat() if line.due_on else "",
                safe_text(line.contract.number if line.contract_id else ""),
                safe_text(line.reason),
                safe_text(line.approved_by.label if line.approved_by_id else ""),
            ]

    return rows, seen


def xlsx(user, month: dt.date):
    """The workbook as an open temporary file (the response closes it)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    require_reader(user)
    data = summary(month)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet, names):
        cells = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    sheet = book.create_sheet(SUMMARY_SHEET)
    header(sheet, _headers(data))
    for row in _summary_rows(data):
        sheet.append(row)
    lines = book.create_sheet(LINES_SHEET)
    header(lines, _line_headers())
    rows, seen = _lines(data.month)
    for row in rows():
        lines.append(row)
    _check(data.month, data.total, to_money(seen["earned"]))
    book.save(handle)
    handle.seek(0)
    return handle


def csv_text(user, month: dt.date) -> str:
    """The summary sheet as CSV (UTF-8 with a byte-order mark, for Excel)."""
    require_reader(user)
    data = summary(month)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(_headers(data))
    for row in _summary_rows(data):
        writer.writerow(row)
    return out.getvalue()


def filename(month: dt.date, fmt: str) -> str:
    return f"payroll-{month_key(month)}.{fmt}"


def response(user, month: dt.date, fmt: str):
    """The download (``fmt`` one of :data:`FORMATS`) for the page and the API; raises
    :class:`TotalsMismatch` when the totals do not add up."""
    if fmt == "csv":
        reply = HttpResponse(csv_text(user, month), content_type=FORMATS["csv"])
        reply["Content-Disposition"] = f'attachment; filename="{filename(month, "csv")}"'
        return reply
    return FileResponse(
        xlsx(user, month),
        as_attachment=True,
        filename=filename(month, "xlsx"),
        content_type=FORMATS["xlsx"],
    )
