"""Lead-side test helpers: channels, routing rules and leads through the services."""

import itertools

from salesops.leads import services
from salesops.leads.models import Channel

_seq = itertools.count(1)


def make_channel(**data) -> Channel:
    data.setdefault("name", f"官网表单{next(_seq)}")
    data.setdefault("kind", "website")
    return services.channel_create(actor=None, **data)


def make_rule(team=None, members=None, **data):
    data.setdefault("name", f"规则{next(_seq)}")
    return services.routing_rule_create(actor=None, team=team, members=members, **data)


def lead_data(n: int | None = None, **data) -> dict:
    n = next(_seq) if n is None else n
    data.setdefault("contact_name", f"张{n}")
    data.setdefault("phone", f"137{n:08d}")
    data.setdefault("company", f"星河{n:05d}号制造")
    data.setdefault("need", "想了解产线数字化方案")
    return data


def intake(channel=None, **data):
    channel = channel or Channel.objects.filter(kind="website").first() or make_channel()
    return services.lead_intake(channel=channel, data=lead_data(**data))
