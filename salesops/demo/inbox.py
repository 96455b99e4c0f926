"""The demo's inbox: an API source and a WeCom source (made-up credentials; the WeCom
callback URL is real but nothing calls it in the demo) and some thirty messages received
through the inbox's own intake (``inbox.services.message_receive``), so matching,
scenario tags, the lead made from an unknown sender's inquiry, the complaint and the
renewal link are all there on the first `make run`.

About seven in ten come from demo contacts' phones and emails, the rest from strangers
(some with a phone in the text: an inquiry becomes a lead) and two from WeCom ids nobody
has linked yet (left unmatched, for a person to link). Its own seeded random source."""

from __future__ import annotations

import datetime as dt
import random

from salesops.customers.models import Contact
from salesops.inbox import configuration
from salesops.inbox.models import SourceKind
from salesops.inbox.services import message_receive
from salesops.org.models import User

from . import SEED

COUNT = 30
KNOWN_SHARE = 0.7
DAYS = 10

TEXTS = {
    "inquiry": (
        ("询价", "你好，想了解一下你们数字化工厂方案的报价，大概多少钱？"),
        ("试用申请", "我们想先申请试用两周，可以安排演示吗？"),
        ("Pricing", "Hi, could you send the price list for 50 seats? We'd like a demo."),
    ),
    "complaint": (
        ("设备故障", "上周装的设备又出故障了，售后一直没人来，非常不满。"),
        ("投诉", "发票开错了第三次了，要投诉你们的对接人。"),
        ("Complaint", "The system was down again this morning; we are unhappy with support."),
    ),
    "renewal": (
        ("续约", "我们的合同下个月到期，想谈一下续约和续费的折扣。"),
        ("Renewal", "Our subscription is due to renew in March; please send the renewal quote."),
    ),
    "other": (
        ("会议时间", "周四下午的会议改到三点，可以吗？"),
        ("资料已收到", "资料收到了，谢谢。"),
    ),
}
STRANGERS = (
    ("陈先生", "13912345678", "inquiry"),
    ("刘经理", "13698761234", "inquiry"),
    ("周女士", "zhou.li@example.cn", "inquiry"),
    ("Mark Evans", "mark.evans@example.com", "inquiry"),
    ("赵工", "15800001111", "other"),
)


def build_inbox(now: dt.datetime) -> dict:
    """Two sources and their messages; returns counts."""
    rng = random.Random(SEED + 21)
    admin = User.objects.filter(username="admin").first()
    api = configuration.source_save(actor=admin, kind=SourceKind.API, name="官网与小程序")
    wecom = configuration.source_save(
        actor=admin,
        kind=SourceKind.WECOM,
        name="企业微信客服",
        corp_id="ww0000demo000000",
        agent_id="1000002",
        token="demotoken",
        aes_key="".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(43)),
    )
    contacts = list(
        Contact.objects.exclude(phone="")
        .exclude(email="")
        .order_by("pk")[:400]
        .only("pk", "name", "phone", "email")
    )
    scenarios = list(TEXTS)
    received = 0
    for n in range(COUNT):
        at = now - dt.timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(600))
        if contacts and rng.random() < KNOWN_SHARE:
            contact = rng.choice(contacts)
            name = contact.name
            address = contact.email if rng.random() < 0.5 else contact.phone
            scenario = rng.choice(scenarios)
        else:
            name, address, scenario = STRANGERS[n % len(STRANGERS)]
        subject, body = rng.choice(TEXTS[scenario])
        if address[0].isdigit() and scenario == "inquiry":
            body = f"{body} 我的电话 {address}"
        message_receive(
            source=api,
            source_message_id=f"demo-{n}",
            sender_address=address,
            sender_name=name,
            subject=subject,
            body=body,
            received_at=at,
        )
        received += 1
    for n, external in enumerate(("wmDemoUnlinked01", "wmDemoUnlinked02")):
        message_receive(
            source=wecom,
            source_message_id=f"demo-wecom-{n}",
            sender_address=external,
            sender_name="",
            subject="",
            body=TEXTS["inquiry"][n][1],
            received_at=now - dt.timedelta(hours=3 + n),
        )
        received += 1
    return {"inbox messages": received}
