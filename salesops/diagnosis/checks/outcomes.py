"""The checks that read the outcome board's metrics (see ``outcomes_link``): data
completeness and active use, and the over-collection guard (O3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
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
    columns = [
        (_("User"), lambda r: r["user"]),
        (_("Active use %"), lambda r: r["active"]),
        (_("Record completeness %"), lambda r: r["filled"]),
    ]

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
        """The licensed users below the healthy threshold on either share, worst first."""
        green = ctx.green(self)
        shares = outcomes_link.per_user(scope, ctx.window_start, ctx.now)
        names = {
            pk: name or username
            for pk, name, username in get_user_model()
            .objects.filter(pk__in=list(shares))
            .values_list("pk", "display_name", "username")
        }
        rows = []
        for pk, share in shares.items():
            low = [v for v in (share["active"], share["filled"]) if v is not None]
            if low and min(low) < green:
                rows.append(
                    {"pk": pk, "user": names.get(pk) or str(pk), **share, "worst": min(low)}
                )
        rows.sort(key=lambda r: (r["worst"], r["user"]))
        return RowList(rows)

    def fix_url(self, ctx=None):
        return url_or_none("customization:definition_list")
