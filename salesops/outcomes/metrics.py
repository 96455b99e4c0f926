"""The result metrics of the outcome board (issue 21), computed from the real records.

Public API (also used by the diagnosis): one function per metric,
``metric(scope, start, end) -> MetricValue`` where ``scope`` is a :class:`Scope` (the
organisation, a team subtree or a rep) and ``[start, end)`` a window of local dates; each
has its definition beside it as a translated string (``<NAME>_DEFINITION``), shown on
the board. :data:`METRICS` lists them in board order; :func:`compute_parts` gives one
metric's per-owner parts for every owner at once (grouped queries, never one per rep),
which the weekly snapshot folds into the organisation, each team and each rep.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from salesops.activities.models import Activity, ActivityRollup
from salesops.aftersales.models import Complaint
from salesops.core import calendar, clock
from salesops.customers.models import Account, Contact
from salesops.exchange.models import ImportRow, RowStatus
from salesops.kpi.models import ClaimState, PointClaim, PointKind
from salesops.leads.models import Lead
from salesops.org.models import Role, User
from salesops.pipeline.models import Deal, DealStatus
from salesops.reports import forecast_snapshots

from . import quality
from .models import OutcomePolicy, SeenDay
from .quality import placeholder_fields  # noqa: F401 - part of the public API
from .values import MetricValue, Part, Scope  # noqa: F401 - part of the public API
from .windows import instant

# --- metrics ---------------------------------------------------------------------


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return instant(start), instant(end)


def _owned(rows, path: str, owner_ids):
    return rows if owner_ids is None else rows.filter(**{f"{path}__in": owner_ids})


# --- folding parts into a value ------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[index]


def fold(metric: Metric, part: Part) -> MetricValue:
    detail = dict(part.extra)
    if metric.fold == "median":
        if not part.samples:
            return MetricValue(None, 0, None, detail)
        detail.update(
            p90=round(_percentile(part.samples, 0.9), 2),
            mean=round(statistics.fmean(part.samples), 2),
        )
        return MetricValue(
            round(statistics.median(part.samples), 2), len(part.samples), None, detail
        )
    if metric.fold == "count":
        return MetricValue(part.num, part.num, None, detail)
    if metric.fold == "accuracy":
        if not part.num and not part.den:
            return MetricValue(None, 0, 0, detail)
        value = forecast_snapshots.accuracy(Decimal(str(part.num)), Decimal(str(part.den)))
        return MetricValue(value, round(part.num, 2), round(part.den, 2), detail)
    # ratio
    if not part.den:
        return MetricValue(None, part.num, part.den, detail)
    return MetricValue(round(part.num / part.den * metric.scale, 2), part.num, part.den, detail)


# --- the metrics' parts: each ``fn(start, end, owner_ids) -> {owner id: Part}`` -------


def _followup_parts(start, end, owner_ids):
    """Leads whose first effective touch fell in the window: intake → that touch."""
    since, until = _window(start, end)
    earlier = Activity.objects.filter(
        lead_id=OuterRef("lead_id"), effective=True, started_at__lt=since
    )
    rows = (
        _owned(Activity.objects.all(), "lead__owner_id", owner_ids)
        .filter(effective=True, lead__isnull=False, started_at__gte=since, started_at__lt=until)
        .filter(~Exists(earlier))
        .order_by()
        .values("lead_id", "lead__owner_id", "lead__created_at")
        .annotate(first=Min("started_at"))
    )
    parts: dict = defaultdict(Part)
    for row in rows:
        if row["first"] < row["lead__created_at"]:
            continue  # a touch logged before the lead existed (imported history)
        days = calendar.working_days_elapsed(row["lead__created_at"], row["first"])
        parts[row["lead__owner_id"]].samples.append(days)
    return parts


def _sla_parts(start, end, owner_ids):
    """Leads taken in during the window whose first-response clock has been decided
    (contacted, or the deadline passed)."""
    since, until = _window(start, end)
    now = clock.now()
    decided = Q(first_contact_at__isnull=False) | Q(sla_due_at__lte=now)
    rows = (
        _owned(Lead.objects.all(), "owner_id", owner_ids)
        .filter(created_at__gte=since, created_at__lt=until, sla_due_at__isnull=False)
        .order_by()
        .values("owner_id")
        .annotate(
            den=Count("pk", filter=decided),
            num=Count("pk", filter=Q(first_contact_at__lte=F("sla_due_at"))),
        )
    )
    return {r["owner_id"]: Part(num=r["num"], den=r["den"]) for r in rows}


def _untouched_parts(start, end, owner_ids):
    """Leads taken in during the window (and at least the policy's hours ago) with no
    first contact within those hours."""
    hours = dt.timedelta(hours=OutcomePolicy.current().untouched_hours)
    since, until = _window(start, end)
    until = min(until, clock.now() - hours)
    rows = (
        _owned(Lead.objects.all(), "owner_id", owner_ids)
        .filter(created_at__gte=since, created_at__lt=until)
        .order_by()
        .values("owner_id")
        .annotate(
            den=Count("pk"),
            num=Count(
                "pk",
                filter=Q(first_contact_at__isnull=True)
                | Q(first_contact_at__gt=F("created_at") + hours),
            ),
        )
    )
    return {r["owner_id"]: Part(num=r["num"], den=r["den"]) for r in rows}


def forecast_month(end: dt.date) -> dt.date:
    """The latest close month ended by the window's last day."""
    last = end - dt.timedelta(days=1)
    if last == forecast_snapshots.month_end(last.replace(day=1)):
        return last.replace(day=1)
    return (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _forecast_parts(start, end, owner_ids):
    month = forecast_month(end)
    weeks = OutcomePolicy.current().forecast_weeks
    report = forecast_snapshots.accuracy_report(month=month, weeks=weeks, owner_ids=owner_ids)
    parts = {}
    for row in report.owners:
        if row.owner is not None:
            parts[row.owner.pk] = Part(num=float(row.actual), den=float(row.forecast))
    return parts


def _sales_cycle_parts(start, end, owner_ids):
    """Deals won in the window: from the lead's intake (or the deal's creation when it
    has no lead) to the win, in calendar days."""
    since, until = _window(start, end)
    rows = (
        _owned(Deal.objects.all(), "owner_id", owner_ids)
        .filter(status=DealStatus.WON, closed_at__gte=since, closed_at__lt=until)
        .order_by()
        .values_list("owner_id", "created_at", "lead__created_at", "closed_at")
    )
    parts: dict = defaultdict(Part)
    for owner_id, created, lead_created, closed in rows:
        begin = min(created, lead_created) if lead_created else created
        parts[owner_id].samples.append(round((closed - begin).total_seconds() / 86400, 2))
    return parts


def _licensed(end, owner_ids):
    # The users active now (a licence is a seat): past weeks are measured against today's
    # seats, since nothing records when a seat was taken or given up.
    users = User.objects.filter(is_active=True)
    return _owned(users, "pk", owner_ids).values_list("pk", flat=True)


def _seen(start, end, owner_ids) -> dict[int, set[dt.date]]:
    """The days each user used SalesOps: a day seen (middleware) or a day with an activity
    of theirs, by the local day it took place — read from the activity rollup (a few rows
    per rep and day) rather than a month of raw activities."""
    days: dict = defaultdict(set)
    for user_id, day in (
        _owned(SeenDay.objects.all(), "user_id", owner_ids)
        .filter(day__gte=start, day__lt=end)
        .values_list("user_id", "day")
    ):
        days[user_id].add(day)
    logged = (
        _owned(ActivityRollup.objects.all(), "owner_id", owner_ids)
        .filter(day__gte=start, day__lt=end, activities__gt=0)
        .order_by()
        .values_list("owner_id", "day")
        .distinct()
    )
    for user_id, day in logged:
        days[user_id].add(day)
    return days


def _dau_parts(start, end, owner_ids):
    """Per licensed (active) user: working days seen ÷ working days in the window."""
    workdays = {
        start + dt.timedelta(days=i)
        for i in range((end - start).days)
        if calendar.is_workday(start + dt.timedelta(days=i))
    }
    seen = _seen(start, end, owner_ids)
    return {
        pk: Part(num=len(seen.get(pk, set()) & workdays), den=len(workdays))
        for pk in _licensed(end, owner_ids)
    }


def _wau_parts(start, end, owner_ids):
    """Per licensed (active) user: 1 when seen on any day of the window."""
    seen = _seen(start, end, owner_ids)
    return {pk: Part(num=1 if seen.get(pk) else 0, den=1) for pk in _licensed(end, owner_ids)}


def _completeness_parts(start, end, owner_ids):
    policy = OutcomePolicy.current()
    parts: dict = defaultdict(Part)
    for entity in quality.ENTITIES:
        for owner, c in quality.completeness_parts(entity, start, end, owner_ids, policy).items():
            part = parts[owner]
            for which in quality.LISTS:
                part.num += c.filled[which]
                part.den += c.cells[which]
                key = f"{entity}_{which}"
                part.extra[f"{key}_filled"] = part.extra.get(f"{key}_filled", 0) + c.filled[which]
                part.extra[f"{key}_cells"] = part.extra.get(f"{key}_cells", 0) + c.cells[which]
    return parts


def _complaint_parts(start, end, owner_ids):
    """Complaints raised in the window per 100 accounts active (an activity in the
    policy's window of days before the window's end), by the account's owner."""
    days = OutcomePolicy.current().active_account_days
    since, until = _window(end - dt.timedelta(days=days), end)
    parts: dict = defaultdict(Part)
    active = (
        _owned(Activity.objects.all(), "account__owner_id", owner_ids)
        .filter(account__isnull=False, started_at__gte=since, started_at__lt=until)
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("account_id", distinct=True))
    )
    for row in active:
        parts[row["account__owner_id"]].den = row["n"]
    raised = (
        _owned(Complaint.objects.all(), "account__owner_id", owner_ids)
        .filter(raised_on__gte=start, raised_on__lt=end)
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("pk"))
    )
    for row in raised:
        parts[row["account__owner_id"]].num = row["n"]
    return parts


def _collaboration_parts(start, end, owner_ids):
    """Customer-success work asked for on the rep's accounts: activities customer-success
    people logged on them, plus the rep's collaboration point claims (not rejected)."""
    since, until = _window(start, end)
    parts: dict = defaultdict(Part)
    logged = (
        _owned(Activity.objects.all(), "account__owner_id", owner_ids)
        .filter(
            owner__role=Role.CUSTOMER_SUCCESS,
            account__isnull=False,
            started_at__gte=since,
            started_at__lt=until,
        )
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("pk"))
    )
    for row in logged:
        part = parts[row["account__owner_id"]]
        part.num += row["n"]
        part.extra["cs_activities"] = row["n"]
    claims = (
        _owned(PointClaim.objects.all(), "user_id", owner_ids)
        .filter(kind=PointKind.COLLABORATION, created_at__gte=since, created_at__lt=until)
        .exclude(state=ClaimState.REJECTED)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
    )
    for row in claims:
        part = parts[row["user_id"]]
        part.num += row["n"]
        part.extra["claims"] = row["n"]
    return parts


def _placeholder_parts(start, end, owner_ids):
    """Per owner, the values of the required completeness fields in records created in
    the window, and how many were placeholders or copied (``quality.placeholder_fields``);
    the detail keeps each field's three counts (``"<entity>.<field>:total"`` …)."""
    policy = OutcomePolicy.current()
    parts: dict = defaultdict(Part)
    for entity in quality.ENTITIES:
        for item in quality.placeholder_fields(entity, start, end, owner_ids, policy=policy):
            key = f"{entity}.{item.field}"
            for owner, (total, placeholders, copied) in item.per_rep.items():
                part = parts[owner]
                part.num += placeholders + copied
                part.den += total
                for name, count in (
                    ("total", total),
                    ("placeholders", placeholders),
                    ("copied", copied),
                ):
                    part.extra[f"{key}:{name}"] = part.extra.get(f"{key}:{name}", 0) + count
    return parts


ENTRY_MODELS = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "deal": Deal,
    "activity": Activity,
}


def _excel_parts(start, end, owner_ids):
    """Records created in the window (leads, accounts, contacts, deals, activities): the
    share that came from a committed Excel import, by who created them."""
    since, until = _window(start, end)
    parts: dict = defaultdict(Part)
    imported = (
        _owned(ImportRow.objects.all(), "job__created_by_id", owner_ids)
        .filter(
            committed=True,
            status=RowStatus.CREATE,
            job__entity__in=list(ENTRY_MODELS),
            job__committed_at__gte=since,
            job__committed_at__lt=until,
        )
        .order_by()
        .values("job__created_by_id")
        .annotate(n=Count("pk"))
    )
    for row in imported:
        parts[row["job__created_by_id"]].num = row["n"]
    created: dict = defaultdict(int)
    for model in ENTRY_MODELS.values():
        rows = (
            _owned(model.objects.all(), "created_by_id", owner_ids)
            .filter(created_at__gte=since, created_at__lt=until, created_by__isnull=False)
            .order_by()
            .values("created_by_id")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            created[row["created_by_id"]] += row["n"]
    for user_id in set(created) | set(parts):
        part = parts[user_id]
        # Imported records carry their creation time; an import of history does not.
        part.den = max(created.get(user_id, 0), part.num)
        part.extra["imported"] = part.num
        part.extra["entered"] = part.den - part.num
    return parts


# --- the registry --------------------------------------------------------------------

FOLLOWUP_DEFINITION = _(
    "Leads whose first effective touch fell in the week: working days from intake to that "
    "touch. The value is the median; p90 beside it."
)
SLA_DEFINITION = _(
    "Leads taken in during the week whose first-response deadline is decided: the share "
    "first contacted by the deadline."
)
UNTOUCHED_DEFINITION = _(
    "Leads taken in during the week: the share with no first contact within the hours set "
    "on Settings · Outcomes (48 by default)."
)
FORECAST_DEFINITION = _(
    "The latest closed month: 1 − |won − forecast| ÷ won, the forecast being the weighted "
    "pipeline of the snapshot the weeks set on Settings · Outcomes before the month's end."
)
SALES_CYCLE_DEFINITION = _(
    "Deals won in the week: calendar days from the lead's intake (or the deal's creation) "
    "to the win. The value is the median."
)
DAU_DEFINITION = _(
    "Active users (licensed): the share of working days in the week on which each used "
    "SalesOps (opened a page, called the API or logged an activity)."
)
WAU_DEFINITION = _("Active users (licensed): the share who used SalesOps during the week.")
COMPLETENESS_DEFINITION = _(
    "Leads, accounts and contacts created in the week: the share of their required and "
    "recommended fields (Settings · Outcomes) that are filled."
)
COMPLAINT_DEFINITION = _(
    "Complaints raised in the week per 100 active accounts (an activity in the days set on "
    "Settings · Outcomes), by the account's owner."
)
COLLABORATION_DEFINITION = _(
    "Activities customer success logged on the reps' accounts in the week, plus the "
    "collaboration point claims (not rejected)."
)
PLACEHOLDER_DEFINITION = _(
    "Required fields (Settings · Outcomes) of the leads, accounts and contacts created in "
    "the week: the share of their values that are placeholders (无, -, 1, N/A …) or the "
    "same free text copied into many of one rep's records."
)
EXCEL_DEFINITION = _(
    "Leads, accounts, contacts, deals and activities created in the week: the share that "
    "came from an Excel import rather than a page, the app or the API."
)


@dataclass(frozen=True)
class Metric:
    code: str
    label: object
    definition: object
    unit: object
    better: str  # "up" or "down"
    fold: str  # "ratio", "median", "count", "accuracy"
    parts: Callable
    scale: float = 100.0


METRICS = [
    Metric("followup_cycle", _("Lead follow-up cycle"), FOLLOWUP_DEFINITION, _("working days"), "down", "median", _followup_parts),
    Metric("first_response_sla", _("First response within SLA"), SLA_DEFINITION, "%", "up", "ratio", _sla_parts),
    Metric("untouched_48h", _("Leads untouched after 48 h"), UNTOUCHED_DEFINITION, "%", "down", "ratio", _untouched_parts),
    Metric("forecast_accuracy", _("Forecast accuracy"), FORECAST_DEFINITION, "%", "up", "accuracy", _forecast_parts),
    Metric("sales_cycle", _("Sales cycle"), SALES_CYCLE_DEFINITION, _("days"), "down", "median", _sales_cycle_parts),
    Metric("daily_active", _("Daily active users"), DAU_DEFINITION, "%", "up", "ratio", _dau_parts),
    Metric("weekly_active", _("Weekly active users"), WAU_DEFINITION, "%", "up", "ratio", _wau_parts),
    Metric("completeness", _("Customer-record completeness"), COMPLETENESS_DEFINITION, "%", "up", "ratio", _completeness_parts),
    Metric("complaint_rate", _("Complaints per 100 active accounts"), COMPLAINT_DEFINITION, "", "down", "ratio", _complaint_parts),
    Metric("cs_collaboration", _("Customer-success collaboration requests"), COLLABORATION_DEFINITION, "", "up", "count", _collaboration_parts),
    Metric("placeholder_share", _("Placeholder or copied values"), PLACEHOLDER_DEFINITION, "%", "down", "ratio", _placeholder_parts),
    Metric("excel_share", _("Excel entry share"), EXCEL_DEFINITION, "%", "down", "ratio", _excel_parts),
]  # fmt: skip
BY_CODE = {m.code: m for m in METRICS}


def compute_parts(code: str, start: dt.date, end: dt.date, owner_ids=None) -> dict:
    """``code``'s parts per owner (``None``: records without one) for [start, end)."""
    return BY_CODE[code].parts(start, end, owner_ids)


def value(code: str, scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """``code``'s value for ``scope`` over [start, end), computed now from the records."""
    metric = BY_CODE[code]
    owner_ids = scope.owner_ids()
    total = Part()
    for part in metric.parts(start, end, owner_ids).values():
        total.add(part)
    return fold(metric, total)


# --- one function per metric (the diagnosis calls these) ----------------------------


def lead_followup_cycle(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`FOLLOWUP_DEFINITION`; ``detail`` has ``p90`` and ``mean``."""
    return value("followup_cycle", scope, start, end)


def first_response_sla_rate(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`SLA_DEFINITION` (percent)."""
    return value("first_response_sla", scope, start, end)


def untouched_share(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`UNTOUCHED_DEFINITION` (percent)."""
    return value("untouched_48h", scope, start, end)


def forecast_accuracy(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`FORECAST_DEFINITION` (percent; numerator won, denominator forecast)."""
    return value("forecast_accuracy", scope, start, end)


def sales_cycle(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`SALES_CYCLE_DEFINITION` (days)."""
    return value("sales_cycle", scope, start, end)


def daily_active_users(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`DAU_DEFINITION` (percent of user working days)."""
    return value("daily_active", scope, start, end)


def weekly_active_users(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`WAU_DEFINITION` (percent of licensed users)."""
    return value("weekly_active", scope, start, end)


def record_completeness(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`COMPLETENESS_DEFINITION` (percent; ``detail`` per entity and list)."""
    return value("completeness", scope, start, end)


def complaint_rate(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`COMPLAINT_DEFINITION` (complaints per 100 active accounts)."""
    return value("complaint_rate", scope, start, end)


def collaboration_requests(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`COLLABORATION_DEFINITION` (a count)."""
    return value("cs_collaboration", scope, start, end)


def excel_entry_share(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`EXCEL_DEFINITION` (percent of records created)."""
    return value("excel_share", scope, start, end)


def placeholder_share(scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """:data:`PLACEHOLDER_DEFINITION` (percent; ``detail`` per field: total, placeholders,
    copied). Per field and rep in full: :func:`placeholder_fields`."""
    return value("placeholder_share", scope, start, end)


def completeness(entity: str, scope: Scope, start: dt.date, end: dt.date) -> MetricValue:
    """One entity's completeness (``"lead"``, ``"account"``, ``"contact"``) over records
    created in [start, end): percent filled; ``detail`` has ``required`` and
    ``recommended`` percentages and the record count."""
    parts = quality.completeness_parts(entity, start, end, scope.owner_ids())
    filled = dict.fromkeys(quality.LISTS, 0)
    cells = dict.fromkeys(quality.LISTS, 0)
    records = 0
    for c in parts.values():
        records += c.records
        for which in quality.LISTS:
            filled[which] += c.filled[which]
            cells[which] += c.cells[which]
    detail = {"records": records}
    for which in quality.LISTS:
        detail[which] = round(100 * filled[which] / cells[which], 1) if cells[which] else None
    num, den = sum(filled.values()), sum(cells.values())
    return MetricValue(round(100 * num / den, 2) if den else None, num, den, detail)
