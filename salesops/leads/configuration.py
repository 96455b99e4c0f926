"""Configuration a sales-ops admin edits: intake channels (and their tokens) and routing
rules with their reps, plus "what would routing do with this sample lead"."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.automation.triggers import expression_error
from salesops.core import entities
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.core.validators import normalize_phone
from salesops.org.models import User

from . import region, routing, shadowing
from .models import Channel, Lead, RoutingMember, RoutingRule, Strategy, new_token
from .receive import manual_channel
from .validation import LEAD_FIELDS, assign_fields


# --- configuration: channels and routing rules --------------------------------------------
def can_configure(actor) -> bool:
    return bool(
        actor and actor.is_authenticated and (actor.is_admin_role or actor.edits_everything)
    )


def _require_admin(actor) -> None:
    if actor is not None and not can_configure(actor):
        raise PermissionDenied(_("Only sales-ops admins and directors can change this."))


CHANNEL_FIELDS = ("name", "kind", "campaign", "is_active", "rate_limit", "team")


def _clean_channel(channel: Channel, data: dict) -> None:
    unknown = set(data) - set(CHANNEL_FIELDS)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key not in unknown:
            setattr(channel, key, value.strip() if isinstance(value, str) else value)
    try:
        channel.full_clean(exclude=["token", *errors], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def channel_create(*, actor, **data) -> Channel:
    _require_admin(actor)
    channel = Channel(created_by=actor)
    _clean_channel(channel, data)
    channel._history_user = actor
    channel.save()
    return channel


@transaction.atomic
def channel_update(*, actor, channel: Channel, **data) -> Channel:
    _require_admin(actor)
    _clean_channel(channel, data)
    channel._history_user = actor
    channel.save()
    return channel


@transaction.atomic
def channel_new_token(*, actor, channel: Channel) -> Channel:
    """Revoke the channel's token by issuing a new one: the old one answers 404 at once."""
    _require_admin(actor)
    channel.token = new_token()
    channel._history_user = actor
    channel._change_reason = "new token"
    channel.save(update_fields=["token"])
    return channel


RULE_FIELDS = ("name", "priority", "is_active", "condition", "team", "strategy")


def _clean_rule(rule, data: dict, members) -> list:

    unknown = set(data) - set(RULE_FIELDS)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key not in unknown:
            setattr(rule, key, value.strip() if isinstance(value, str) else value)
    if rule.condition:
        try:
            compile_expression(rule.condition, entities.get("lead").variable_names())
        except ExpressionError as exc:
            errors["condition"] = [expression_error(exc)]
    clean_members = []
    if members is not None:
        seen = set()
        for index, item in enumerate(members):
            user_id = item.get("user_id") if isinstance(item, dict) else item
            weight = item.get("weight", 1) if isinstance(item, dict) else 1
            try:
                user_id = int(user_id)
                weight = int(weight)
            except (TypeError, ValueError):
                errors.setdefault("members", []).append(
                    _("Member %(n)d: give a user id and a whole-number weight.") % {"n": index + 1}
                )
                continue
            if not 1 <= weight <= 100:
                errors.setdefault("members", []).append(
                    _("Member %(n)d: the weight must be 1–100.") % {"n": index + 1}
                )
            if user_id in seen:
                continue
            seen.add(user_id)
            clean_members.append((user_id, weight))
        known = set(
            User.objects.filter(pk__in=[u for u, _w in clean_members], is_active=True).values_list(
                "pk", flat=True
            )
        )
        for user_id, _w in clean_members:
            if user_id not in known:
                errors.setdefault("members", []).append(
                    _("No active user with id %(id)s.") % {"id": user_id}
                )
    if rule.strategy not in Strategy.values:
        errors["strategy"] = [_("Choose round robin, least loaded or weighted.")]
    try:
        rule.full_clean(exclude=["team", *errors], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    has_members = bool(clean_members) if members is not None else rule.pk and rule.members.exists()
    if not rule.team_id and not has_members and "members" not in errors:
        errors["team"] = [_("Choose a team or list the reps who get these leads.")]
    if errors:
        raise ValidationError(errors)
    return clean_members


def _save_members(rule, members) -> None:
    rule.members.all().delete()
    RoutingMember.objects.bulk_create(
        [RoutingMember(rule=rule, user_id=u, weight=w) for u, w in members]
    )


PRIORITY_STEP = 10


def next_priority() -> int:
    """The priority that puts a new rule after every existing one (with room between)."""
    last = RoutingRule.objects.order_by("-priority").values_list("priority", flat=True).first()
    return 100 if last is None else last + PRIORITY_STEP


def routing_rule_warnings(rule) -> list[str]:
    """Why ``rule`` may never place a lead (its condition cannot hold, or an earlier
    active rule matches every lead it matches), and the later rules it now catches every
    lead of (``shadowing``)."""
    others = list(RoutingRule.objects.only("id", "name", "priority", "is_active", "condition"))
    return shadowing.rule_warnings(rule, others) + shadowing.rules_it_shadows(rule, others)


@transaction.atomic
def routing_rule_create(*, actor, members=None, **data):
    """Create a rule; without a priority it goes after the existing rules. Check
    :func:`routing_rule_warnings` afterwards to tell the person what shadows it."""
    _require_admin(actor)
    if data.get("priority") in (None, ""):
        data["priority"] = next_priority()
    rule = RoutingRule(created_by=actor)
    clean = _clean_rule(rule, data, members or [])
    rule._history_user = actor
    rule.save()
    _save_members(rule, clean)
    routing.invalidate()  # this process at once, every process after commit
    return rule


@transaction.atomic
def routing_rule_update(*, actor, rule, members=None, **data):
    _require_admin(actor)
    clean = _clean_rule(rule, data, members)
    rule._history_user = actor
    rule.save()
    if members is not None:
        _save_members(rule, clean)
    routing.invalidate()  # this process at once, every process after commit
    return rule


@transaction.atomic
def routing_rule_delete(*, actor, rule) -> None:
    _require_admin(actor)
    rule._history_user = actor
    rule.delete()
    routing.invalidate()  # this process at once, every process after commit


def routing_test(sample: dict):
    """What routing would do with a sample lead right now, without assigning it."""
    sample = dict(sample)
    channel_id = sample.pop("channel", None) or sample.pop("channel_id", None)
    channel = None
    if channel_id not in (None, ""):
        channel = (
            Channel.objects.filter(pk=channel_id).first() if str(channel_id).isdigit() else None
        )
        if channel is None:
            raise ValidationError({"channel": _("Unknown channel.")})
    lead = Lead(channel=channel or manual_channel())
    errors = assign_fields(lead, {k: v for k, v in sample.items() if k != "custom"}, LEAD_FIELDS)
    if lead.phone:
        try:
            lead.phone = normalize_phone(lead.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    lead.custom = sample.get("custom") or {}
    region.fill(lead)
    snapshot = routing.build_snapshot()
    counts = routing.counts_today(snapshot.day)
    decision = routing.decide(
        snapshot, entities.get("lead").variables(lead), counts, routing.open_loads
    )
    return decision, snapshot, lead
