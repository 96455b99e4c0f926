"""Reads of rules, versions, firings and webhook deliveries.

Rules are configuration of the whole organisation: sales-ops admins and directors manage
and read them (and their firings); everyone else gets a permission error.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from salesops.notifications import selectors as notification_selectors

from .models import Rule, RuleFiring, RuleVersion
from .services import can_manage_rules


def _require(user) -> None:
    if not can_manage_rules(user):
        raise PermissionDenied(_("Only sales-ops admins and directors can see automation rules."))


def rule_list(*, user, q: str = "", trigger_type: str = "", active: bool | None = None):
    _require(user)
    qs = Rule.objects.select_related("current_version").order_by("name", "pk")
    if q:
        qs = qs.filter(name__icontains=q)
    if trigger_type:
        qs = qs.filter(trigger_type=trigger_type)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def rule_get(*, user, pk: int) -> Rule:
    _require(user)
    return Rule.objects.select_related("current_version").get(pk=pk)


def rule_versions(*, user, rule: Rule):
    _require(user)
    return RuleVersion.objects.filter(rule=rule).order_by("-number")


def firing_list(
    *,
    user,
    rule: int | None = None,
    entity: str = "",
    object_id: int | None = None,
    status: str = "",
):
    """Firings, newest first: what fired, when, for which record, under which version and
    with which condition values."""
    _require(user)
    qs = RuleFiring.objects.select_related("rule", "version").order_by("-fired_at", "-pk")
    if rule is not None:
        qs = qs.filter(rule_id=rule)
    if entity:
        qs = qs.filter(entity=entity)
    if object_id is not None:
        qs = qs.filter(object_id=object_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def firing_get(*, user, pk: int) -> RuleFiring:
    _require(user)
    return RuleFiring.objects.select_related("rule", "version").get(pk=pk)


def delivery_list(*, user, rule: int | None = None, status: str = ""):
    """Rules' webhook deliveries, read from the one delivery log of the notifications app
    (sales-ops admins)."""
    _require(user)
    return notification_selectors.delivery_list(
        user=user, status=status, channel="webhook", source_type="rule", source_id=rule
    )
