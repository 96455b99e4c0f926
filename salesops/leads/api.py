"""Leads, lead channels, routing rules and the dwell report over the API (mounted at
/api/v1/): parse → service/selector → serialise.

Visibility follows ``Lead.objects.visible_to``: a lead you may not see answers 404 (never
403, which would tell that it exists); a lead you may see but not change answers 403.
Channels and routing rules are for sales-ops admins and directors only (403 for others).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core import clock
from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate
from salesops.org.models import Team, User

from . import selectors, services
from .models import Assignment, Channel, Lead, LeadStatus, RoutingRule
from .schemas import (
    AssignmentOut,
    ConvertOut,
    DwellOut,
    LeadChannelIn,
    LeadChannelOut,
    LeadChannelPatch,
    LeadIn,
    LeadOut,
    LeadPage,
    LeadPatch,
    QuickEntryOut,
    ReassignIn,
    ReviewIn,
    RoutingRuleIn,
    RoutingRuleOut,
    RoutingRulePatch,
    RoutingSampleIn,
    RoutingTestOut,
    StatusIn,
    TimelineOut,
)

router = Router(tags=["leads"])

LEAD_RELATED = ("owner", "channel", "account")
ORDERINGS = (
    "created_at",
    "assigned_at",
    "sla_due_at",
    "first_contact_at",
    "progressed_at",
    "escalation_level",
    "touches",
    "company",
    "contact_name",
    "status",
)
DEFAULT_ORDERING = "-created_at"


# --- helpers --------------------------------------------------------------------------------
def _visible(user):
    return Lead.objects.visible_to(user).select_related(*LEAD_RELATED)


def _lead(request, lead_id: int) -> Lead:
    """The lead if the caller may see it, else 404 (whether or not it exists)."""
    lead = _visible(request.user).filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


def _reload(lead: Lead) -> Lead:
    return Lead.objects.select_related(*LEAD_RELATED).get(pk=lead.pk)


@contextmanager
def _fields_renamed(mapping: dict[str, str]):
    """Report a service's field names under the names the request used (owner → owner_id)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {mapping.get(key, key): errors for key, errors in exc.error_dict.items()}
        ) from None


def _require_configure(user) -> None:
    if not services.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors can change this."))


def _team(team_id: int | None, field: str = "team_id"):
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({field: _("No team with id %(id)s.") % {"id": team_id}})
    return team


# --- leads: list and quick entry ------------------------------------------------------------
class LeadQuery(Schema):
    q: str | None = None
    status: str | None = None
    owner: str | None = None
    channel: int | None = None
    sla: str | None = None
    province: str | None = None
    city: str | None = None
    team: int | None = None
    review: bool | None = None
    ordering: str | None = None
    page: int = 1
    page_size: int = 25


LIST_HELP = (
    "Filters: q (contact name, company or phone digits), status (a status or `open` for "
    "new/contacted/qualified), owner (a user id, `me`, or `none` for the unassigned pool), "
    "channel (id), sla (running, due_soon, breached, met, late, none), province, city, "
    "team (id), review (true: possible duplicates waiting for review). ordering: one of "
    + ", ".join(ORDERINGS)
    + ", optionally with a leading '-' for descending (default -created_at)."
)


def _list_filters(request, query: LeadQuery):
    """The lead filterset over what the user may see, and the ordering; every bad value
    named in one 422."""
    params = {
        "q": query.q,
        "status": query.status,
        "owner": query.owner,
        "channel": query.channel,
        "sla": query.sla,
        "province": query.province,
        "city": query.city,
        "team": query.team,
        "review": "1" if query.review else "",
    }
    filterset = selectors.lead_filterset(params, _visible(request.user), request.user)
    errors = {name: list(messages) for name, messages in filterset.errors.items()}
    ordering = (query.ordering or DEFAULT_ORDERING).strip()
    if ordering.removeprefix("-") not in ORDERINGS:
        errors["ordering"] = [
            _("Choose one of: %(choices)s (with “-” for descending).")
            % {"choices": ", ".join(ORDERINGS)}
        ]
    if errors:
        raise ValidationError(errors)
    return filterset.qs, ordering


@router.get("/leads", response=LeadPage, summary="List leads", description=LIST_HELP)
def list_leads(request, query: Query[LeadQuery]):
    qs, ordering = _list_filters(request, query)
    tiebreak = "-id" if ordering.startswith("-") else "id"
    return paginate(qs.order_by(ordering, tiebreak), query.page, query.page_size)


@router.post(
    "/leads",
    response={201: QuickEntryOut, 200: QuickEntryOut},
    summary="Register a lead (quick entry)",
)
def create_lead(request, payload: LeadIn):
    """Quick entry by the signed-in user: a rep keeps the lead, anyone else's entry is
    routed. The answer has one shape for both outcomes::

        {"outcome": "created" | "attached", "id": 12, "owner_name": "Rep A" | null,
         "matched_by": "phone" | "credit_code" | "company" | null,
         "visible": true, "lead": {…the lead…} | null}

    * **201, outcome "created"**: a new lead was registered.
    * **200, outcome "attached"**: the phone, credit code or company name matched an open
      lead, so the inquiry was counted on it (``touches`` + 1) and no lead was created.

    ``lead`` is the full lead only when you may see it (``visible``); otherwise you learn
    just its id and who owns it, to ask them.
    """
    data = payload.dict(exclude={"custom", "channel"})
    result = services.quick_entry(
        actor=request.user, data=data, custom=payload.custom, channel=payload.channel
    )
    lead = _visible(request.user).filter(pk=result.lead.pk).first()
    owner = lead.owner if lead is not None else result.lead.owner
    body = {
        "outcome": "created" if result.created else "attached",
        "id": result.lead.pk,
        "owner_name": owner.label if owner is not None else None,
        "matched_by": str(result.match.kind) if result.match else None,
        "visible": lead is not None,
        "lead": lead,
    }
    return Status(201 if result.created else 200, body)


# --- reports (before /leads/{lead_id} so the literal path is never taken for an id) ---------
def _dwell_row(row) -> dict:
    lead = row.lead
    return {
        "lead_id": lead.pk,
        "company": lead.company,
        "contact_name": lead.contact_name,
        "owner": lead.owner,
        "team_id": lead.team_id,
        "status": lead.status,
        "progressed_at": lead.progressed_at,
        "days": row.days,
    }


@router.get(
    "/leads/reports/dwell",
    response=DwellOut,
    summary="Longest-waiting open leads of a month",
    description="The open leads that went longest without progress as of the end of "
    "`month` (YYYY-MM; default last month; the running month counts up to now): the TOP10 "
    "overall, per team and per owner, among the leads you may see.",
)
def dwell_report(request, month: str | None = None):
    try:
        first, _start, end = selectors.month_bounds(month or None)
    except ValueError as exc:
        raise ValidationError({"month": str(exc)}) from None
    overall, by_team, by_owner = selectors.dwell_rows(request.user, month or None)
    return {
        "month": first.strftime("%Y-%m"),
        "as_of": min(end, clock.now()),
        "overall": [_dwell_row(r) for r in overall],
        "by_team": [
            {
                "team": {"id": team.pk, "name": team.name} if team is not None else None,
                "rows": [_dwell_row(r) for r in rows],
            }
            for team, rows in by_team.items()
        ],
        "by_owner": [
            {"owner": owner, "rows": [_dwell_row(r) for r in rows]}
            for owner, rows in by_owner.items()
        ],
    }


# --- one lead -------------------------------------------------------------------------------
@router.get("/leads/{lead_id}", response=LeadOut, summary="Get a lead")
@with_etag(Lead, "lead_id")
def get_lead(request, lead_id: int):
    return _lead(request, lead_id)


@router.patch("/leads/{lead_id}", response=LeadOut, summary="Change a lead")
@if_match(Lead, "lead_id")
def update_lead(request, lead_id: int, payload: LeadPatch):
    """Only the fields sent are changed; the four required ones cannot be emptied."""
    lead = _lead(request, lead_id)
    data = payload.dict(exclude_unset=True, exclude={"custom"})
    custom = payload.custom if "custom" in payload.model_fields_set else None
    services.lead_update(actor=request.user, lead=lead, custom=custom, **data)
    return _reload(lead)


@router.post("/leads/{lead_id}/status", response=LeadOut, summary="Set a lead's status")
def set_status(request, lead_id: int, payload: StatusIn):
    """new, contacted, qualified or invalid (with ``invalid_reason``: no_need,
    unreachable, spam, competitor, duplicate, other). Converting is POST …/convert."""
    lead = _lead(request, lead_id)
    services.lead_set_status(
        actor=request.user,
        lead=lead,
        status=payload.status,
        invalid_reason=payload.invalid_reason,
    )
    return _reload(lead)


@router.post("/leads/{lead_id}/reassign", response=LeadOut, summary="Reassign a lead")
def reassign(request, lead_id: int, payload: ReassignIn):
    """Managers, directors and admins: give the lead to ``owner_id`` (someone you may
    pick) or back to the pool (``null``), saying why in ``reason``. Over the new owner's
    daily lead cap the answer is 422 on ``owner_id`` unless ``override_cap`` is true."""
    lead = _lead(request, lead_id)
    owner = None
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id).first()
        if owner is None:
            raise ValidationError({"owner_id": _("Choose an active user in your team.")})
    with _fields_renamed({"owner": "owner_id"}):
        services.lead_reassign(
            actor=request.user,
            lead=lead,
            owner=owner,
            reason=payload.reason,
            override_cap=payload.override_cap,
        )
    return _reload(lead)


@router.post("/leads/{lead_id}/claim", response=LeadOut, summary="Take a lead from the pool")
def claim(request, lead_id: int):
    lead = _lead(request, lead_id)
    services.lead_claim(actor=request.user, lead=lead)
    return _reload(lead)


@router.post(
    "/leads/{lead_id}/convert",
    response={200: ConvertOut, 202: ConvertOut},
    summary="Convert to account and contact",
)
def convert(request, lead_id: int):
    """Creates (or reuses, by credit code / phone) an account and a contact; the lead
    becomes converted and links to both (200). When the customer it would reuse is one
    you may not change, nothing is written to it: the lead waits for your manager's
    review (202, ``outcome: review``) and the answer says nothing about that customer."""
    lead = _lead(request, lead_id)
    lead = services.lead_convert(actor=request.user, lead=lead)
    lead = _reload(lead)
    if lead.status != LeadStatus.CONVERTED:
        body = {"outcome": "review", "message": services.needs_review_message(), "lead": lead}
        return Status(202, body)
    return {"account_id": lead.account_id, "contact_id": lead.contact_id, "lead": lead}


@router.post("/leads/{lead_id}/review", response=LeadOut, summary="Settle a possible duplicate")
def review(request, lead_id: int, payload: ReviewIn):
    lead = _lead(request, lead_id)
    services.lead_review(actor=request.user, lead=lead, merge=payload.merge)
    return _reload(lead)


@router.get("/leads/{lead_id}/timeline", response=list[TimelineOut], summary="A lead's timeline")
def lead_timeline(request, lead_id: int):
    """Oldest first: inquiries, assignments, check-ins, status changes, rule firings."""
    return selectors.timeline(_lead(request, lead_id))


@router.get(
    "/leads/{lead_id}/assignments",
    response=list[AssignmentOut],
    summary="Who got the lead, by which rule and why",
)
def lead_assignments(request, lead_id: int):
    lead = _lead(request, lead_id)
    return list(
        Assignment.objects.filter(lead=lead)
        .select_related("owner", "previous_owner", "actor")
        .order_by("created_at", "id")
    )


# --- channels -------------------------------------------------------------------------------
def _channel(request, channel_id: int) -> Channel:
    _require_configure(request.user)
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise Http404
    return channel


def _channel_data(payload: Schema, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial, exclude={"team_id"})
    if partial:
        data = {k: v for k, v in data.items() if v is not None}
    if "team_id" in payload.model_fields_set or not partial:
        data["team"] = _team(payload.team_id)
    return data


@router.get("/lead-channels", response=list[LeadChannelOut], summary="List lead channels")
def list_channels(request):
    _require_configure(request.user)
    return list(Channel.objects.order_by("name", "id"))


@router.post("/lead-channels", response={201: LeadChannelOut}, summary="Create a lead channel")
def create_channel(request, payload: LeadChannelIn):
    """kind: website, social, ads, event, referral, manual, api or import."""
    _require_configure(request.user)
    with _fields_renamed({"team": "team_id"}):
        channel = services.channel_create(
            actor=request.user, **_channel_data(payload, partial=False)
        )
    return Status(201, channel)


@router.get("/lead-channels/{channel_id}", response=LeadChannelOut, summary="Get a lead channel")
@with_etag(Channel, "channel_id")
def get_channel(request, channel_id: int):
    return _channel(request, channel_id)


@router.patch(
    "/lead-channels/{channel_id}", response=LeadChannelOut, summary="Change a lead channel"
)
@if_match(Channel, "channel_id")
def update_channel(request, channel_id: int, payload: LeadChannelPatch):
    channel = _channel(request, channel_id)
    with _fields_renamed({"team": "team_id"}):
        return services.channel_update(
            actor=request.user, channel=channel, **_channel_data(payload, partial=True)
        )


@router.post(
    "/lead-channels/{channel_id}/token",
    response=LeadChannelOut,
    summary="Issue a new intake token (the old one stops working at once)",
)
def new_channel_token(request, channel_id: int):
    channel = _channel(request, channel_id)
    return services.channel_new_token(actor=request.user, channel=channel)


# --- routing rules --------------------------------------------------------------------------
def _rules():
    return RoutingRule.objects.prefetch_related("members__user").order_by("priority", "id")


def _rule_out(rule: RoutingRule, *, warn: bool = False) -> dict:
    """The rule as the API shows it; ``warn``: with what may keep it from placing leads."""
    return {
        "warnings": services.routing_rule_warnings(rule) if warn else [],
        "id": rule.pk,
        "name": rule.name,
        "priority": rule.priority,
        "is_active": rule.is_active,
        "condition": rule.condition,
        "team_id": rule.team_id,
        "strategy": rule.strategy,
        "members": [
            {"user_id": m.user_id, "name": m.user.label, "weight": m.weight}
            for m in rule.members.all()
        ],
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def _rule(request, rule_id: int) -> RoutingRule:
    _require_configure(request.user)
    rule = _rules().filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def _rule_data(payload: Schema, *, partial: bool) -> tuple[dict, list | None]:
    data = payload.dict(exclude_unset=partial, exclude={"team_id", "members"})
    if partial:
        data = {k: v for k, v in data.items() if v is not None}
    if "team_id" in payload.model_fields_set or not partial:
        data["team"] = _team(payload.team_id)
    members = None
    if payload.members is not None:
        members = [m.dict() for m in payload.members]
    return data, members


RULE_HELP = (
    'condition: an expression over lead fields (e.g. `province == "上海市"`); empty '
    "matches every lead. strategy: round_robin, least_loaded or weighted. members: the reps "
    "and their weights (1–100); when empty, the reps of team_id and its sub-teams."
)


@router.get("/routing-rules", response=list[RoutingRuleOut], summary="List routing rules")
def list_rules(request):
    """In the order they are tried (ascending priority)."""
    _require_configure(request.user)
    rules = list(_rules())
    warnings = services.rule_list_warnings(rules)
    return [{**_rule_out(rule), "warnings": warnings.get(rule.pk, [])} for rule in rules]


@router.post(
    "/routing-rules",
    response={201: RoutingRuleOut},
    summary="Create a routing rule",
    description=RULE_HELP,
)
def create_rule(request, payload: RoutingRuleIn):
    _require_configure(request.user)
    data, members = _rule_data(payload, partial=False)
    with _fields_renamed({"team": "team_id"}):
        rule = services.routing_rule_create(actor=request.user, members=members or [], **data)
    return Status(201, _rule_out(_rules().get(pk=rule.pk), warn=True))


@router.post(
    "/routing-rules/test",
    response=RoutingTestOut,
    summary="Where would routing put this lead now?",
)
def test_routing(request, payload: RoutingSampleIn):
    """Runs the active rules on a sample lead without assigning anything: the rule that
    matched, its strategy, the candidate reps in the order they would be tried, and the
    rules skipped on the way (with why)."""
    _require_configure(request.user)
    sample = payload.dict(exclude_unset=True)
    decision, snapshot, lead = services.routing_test(sample)
    rule = decision.rule
    return {
        "placed": decision.placed,
        "rule": {"id": rule.id, "name": rule.name} if rule is not None else None,
        "strategy": decision.strategy,
        "candidates": [
            {"id": user_id, "name": snapshot.names.get(user_id, str(user_id))}
            for user_id in decision.candidates
        ],
        "reason": decision.reason,
        "skipped": decision.skipped,
        "province": lead.province,
        "city": lead.city,
    }


@router.get("/routing-rules/{rule_id}", response=RoutingRuleOut, summary="Get a routing rule")
@with_etag(RoutingRule, "rule_id")
def get_rule(request, rule_id: int):
    return _rule_out(_rule(request, rule_id), warn=True)


@router.patch(
    "/routing-rules/{rule_id}",
    response=RoutingRuleOut,
    summary="Change a routing rule",
    description=RULE_HELP + " members, when sent, replaces the list.",
)
@if_match(RoutingRule, "rule_id")
def update_rule(request, rule_id: int, payload: RoutingRulePatch):
    rule = _rule(request, rule_id)
    data, members = _rule_data(payload, partial=True)
    with _fields_renamed({"team": "team_id"}):
        services.routing_rule_update(actor=request.user, rule=rule, members=members, **data)
    return _rule_out(_rules().get(pk=rule.pk), warn=True)


@router.delete("/routing-rules/{rule_id}", response={204: None}, summary="Delete a rule")
def delete_rule(request, rule_id: int):
    """Past assignments keep the rule's name."""
    rule = _rule(request, rule_id)
    services.routing_rule_delete(actor=request.user, rule=rule)
    return Status(204, None)


__all__ = ["router"]
