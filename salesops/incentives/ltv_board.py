"""The LTV leaderboard (SPEC I6, from C4): per rep, the customers in their customer group,
their individual LTV (Σ of the accounts' stored :class:`AccountValue` totals) and the
average LTV per customer, ranked by each.

- **Customer group**: the accounts a rep owns that have a signed contract (an account
  never signed is a prospect, not a customer: counting it would lower the average of the
  reps who register their prospects). An account whose value has not been computed yet
  counts with 0.
- **Period** (a cohort): the customers whose *first* signed contract fell in the month
  (``2026-07``), quarter (``2026-Q3``) or year (``2026``); empty or ``all`` = every
  customer.
- **Team**: the reps of a team and the teams below it.
- **Ranks**: competition ranks (1, 2, 2, 4) over everyone the filter ranks, by total and
  by average. The viewer sees the rows the ranking visibility allows, as for KPI
  (:func:`salesops.kpi.permissions.ranking_names`): always their own row and rank; a
  manager their team's; directors, finance and admins everyone's; a rep the others of
  their team or of the organisation when Settings · KPI says so. ``total`` is always the
  number ranked.

Two queries: one grouped query over the accounts (with the cohort's grouped subquery over
the contracts), one for the reps' names and teams.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Min, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core.money import to_money
from salesops.customers.models import Account
from salesops.kpi import periods
from salesops.kpi.permissions import SCORED_ROLES, ranking_names
from salesops.org.models import Team, User
from salesops.reports.ltv import current_formula
from salesops.revenue.models import SIGNED_STATUSES, Contract

from . import permissions

ZERO = Decimal("0.00")
SORTS = {"total": gettext_lazy("Total LTV"), "average": gettext_lazy("Average LTV")}
CHART_TOP = 20
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Cohort:
    """The customers' first-signing period: ``start``/``end`` ``None`` for all."""

    key: str
    kind: str  # all | month | quarter | year
    start: dt.date | None = None
    end: dt.date | None = None


def parse_cohort(value: str | None) -> Cohort:
    """``YYYY-MM``, ``YYYY-Qn``, ``YYYY``, or empty/``all`` for every customer; anything
    else is a ValidationError naming ``period``."""
    text = (value or "").strip()
    if text.lower() in ("", "all"):
        return Cohort("all", "all")
    month, quarter, year = _MONTH.match(text), _QUARTER.match(text), _YEAR.match(text)
    found = month or quarter or year
    if found and 2000 <= int(found.group(1)) <= 2100:
        y = int(found.group(1))
        if month and 1 <= int(month.group(2)) <= 12:
            start, end = periods.month_bounds(dt.date(y, int(month.group(2)), 1))
            return Cohort(f"{start:%Y-%m}", "month", start, end)
        if quarter:
            start, end = periods.quarter_bounds(dt.date(y, int(quarter.group(2)) * 3, 1))
            return Cohort(f"{y}-Q{quarter.group(2)}", "quarter", start, end)
        if year:
            return Cohort(str(y), "year", dt.date(y, 1, 1), dt.date(y, 12, 31))
    message = _(
        "Enter the period as a month (2026-07), a quarter (2026-Q3), a year (2026) or "
        "“all”, not “%(value)s”."
    ) % {"value": text[:20]}
    raise ValidationError({"period": message}, code="invalid")


def parse_sort(value: str | None) -> str:
    sort = (value or "total").strip()
    if sort not in SORTS:
        raise ValidationError(
            {"sort": _("Sort by “total” or “average”, not “%(value)s”.") % {"value": sort[:20]}}
        )
    return sort


def parse_team(value) -> Team | None:
    if value in (None, ""):
        return None
    team = Team.objects.filter(pk=int(value)).first() if str(value).isdigit() else None
    if team is None:
        raise ValidationError(
            {"team": _("Choose one of the organisation's teams, or none for everyone.")}
        )
    return team


@dataclass
class BoardRow:
    rep_id: int
    name: str
    username: str
    team_id: int | None
    team: str
    accounts: int
    total: Decimal
    average: Decimal
    rank_total: int = 0
    rank_average: int = 0
    is_me: bool = False


@dataclass
class Board:
    cohort: Cohort
    team: Team | None
    sort: str
    rows: list[BoardRow]  # the rows the viewer may see (searched), in ``sort`` order
    total: int  # how many reps the filter ranks
    names: str  # whose names the viewer sees: "all", "team" or "own"
    me: BoardRow | None = None
    formula_version: int = 0
    search: str = ""
    teams: list[Team] = field(default_factory=list)

    @property
    def chart(self) -> dict:
        """The top 20 of the visible rows for the bar chart (money as strings)."""
        top = self.rows[:CHART_TOP]
        return {
            "labels": [r.name for r in top],
            "sort": self.sort,
            "series": [
                {"name": str(SORTS["total"]), "data": [str(r.total) for r in top]},
                {"name": str(SORTS["average"]), "data": [str(r.average) for r in top]},
            ],
        }


def customers(*, cohort: Cohort, team: Team | None = None):
    """The accounts the board ranks: customers of active reps and managers, of ``team``'s
    subtree, first signed in ``cohort``."""
    accounts = Account.objects.filter(owner__is_active=True, owner__role__in=SCORED_ROLES)
    if team is not None:
        accounts = accounts.filter(owner__team__path__startswith=team.path)
    signed = Contract.objects.filter(status__in=SIGNED_STATUSES, signed_on__isnull=False)
    if cohort.start is None:
        return accounts.filter(pk__in=signed.values("account_id"))
    first_in_cohort = (
        signed.order_by()
        .values("account_id")
        .annotate(first=Min("signed_on"))
        .filter(first__gte=cohort.start, first__lte=cohort.end)
        .values("account_id")
    )
    return accounts.filter(pk__in=first_in_cohort)


def competition_ranks(values: list[tuple[int, Decimal]]) -> dict[int, int]:
    """``{key: rank}`` for ``(key, value)`` pairs, highest value first; ties share a rank
    and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(values, key=lambda kv: kv[1], reverse=True)
    ranks, previous, rank = {}, None, 0
    for position, (key, value) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


def _rows(accounts) -> list[BoardRow]:
    grouped = list(
        accounts.order_by()
        .values("owner_id")
        .annotate(
            n=Count("id"),
            ltv=Coalesce(
                Sum("ltv__total"),
                Value(ZERO),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
        )
    )
    people = User.objects.select_related("team").in_bulk([g["owner_id"] for g in grouped])
    rows = []
    for g in grouped:
        user = people[g["owner_id"]]
        total = to_money(g["ltv"])
        rows.append(
            BoardRow(
                rep_id=user.pk,
                name=user.label,
                username=user.username,
                team_id=user.team_id,
                team=user.team.name if user.team else "",
                accounts=g["n"],
                total=total,
                average=to_money(total / g["n"]),
            )
        )
    return rows


def names_shown(viewer) -> str:
    """Whose rows ``viewer`` sees besides the ones they see anyway: "all", "team" or
    "own" (a manager's "team" is the team they manage)."""
    if viewer.sees_everything or ranking_names(viewer, scope="org"):
        return "all"
    if viewer.is_manager_role or ranking_names(viewer, scope="team"):
        return "team"
    return "own"


def _shown(viewer, rows: list[BoardRow], names: str) -> list[BoardRow]:
    if names == "all":
        return rows
    visible = set(permissions.visible_rep_ids(viewer) or [])
    visible.add(viewer.pk)
    same_team = names == "team" and not viewer.is_manager_role and viewer.team_id is not None
    return [r for r in rows if r.rep_id in visible or (same_team and r.team_id == viewer.team_id)]


def board(
    viewer,
    *,
    period: str | None = None,
    team=None,
    sort: str | None = None,
    search: str = "",
) -> Board:
    """The leaderboard ``viewer`` sees. A bad ``period``, ``team`` or ``sort`` is a
    ValidationError naming it (every problem at once)."""
    errors: dict = {}

    def parsed(parse, value):
        try:
            return parse(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            return None

    cohort, chosen, order = (
        parsed(parse_cohort, period),
        parsed(parse_team, team),
        parsed(parse_sort, sort),
    )
    if errors:
        raise ValidationError(errors)
    rows = _rows(customers(cohort=cohort, team=chosen))
    by_total = competition_ranks([(r.rep_id, r.total) for r in rows])
    by_average = competition_ranks([(r.rep_id, r.average) for r in rows])
    for r in rows:
        r.rank_total, r.rank_average = by_total[r.rep_id], by_average[r.rep_id]
        r.is_me = r.rep_id == viewer.pk
    names = names_shown(viewer)
    shown = _shown(viewer, rows, names)
    rank = (lambda r: r.rank_total) if order == "total" else (lambda r: r.rank_average)
    shown.sort(key=lambda r: (rank(r), r.name, r.rep_id))
    me = next((r for r in shown if r.is_me), None)
    needle = (search or "").strip().lower()
    if needle:
        shown = [
            r
            for r in shown
            if needle in r.name.lower() or needle in r.username.lower() or needle in r.team.lower()
        ]
    return Board(
        cohort=cohort,
        team=chosen,
        sort=order,
        rows=shown,
        total=len(rows),
        names=names,
        me=me,
        formula_version=current_formula()[0],
        search=search or "",
        teams=list(Team.objects.order_by("path")),
    )


def period_choices(today: dt.date) -> list[tuple[str, str]]:
    """``(value, label)`` choices of the period picker: all, the last three years, their
    quarters up to this one and the last twelve months."""
    choices = [("all", str(_("All customers")))]
    for year in range(today.year, today.year - 3, -1):
        choices.append((str(year), str(year)))
        for q in range(4, 0, -1):
            if dt.date(year, q * 3 - 2, 1) <= today:
                choices.append((f"{year}-Q{q}", f"{year} Q{q}"))
    month = today.replace(day=1)
    for _i in range(12):
        choices.append((f"{month:%Y-%m}", f"{month:%Y-%m}"))
        month = periods.add_months(month, -1)
    return choices
