"""App-template sections of the leads app: intake channels.

Lead statuses are not data (``leads.models.LeadStatus`` is a fixed set the workflow is
written against), so no template carries them; the invalid reasons a rep picks are the
``lead_invalid_reason`` choice list (section ``choice_lists``).

A channel travels without its token: the token is the secret a website form posts with,
so a channel the template creates gets a fresh one and an existing one keeps its own.
Its pool team is named, not numbered; the team must exist in the installation.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.leads import configuration as lead_configuration
from salesops.leads.models import Channel, ChannelKind
from salesops.org.models import Team

from ..base import Section, register
from .common import BOOL, INT, TEXT, check_fields, differences


def _team(name: str) -> Team | None:
    return Team.objects.filter(name=name).order_by("id").first() if name else None


@register
class Channels(Section):
    name = "channels"
    label = _l("Lead channel")
    SPEC = {
        "name": TEXT,
        "kind": TEXT,
        "campaign": TEXT,
        "is_active": BOOL,
        "rate_limit": INT,
        "team": TEXT,
    }
    FIELDS = ("campaign", "is_active", "rate_limit", "team")

    def key(self, item: dict) -> str:
        return f"{item.get('kind', '')}/{item.get('name', '')}"

    def _item(self, channel: Channel) -> dict:
        return {
            "name": channel.name,
            "kind": channel.kind,
            "campaign": channel.campaign,
            "is_active": channel.is_active,
            "rate_limit": channel.rate_limit,
            "team": channel.team.name if channel.team_id else "",
        }

    def export(self) -> list[dict]:
        items: dict[str, dict] = {}
        # Two channels with the same name and kind are one to a template: the oldest.
        for channel in Channel.objects.select_related("team").order_by("id"):
            item = self._item(channel)
            items.setdefault(self.key(item), item)
        return [items[k] for k in sorted(items)]

    def validate(self, item: dict) -> list[str]:
        messages = check_fields(item, self.SPEC, ("name", "kind"))
        kind = item.get("kind")
        if isinstance(kind, str) and kind and kind not in ChannelKind.values:
            messages.append(
                _("“kind”: %(kind)s is not a channel kind; use one of: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(ChannelKind.values)}
            )
        team = item.get("team")
        if isinstance(team, str) and team and _team(team) is None:
            messages.append(
                _(
                    "“team”: there is no team named %(team)s in this installation; create "
                    "it first or leave “team” empty."
                )
                % {"team": team}
            )
        return messages

    def _data(self, item: dict, fields) -> dict:
        data = {f: item[f] for f in fields if f in item}
        if "team" in data:
            data["team"] = _team(data["team"] or "")
        return data

    def apply(self, item: dict, *, actor) -> str:
        existing = (
            Channel.objects.select_related("team")
            .filter(name=item["name"], kind=item["kind"])
            .order_by("id")
            .first()
        )
        if existing is None:
            data = self._data(item, self.FIELDS)
            lead_configuration.channel_create(
                actor=actor, name=item["name"], kind=item["kind"], **data
            )
            return "created"
        changes = differences(self._item(existing), item, self.FIELDS)
        if not changes:
            return "unchanged"
        lead_configuration.channel_update(
            actor=actor, channel=existing, **self._data(changes, changes)
        )
        return "changed"
