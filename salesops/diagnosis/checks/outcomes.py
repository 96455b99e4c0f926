"""The checks that read the outcome board's metrics (see ``outcomes_link``): data
completeness and active use, and the over-collection guard (O3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from salesops.core.exports import RowList

from .. import outcomes_link
from .base import PERCENT, Check, Measure, url_or_none


class DataUse(Check):
    code = "data_use"
    title = _("Data completeness and active use")
    definition = _(
        "The lower of two shares: required and recommended customer-record fields filled, and "
        "licensed users active in the window (from the outcome board)."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(80), Decimal(60)
    fix_label = _("Custom fields and form layouts")
    columns = []

    def measure(self, scope, ctx):
        start, end = ctx.window_start, ctx.now
        filled = outcomes_link.completeness(scope, start, end)
        active = outcomes_link.active_use(scope, start, end)
        if filled is None or active is None:
            # no record created in the window, or no licensed user: no data, no light
            return Measure(None, note=str(_("No records or licensed users in the window.")))
        value = min(Decimal(filled[0]), Decimal(active[0])).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return Measure(value, filled[0], active[0])

    def records(self, scope, ctx):
        return RowList([])

    def fix_url(self, ctx=None):
        return url_or_none("customization:definition_list")
