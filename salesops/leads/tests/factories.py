"""Lead-side test helpers: channels, routing rules and leads through the services."""

import hashlib
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


CHARS = "安邦博诚达丰港冠海恒宏华汇佳嘉建金锦君凯康兰朗力联林龙茂美明宁鹏启瑞森盛世泰腾天拓伟文翔鑫信星旭耀亿益英永优宇元远跃云长正志智中卓"


def company_name(n: int) -> str:
    """Distinct-looking company names, so fuzzy matching does not pair test leads."""
    digest = hashlib.sha256(str(n).encode()).digest()
    core = "".join(CHARS[b % len(CHARS)] for b in digest[:4])
    return f"{core}科技有限公司"


def lead_data(n: int | None = None, **data) -> dict:
    n = next(_seq) if n is None else n
    data.setdefault("contact_name", f"张{n}")
    data.setdefault("phone", f"137{n:08d}")
    data.setdefault("company", company_name(n))
    data.setdefault("need", "想了解产线数字化方案")
    return data


def intake(channel=None, **data):
    channel = channel or Channel.objects.filter(kind="website").first() or make_channel()
    return services.lead_intake(channel=channel, data=lead_data(**data))
