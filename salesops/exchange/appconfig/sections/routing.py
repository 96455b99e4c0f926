"""App-template sections of lead routing: the teams a rule names and the routing rules.

Teams are carried as a skeleton (name, kind, region, product lines; no manager, no
members: people are not configuration) so that a template's routing rules, pipelines and
schemes have the teams they name on a fresh installation. A rule names its reps by
username; a rep who does not exist here refuses the file with the name.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.automation.triggers import expression_error
from salesops.core import entities
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.core.history import save_with_history
from salesops.leads import configuration as lead_config
from salesops.leads.models import RoutingRule, Strategy
from salesops.org import services as org_services
from salesops.org.models import Team, TeamKind

from ..base import Section, register
from .naturalkeys import TEAM_SEPARATOR, find_team, find_user, team_path


@register
class Teams(Section):
    name = "teams"
    label = _l("Team")

    def key(self, item: dict) -> str:
        parent = str(item.get("parent") or "")
        name = str(item.get("name") or "")
        return f"{parent}{TEAM_SEPARATOR}{name}" if parent else name

    def _item(self, team: Team) -> dict:
        return {
            "name": team.name,
            "parent": team_path(team.parent) if team.parent_id else "",
            "kind": team.kind,
            "region": team.region,
            "product_lines": team.product_lines,
        }

    def export(self) -> list[dict]:
        return sorted((self._item(t) for t in Team.objects.select_related("parent")), key=self.key)

    def references(self, item: dict) -> list[tuple[str, str]]:
        parent = str(item.get("parent") or "")
        return [("teams", parent)] if parent else []

    def validate(self, item: dict) -> list[str]:
        errors = []
        if not str(item.get("name") or "").strip():
            errors.append(_("“name” is missing: give the team's name."))
        elif TEAM_SEPARATOR.strip() in str(item["name"]):
            errors.append(_("“name” may not contain “/”; name the parent in “parent”."))
        if item.get("kind", TeamKind.GROUP) not in TeamKind.values:
            errors.append(
                _("“kind” must be one of: %(choices)s.") % {"choices": ", ".join(TeamKind.values)}
            )
        return errors

    def apply(self, item: dict, *, actor) -> str:
        path = self.key(item)
        wanted = {
            "kind": item.get("kind") or TeamKind.GROUP,
            "region": item.get("region") or "",
            "product_lines": item.get("product_lines") or "",
        }
        team = find_team(path)
        if team is None:
            parent = find_team(item["parent"]) if item.get("parent") else None
            if item.get("parent") and parent is None:
                # The preview found the parent in the file, but later than this team.
                raise ValidationError(
                    {
                        "teams": [
                            _("Team “%(team)s”: list its parent “%(parent)s” before it.")
                            % {"team": path, "parent": item["parent"]}
                        ]
                    }
                )
            org_services.team_create(name=item["name"].strip(), parent=parent, **wanted)
            return "created"
        changed = {k: v for k, v in wanted.items() if getattr(team, k) != v}
        if not changed:
            return "unchanged"
        for key, value in changed.items():
            setattr(team, key, value)
        team.full_clean(exclude=["path"])
        save_with_history(team, actor, "app template")
        return "changed"


@register
class RoutingRules(Section):
    name = "routing_rules"
    label = _l("Routing rule")
    depends = ("teams",)

    def key(self, item: dict) -> str:
        return str(item.get("name") or "")

    def _item(self, rule: RoutingRule) -> dict:
        members = sorted(
            ({"username": m.user.username, "weight": m.weight} for m in rule.members.all()),
            key=lambda m: m["username"],
        )
        return {
            "name": rule.name,
            "priority": rule.priority,
            "is_active": rule.is_active,
            "condition": rule.condition,
            "strategy": rule.strategy,
            "team": team_path(rule.team) if rule.team_id else "",
            "members": members,
        }

    def export(self) -> list[dict]:
        rules = RoutingRule.objects.select_related("team").prefetch_related("members__user")
        return sorted((self._item(r) for r in rules.order_by("priority", "id")), key=self.key)

    def references(self, item: dict) -> list[tuple[str, str]]:
        team = str(item.get("team") or "")
        return [("teams", team)] if team else []

    def validate(self, item: dict) -> list[str]:
        errors = []
        if not self.key(item).strip():
            errors.append(_("“name” is missing: give the rule a name."))
        if item.get("strategy", Strategy.ROUND_ROBIN) not in Strategy.values:
            errors.append(
                _("“strategy” must be one of: %(choices)s.")
                % {"choices": ", ".join(Strategy.values)}
            )
        condition = str(item.get("condition") or "").strip()
        if condition:
            try:
                compile_expression(condition, entities.get("lead").variable_names())
            except ExpressionError as exc:
                errors.append(_("“condition”: %(problem)s") % {"problem": expression_error(exc)})
        for member in item.get("members") or []:
            username = member.get("username") if isinstance(member, dict) else member
            if find_user(str(username or "")) is None:
                errors.append(
                    _(
                        "Member “%(user)s”: no active user with this username here; create "
                        "the user first or remove the member."
                    )
                    % {"user": username}
                )
        if not item.get("team") and not item.get("members"):
            errors.append(_("Give a “team” or list the “members” who get these leads."))
        return errors

    def _wanted(self, item: dict) -> dict:
        return {
            "name": item["name"].strip(),
            "priority": int(item.get("priority") or 100),
            "is_active": bool(item.get("is_active", True)),
            "condition": (item.get("condition") or "").strip(),
            "strategy": item.get("strategy") or Strategy.ROUND_ROBIN,
            "team": (item.get("team") or "").strip(),
            "members": sorted(
                (
                    {"username": m["username"], "weight": int(m.get("weight", 1))}
                    for m in item.get("members") or []
                ),
                key=lambda m: m["username"],
            ),
        }

    def apply(self, item: dict, *, actor) -> str:
        wanted = self._wanted(item)
        rule = (
            RoutingRule.objects.filter(name=wanted["name"])
            .prefetch_related("members__user")
            .order_by("priority", "id")
            .first()
        )
        if rule is not None and self._item(rule) == wanted:
            return "unchanged"
        data = {k: v for k, v in wanted.items() if k != "members"}
        data["team"] = find_team(wanted["team"]) if wanted["team"] else None
        members = [
            {"user_id": find_user(m["username"]).pk, "weight": m["weight"]}
            for m in wanted["members"]
        ]
        if rule is None:
            lead_config.routing_rule_create(actor=actor, members=members, **data)
            return "created"
        lead_config.routing_rule_update(actor=actor, rule=rule, members=members, **data)
        return "changed"
