"""Reads about leads shared by pages, API and reports: the filtered list, the timeline of
one lead and the monthly dwell TOP10 (SPEC L8)."""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.automation.models import RuleFiring
from salesops.core import clock, orgsettings
from salesops.customers import selectors as customer_selectors
from salesops.customers.models import Account, Contact

from .filters import LeadFilterSet
from .models import OPEN_STATUSES, Assignment, Inquiry, Lead, LeadStatus, ReviewState, SlaState


def visible_leads(user):
    return Lead.objects.visible_to(user)


# The SLA states an owned, not yet contacted lead can be in while its clock runs or after
# it ran out (sla.start_clock / the SLA rules); met and late leads were contacted, pool
# leads have none. Naming them adds nothing to "overdue" or "escalated" but lets the
# database read those few leads from the (sla_state, status, owner, team) index instead of
# every open lead of the team.
CLOCK_STATES = (SlaState.RUNNING, SlaState.DUE_SOON, SlaState.BREACHED)


def overdue_q(now) -> Q:
    """Open leads with an owner whose first contact is overdue at ``now``."""
    return Q(
        status__in=OPEN_STATUSES,
        sla_state__in=CLOCK_STATES,
        owner__isnull=False,
        first_contact_at__isnull=True,
        sla_due_at__lt=now,
    )


def escalated_q() -> Q:
    """Open leads escalated to a manager and still not contacted (read from the
    (escalation_level, status, owner, team) index: escalations are few)."""
    return Q(status__in=OPEN_STATUSES, escalation_level__gt=0, first_contact_at__isnull=True)


def visible_provinces(user, limit: int = 100) -> list[str]:
    """The provinces of the leads ``user`` sees (the list's filter). Owned leads grouped
    by (owner, province) — read in order from that index, 20 ms for a team's 50,000
    leads; a DISTINCT on province makes SQLite walk the province index over every lead and
    look up each one's owner (300 ms) — and the pool apart."""
    owned = (
        Lead.objects.owned_visible_to(user)
        .exclude(province="")
        .values("owner_id", "province")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("province", flat=True)
    )
    pool = (
        Lead.objects.pool_visible_to(user)
        .exclude(province="")
        .order_by()
        .values_list("province", flat=True)
        .distinct()
    )
    return sorted(set(owned) | set(pool))[:limit]


def lead_filterset(params, qs=None, user=None) -> LeadFilterSet:
    """The list filters (``filters.LeadFilterSet``) over ``qs`` (default: what ``user``
    may see)."""
    qs = visible_leads(user) if qs is None else qs
    return LeadFilterSet(params, queryset=qs, user=user)


def filter_leads(qs, params, user=None):
    """``qs`` narrowed by the list filters; a value the filterset refuses is ignored."""
    return lead_filterset(params, qs, user).qs


# --- timeline -------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # intake, inquiry, assignment, activity, status, rule
    title: str
    detail: str = ""
    actor: str = ""
    data: dict = field(default_factory=dict)


def timeline(lead: Lead, *, limit: int = 500) -> list[TimelineEntry]:
    """Everything that happened to a lead, oldest first: inquiries (the first and every
    repeat, with how it matched), assignments with rule/strategy/reason, check-ins,
    status changes, and the reminders and escalations the rules fired."""
    entries: list[TimelineEntry] = []
    _inquiry_entries(lead, limit, entries)
    _assignment_entries(lead, limit, entries)
    _activity_entries(lead, limit, entries)
    _status_entries(lead, limit, entries)
    _firing_entries(lead, limit, entries)
    entries.sort(key=lambda e: e.at)
    return entries


def _inquiry_entries(lead: Lead, limit: int, entries: list[TimelineEntry]) -> None:
    """The first inquiry (how it arrived, and whether it looked like a duplicate) and every
    repeat."""
    inquiries = Inquiry.objects.filter(lead=lead).select_related("channel")[:limit]
    for i, inquiry in enumerate(inquiries):
        if i == 0 and not inquiry.matched_by:
            title = _("Arrived via %(channel)s") % {"channel": inquiry.channel.name}
            kind = "intake"
        elif i == 0:
            title = _("Arrived via %(channel)s: possible duplicate (%(how)s, %(score)s)") % {
                "channel": inquiry.channel.name,
                "how": inquiry.get_matched_by_display(),
                "score": inquiry.score,
            }
            kind = "duplicate"
        else:
            title = _("Repeat inquiry via %(channel)s (%(how)s)") % {
                "channel": inquiry.channel.name,
                "how": inquiry.get_matched_by_display() or "-",
            }
            kind = "inquiry"
        detail = str(inquiry.payload.get("need", ""))[:200] if i else ""
        entries.append(TimelineEntry(inquiry.received_at, kind, title, detail))


def _assignment_entries(lead: Lead, limit: int, entries: list[TimelineEntry]) -> None:
    """Assignments with their rule, strategy and reason."""
    assignments = Assignment.objects.filter(lead=lead).select_related(
        "owner", "previous_owner", "actor"
    )[:limit]
    for a in assignments:
        if a.owner is None:
            title = _("Put in the unassigned pool")
        elif a.previous_owner is not None:
            title = _("Reassigned from %(old)s to %(new)s") % {
                "old": a.previous_owner.label,
                "new": a.owner.label,
            }
        else:
            title = _("Assigned to %(user)s") % {"user": a.owner.label}
        if a.over_cap:
            title = _("%(title)s (over the daily cap)") % {"title": title}
        entries.append(
            TimelineEntry(
                a.created_at,
                "assignment",
                title,
                a.reason,
                a.actor.label if a.actor else "",
                {"rule": a.rule_name, "strategy": a.strategy},
            )
        )


def _activity_entries(lead: Lead, limit: int, entries: list[TimelineEntry]) -> None:
    """Check-ins and other activities on the lead."""
    for activity in lead.activities.select_related("tag", "owner")[:limit]:
        title = activity.get_kind_display()
        if activity.tag_id:
            title += " · " + activity.tag.label
        detail = activity.note
        entries.append(
            TimelineEntry(
                activity.started_at,
                "activity",
                title,
                detail,
                activity.owner.label,
                {"effective": activity.effective, "seconds": activity.duration_seconds},
            )
        )


def _status_entries(lead: Lead, limit: int, entries: list[TimelineEntry]) -> None:
    """Status changes, from the lead's history."""
    previous = None
    for row in lead.history.order_by("history_date", "history_id").only(
        "history_date", "status", "history_user", "invalid_reason"
    )[:limit]:
        if previous is not None and row.status != previous:
            title = _("Status: %(old)s → %(new)s") % {
                "old": LeadStatus(previous).label,
                "new": LeadStatus(row.status).label,
            }
            user = row.history_user.label if row.history_user else ""
            entries.append(TimelineEntry(row.history_date, "status", title, "", user))
        previous = row.status


def _firing_entries(lead: Lead, limit: int, entries: list[TimelineEntry]) -> None:
    """The reminders and escalations the rules fired."""
    firings = RuleFiring.objects.filter(entity="lead", object_id=lead.pk).select_related("rule")
    for firing in firings[:limit]:
        level = None
        for result in firing.results or []:
            if isinstance(result, dict) and "manager_level" in result:
                level = result["manager_level"]
        kind = "escalation" if level else "rule"
        title = firing.rule.name
        if level:
            title = _("Escalated to manager level %(n)d: %(rule)s") % {
                "n": level,
                "rule": firing.rule.name,
            }
        entries.append(
            TimelineEntry(firing.fired_at, kind, title, "", "", {"rule": firing.rule_id})
        )


# --- dwell TOP10 ----------------------------------------------------------------------------
def month_bounds(month: str | None) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """``"2026-10"`` → (first day, start instant, end instant) in the organisation's time
    zone; ``None`` → last month."""
    if month:
        try:
            first = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise ValueError(_("Give the month as YYYY-MM.")) from None
    else:
        today = clock.today()
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(nxt, dt.time.min, tzinfo=tz)
    return first, start, end


@dataclass
class DwellRow:
    lead: Lead
    days: float


def dwell_rows(
    user, month: str | None = None, *, team=None, owner=None, per_group: int | None = None
):
    """The leads that stayed longest without progress as of the end of ``month`` (or
    now, for the running month): open at that instant, ranked by time since their last
    progress (intake, status change or check-in). Returns ``(overall, by_team, by_owner)``
    with at most ``per_group`` rows in each group.

    A past month is judged on each lead as it was at the month's end (status, owner,
    team and last progress from the lead's history, L8), not as it is today: a lead
    closed or reassigned since still appears there, under the owner it had then. Which
    leads a person may see follows today's visibility.

    ``per_group`` defaults to the organisation's dwell TOP-N (Settings · Organisation)."""
    per_group = per_group or orgsettings.current().dwell_top_n
    _first, _start, end = month_bounds(month)
    now = clock.now()
    as_of = min(end, now)
    leads = _leads_as_of(user, as_of, now, team=team, owner=owner)

    def row(lead):
        return DwellRow(lead, round((as_of - lead.progressed_at).total_seconds() / 86400, 1))

    overall: list = []
    by_team: dict = {}
    by_owner: dict = {}
    for lead in leads:
        if len(overall) < per_group:
            overall.append(row(lead))
        team_rows = by_team.setdefault(lead.team, [])
        if len(team_rows) < per_group:
            team_rows.append(row(lead))
        owner_rows = by_owner.setdefault(lead.owner, [])
        if len(owner_rows) < per_group:
            owner_rows.append(row(lead))
    return overall, by_team, by_owner


def _leads_as_of(user, as_of, now, *, team=None, owner=None):
    """The leads open at ``as_of``, as they were then, by last progress (oldest first)."""
    visible = Lead.objects.visible_to(user).filter(created_at__lt=as_of)
    live = (
        visible.filter(progressed_at__lt=as_of, status__in=OPEN_STATUSES)
        .select_related("owner", "team", "channel")
        .order_by("progressed_at", "id")
    )
    if team is not None:
        live = live.filter(team=team)
    if owner is not None:
        live = live.filter(owner=owner)
    if as_of >= now:
        return live.iterator(chunk_size=2000)
    # Unchanged since the month's end (every change moves ``updated_at``): today's row
    # is how it was. The others are read from their last history row before the end.
    unchanged = live.filter(updated_at__lt=as_of).iterator(chunk_size=2000)
    historical = Lead.history.model
    latest = (
        historical.objects.filter(id=OuterRef("pk"), history_date__lt=as_of)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    changed_ids = visible.filter(updated_at__gte=as_of).annotate(h=Subquery(latest)).values("h")
    then = (
        historical.objects.filter(
            history_id__in=changed_ids, status__in=OPEN_STATUSES, progressed_at__lt=as_of
        )
        .select_related("owner", "team", "channel")
        .order_by("progressed_at", "id")
    )
    if team is not None:
        then = then.filter(team=team)
    if owner is not None:
        then = then.filter(owner=owner)
    return heapq.merge(
        unchanged,
        (_as_lead(h) for h in then.iterator(chunk_size=2000)),
        key=lambda lead: (lead.progressed_at, lead.pk),
    )


def _as_lead(record) -> Lead:
    """A history row as the lead it describes, with its owner, team and channel then."""
    lead = record.instance
    lead.owner, lead.team, lead.channel = record.owner, record.team, record.channel
    return lead


# --- conversion -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConversionMatch:
    """What converting a lead would reuse: the account (the lead's own link, else the
    account of the contact known by the lead's phone, else the account with its credit
    code, else the account with the same company name when the two credit codes do not
    disagree) and the contact already holding the lead's phone, if any."""

    account: object | None
    known_contact: object | None

    @property
    def accounts(self) -> list:
        """Every existing account the conversion would touch or that the phone names."""
        found = [self.account]
        if self.known_contact is not None:
            found.append(self.known_contact.account)
        unique = {a.pk: a for a in found if a is not None}
        return list(unique.values())


def conversion_match(lead: Lead) -> ConversionMatch:
    """The existing account and contact a conversion of ``lead`` would reuse. Not scoped
    by visibility on purpose: the service must find a customer held by someone else to
    refuse writing into it; callers show the result only to users who may see it."""
    known = None
    if lead.phone:
        known = Contact.objects.filter(phone=lead.phone).select_related("account").first()
    account = lead.account
    if account is None and known is not None:
        account = known.account  # the person is known: convert into their account
    if account is None and lead.credit_code:
        account = Account.objects.filter(credit_code=lead.credit_code).first()
    if account is None and lead.company:
        # The same company by name (legal-form suffixes and regions ignored, SPEC L4);
        # an account with another credit code is another company.
        named = customer_selectors.accounts_by_company_name(lead.company)
        if lead.credit_code:
            named = named.filter(credit_code="")
        account = named.first()
    return ConversionMatch(account=account, known_contact=known)


def conversion_blockers(lead: Lead, user) -> list:
    """The matched accounts ``user`` may not change: converting must not write to them
    (the lead waits for a manager who may see both instead)."""
    accounts = conversion_match(lead).accounts
    if not accounts:
        return []
    editable = set(
        Account.objects.editable_by(user)
        .filter(pk__in=[a.pk for a in accounts])
        .values_list("pk", flat=True)
    )
    return [a for a in accounts if a.pk not in editable]


def is_conversion_review(lead: Lead) -> bool:
    """Whether the lead waits for a manager because its conversion matched a customer its
    converter may not change (a duplicate review with no earlier lead to merge into)."""
    return (
        lead.review_state == ReviewState.REVIEW
        and lead.possible_duplicate_of_id is None
        and lead.status not in (LeadStatus.CONVERTED, LeadStatus.INVALID)
        and bool(conversion_match(lead).accounts)
    )
