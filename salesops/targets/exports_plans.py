"""The Excel export of a plan: summary, calibration (with the monthly history),
scenarios with their factors, and the vote (counts, as far as the reader may see them;
never who voted for what)."""

from __future__ import annotations

import tempfile
from decimal import Decimal

from django.http import FileResponse
from django.utils.translation import gettext as _

from salesops.core.exports import FORMATS, export_filename

from . import selectors


def _writer(sheet, bold, money):
    def write(row, col, value, header=False):
        if value is None:
            sheet.write_blank(row, col, None)
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            sheet.write_number(row, col, value, money if isinstance(value, Decimal) else None)
        else:
            sheet.write_string(row, col, str(value), bold if header else None)

    return write


def plan_workbook(user, plan):
    import xlsxwriter

    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    book = xlsxwriter.Workbook(handle)
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    calibration = plan.calibration

    sheet = book.add_worksheet(_("Summary")[:31])
    write = _writer(sheet, bold, money)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 24)
    rows = [
        (_("Name"), plan.name),
        (_("Fiscal year"), plan.fiscal_year),
        (_("Team"), str(plan.team)),
        (_("Product line"), plan.product_line or _("All product lines")),
        (_("Measure"), plan.get_measure_display()),
        (_("State"), plan.get_state_display()),
        (_("Target pool"), plan.pool),
        (_("Chosen scenario"), str(plan.baseline) if plan.baseline else ""),
        (_("Baseline"), plan.baseline_amount),
        (_("Version in force"), plan.version),
    ]
    for i, (label, value) in enumerate(rows):
        write(i, 0, label, header=True)
        write(i, 1, value)

    sheet = book.add_worksheet(_("Calibration")[:31])
    write = _writer(sheet, bold, money)
    sheet.set_column(0, 2, 22)
    rows = [
        (_("Historical source"), calibration.historical),
        (_("Market source"), calibration.market),
        (_("Bidding index"), calibration.bidding_index),
        (_("Top reps"), calibration.top_n),
        (_("Top reps' mean monthly result"), calibration.top_monthly),
        (_("Headcount"), calibration.headcount),
        (_("Utilisation"), calibration.utilisation),
        (_("Manpower source"), calibration.manpower),
        (_("Pool formula"), calibration.formula),
        (_("Initial pool"), calibration.pool),
    ]
    for i, (label, value) in enumerate(rows):
        write(i, 0, label, header=True)
        write(i, 1, value)
    start = len(rows) + 1
    for col, header in enumerate((_("Month"), _("Amount"), _("Seasonal index"))):
        write(start, col, header, header=True)
    seasonal = list(calibration.seasonal_index)
    for i, month in enumerate(calibration.history_months):
        write(start + 1 + i, 0, month["month"])
        write(start + 1 + i, 1, Decimal(month["amount"]))
        write(start + 1 + i, 2, Decimal(str(seasonal[i])) if i < len(seasonal) else None)

    sheet = book.add_worksheet(_("Scenarios")[:31])
    write = _writer(sheet, bold, money)
    sheet.set_column(0, 9, 16)
    factor_names = ("pool", "pipeline", "win_rate", "cycle_days", "chain_maturity")
    headers = (_("Code"), _("Name"), _("Formula"), _("Result"), *factor_names)
    for col, header in enumerate(headers):
        write(0, col, header, header=True)
    for i, scenario in enumerate(selectors.scenarios(plan), start=1):
        write(i, 0, scenario.code)
        write(i, 1, f"{scenario.name_zh} / {scenario.name_en}")
        write(i, 2, scenario.formula)
        write(i, 3, scenario.result)
        for j, name in enumerate(factor_names):
            value = scenario.factors.get(name)
            write(i, 4 + j, Decimal(value) if value is not None else None)

    sheet = book.add_worksheet(_("Votes")[:31])
    write = _writer(sheet, bold, money)
    sheet.set_column(0, 1, 20)
    summary = selectors.vote_summary(user, plan)
    write(0, 0, _("Scenario"), header=True)
    write(0, 1, _("Votes"), header=True)
    for i, scenario in enumerate(selectors.scenarios(plan), start=1):
        write(i, 0, str(scenario))
        counts = summary["counts"]
        write(
            i,
            1,
            counts.get(scenario.pk, 0) if counts is not None else _("hidden until the vote closes"),
        )

    book.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(f"target-plan-{plan.pk}", "xlsx"),
        content_type=FORMATS["xlsx"],
    )
