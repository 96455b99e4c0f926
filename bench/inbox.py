"""Inbox benchmark: incoming messages matched to a customer and tagged with a scenario.

    .venv/bin/python bench/inbox.py                      # SQLite file var/bench-inbox.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_inbox \\
        .venv/bin/python bench/inbox.py

The first run migrates the bench database and creates ``--accounts`` accounts owned by 50
reps, one contact each (a mobile, an email; every tenth also a WeCom external id); later
runs reuse them and delete the previous run's messages. Then ``--messages`` messages go
through ``services.message_receive`` — the one intake every channel uses — one
transaction each, as a callback or a mail would: a sender looked up (WeCom id, email or
phone, then an open lead), the keyword rules applied, the message and its history row
written.

Figures (``bench/results/inbox-<db>.json``):

* ``matched_tagged`` — messages from known senders (a third each by phone, email and WeCom
  id) with no follow-up record (thanks, meeting notes, questions): the matching and
  tagging path itself. Target ≥ 200 messages/s.
* ``mixed`` — the realistic mix: 60 % known senders, 40 % strangers; inquiries, complaints,
  renewals and other messages; complaints from customers create a complaint record,
  renewals attach to the open renewal, inquiries from strangers with a phone become a
  lead through the full lead intake (de-duplication, routing, SLA clock).
* ``matched_tagged_parallel`` — the same kind of messages over ``--workers`` threads (own
  connections), as callbacks reaching several web workers at once. On PostgreSQL one
  stream is bound by the commit's WAL flush (≈ 5.5 ms for a one-row insert on the
  reference machine), so the target is met only with several workers (group commit).
* ``wecom_crypto_us`` — checking the signature and decrypting one WeCom callback body
  (microseconds, median), the per-message cost the callback adds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "inbox"
TARGET_PER_SECOND = 200.0
REPS = 50
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞斌宇浩凯秀兰建国志刚晨阳欣怡子涵梓轩"
)
OTHER_TEXTS = [
    "收到，谢谢！",
    "好的，明天下午三点见。",
    "会议纪要已经发到群里了，请查收。",
    "Thanks for the quick help yesterday.",
    "Attached are the notes from today's meeting.",
    "发票已经收到了。",
]
MIXED_TEXTS = {
    "inquiry": [
        "想了解一下你们的报价，",
        "Could you send a quotation for 20 licences? ",
        "能安排一次演示吗？",
    ],
    "complaint": ["设备又故障了，非常不满。", "This is unacceptable, we want a refund. "],
    "renewal": ["合同下月到期，想聊续约。", "We would like to renew for another year. "],
    "other": OTHER_TEXTS,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=2000, help="messages per measurement")
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="threads for the parallel figure (callbacks arrive at several web workers)",
    )
    return parser.parse_args()


def ensure_data(accounts: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from salesops.customers.models import Account, Contact
    from salesops.inbox.models import ContactHandle
    from salesops.org.models import User

    if Account.objects.count() >= accounts:
        return
    reps = [
        User.objects.get_or_create(
            username=f"bench_rep_{n}", defaults={"display_name": f"Rep {n}"}
        )[0]
        for n in range(REPS)
    ]
    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": "admin"})
    from salesops.core.names import company_key

    rows = []
    for n in range(accounts):
        name = f"基准测试{n:05d}科技有限公司"
        key = company_key(name)
        rows.append(Account(name=name, owner=reps[n % REPS], name_key=key, name_prefix=key[:2]))
    Account.objects.bulk_create(rows, batch_size=2000)
    contacts = [
        Contact(
            account=account,
            name=f"联系人{n}",
            phone=f"+86137{n:08d}",
            email=f"buyer{n}@bench-example.cn",
        )
        for n, account in enumerate(Account.objects.order_by("pk"))
    ]
    Contact.objects.bulk_create(contacts, batch_size=2000)
    handles = [
        ContactHandle(kind="wecom", value=f"wm_bench_{n}", contact=c)
        for n, c in enumerate(Contact.objects.order_by("pk")[::10])
    ]
    ContactHandle.objects.bulk_create(handles, batch_size=2000)


def sources():
    from salesops.inbox.models import InboxSource

    api, _ = InboxSource.objects.get_or_create(kind="api", name="bench api")
    wecom, _ = InboxSource.objects.get_or_create(
        kind="wecom",
        name="bench wecom",
        defaults={
            "corp_id": "c",
            "token": "t",
            "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        },
    )
    return api, wecom


def known_sender(rng, accounts: int):
    n = rng.randrange(accounts)
    how = rng.randrange(3)
    if how == 0:
        return "api", f"137 {n // 10000:04d} {n % 10000:04d}"
    if how == 1:
        return "api", f"Buyer{n}@Bench-Example.cn"
    n -= n % 10
    return "wecom", f"wm_bench_{n // 10}"


def run(messages: list, api, wecom) -> dict:
    from salesops.inbox import matching, services

    rules = matching.active_rules()
    started = time.perf_counter()
    latencies = []
    for n, (kind, sender, body, *name) in enumerate(messages):
        t0 = time.perf_counter()
        services.message_receive(
            source=wecom if kind == "wecom" else api,
            source_message_id=f"bench-{time.time_ns()}-{n}",
            sender_address=sender,
            sender_name=name[0] if name else "",
            body=body,
            rules=rules,
        )
        latencies.append((time.perf_counter() - t0) * 1000)
    seconds = time.perf_counter() - started
    return {
        "messages": len(messages),
        "seconds": round(seconds, 2),
        "per_second": round(len(messages) / seconds, 1),
        "latency_ms": {
            "p50": round(common.percentile(latencies, 50), 2),
            "p95": round(common.percentile(latencies, 95), 2),
        },
    }


def run_parallel(messages: list, api, wecom, workers: int) -> dict:
    """The same messages spread over ``workers`` threads, each with its own database
    connection, as callbacks reaching several web workers at once: on PostgreSQL their
    commits share the WAL flushes; on SQLite the writers queue on the file lock."""
    import threading

    from django.db import connections

    chunks = [messages[n::workers] for n in range(workers)]
    results: list = [None] * workers

    def work(n):
        try:
            results[n] = run(chunks[n], api, wecom)
        finally:
            connections.close_all()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "messages": len(messages),
        "workers": workers,
        "seconds": round(seconds, 2),
        "per_second": round(len(messages) / seconds, 1),
        "latency_p50_ms_per_worker": [r["latency_ms"]["p50"] for r in results if r],
    }


def crypto_us(samples: int = 2000) -> float:
    from salesops.inbox import crypto

    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    inner = (
        "<xml><FromUserName>wm_x</FromUserName><Content>" + "想了解报价" * 20 + "</Content></xml>"
    ).encode()
    encrypted = crypto.wecom_encrypt(key, inner, "corp")
    signature = crypto.wecom_signature("tok", "1700000000", "nonce", encrypted)
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        crypto.wecom_check_signature("tok", "1700000000", "nonce", encrypted, signature)
        crypto.wecom_decrypt(key, encrypted, "corp")
        times.append((time.perf_counter() - t0) * 1_000_000)
    return round(statistics.median(times), 1)


def main():
    args = parse_args()
    common.setup_django(f"sqlite:///{common.ROOT / 'var' / 'bench-inbox.sqlite3'}")
    ensure_data(args.accounts)
    from salesops.aftersales.models import Complaint
    from salesops.inbox.models import Message
    from salesops.leads.models import Lead

    Message.objects.filter(source__name__startswith="bench").delete()
    Complaint.objects.filter(source="inbox").delete()
    api, wecom = sources()
    rng = random.Random(20)
    plain = [
        (*known_sender(rng, args.accounts), rng.choice(OTHER_TEXTS)) for _ in range(args.messages)
    ]
    mixed = []
    for n in range(args.messages):
        scenario = rng.choice(list(MIXED_TEXTS))
        body = rng.choice(MIXED_TEXTS[scenario])
        if rng.random() < 0.6:
            mixed.append((*known_sender(rng, args.accounts), body))
        else:
            phone = f" 电话 139{rng.randrange(10**8):08d}" if rng.random() < 0.5 else ""
            # Strangers have names of their own (the lead intake de-duplicates on them
            # when the message names no company).
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            mixed.append(("api", f"s{n}@mail-example.com", body + phone, name))
    leads_before = Lead.objects.count()
    figures = {
        "accounts": args.accounts,
        "matched_tagged": run(plain, api, wecom),
        "mixed": run(mixed, api, wecom),
        "matched_tagged_parallel": run_parallel(
            [
                (*known_sender(rng, args.accounts), rng.choice(OTHER_TEXTS))
                for _ in range(args.messages)
            ],
            api,
            wecom,
            args.workers,
        ),
        "wecom_crypto_us": crypto_us(),
    }
    figures["mixed"]["leads_created"] = Lead.objects.count() - leads_before
    # Strangers' inquiries that reached the lead intake (new leads, or added to a lead an
    # earlier run created for the same person: the intake's de-duplication).
    figures["mixed"]["inquiries_to_leads"] = Message.objects.filter(
        source=api, scenario="inquiry", account__isnull=True, lead__isnull=False
    ).count()
    figures["mixed"]["complaints_created"] = Complaint.objects.filter(source="inbox").count()
    rate = max(
        figures["matched_tagged"]["per_second"], figures["matched_tagged_parallel"]["per_second"]
    )
    figures["target"] = (
        f"{'OK' if rate >= TARGET_PER_SECOND else 'MISS'} ≥ {TARGET_PER_SECOND:.0f}/s"
    )
    summary = (
        f"matched+tagged {figures['matched_tagged']['per_second']}/s sequential, "
        f"{figures['matched_tagged_parallel']['per_second']}/s with {args.workers} workers "
        f"(target ≥ {TARGET_PER_SECOND:.0f}/s, {figures['target']}); "
        f"mixed {figures['mixed']['per_second']}/s; WeCom verify+decrypt {figures['wecom_crypto_us']} µs"
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
