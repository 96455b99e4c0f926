"""The demo's knowledge base: the starter corpus (scripts, articles, cases, micro-courses
of salesops/knowledge/defaults/corpus.py) written by the sales-ops admin, and a few weeks
of reps' use of it — searches made for their accounts (the visit snapshot lists them),
views, copies and adoptions — so the usage counts and snapshots are not empty.

Its own seeded random source: the rest of the demo draws the same values with or
without it."""

from __future__ import annotations

import datetime as dt
import random

from salesops.knowledge.defaults.load import install_corpus
from salesops.knowledge.models import KnowledgeUsage, UsageAction
from salesops.org.models import User

from . import SEED

# Pain points reps type after visits (the matching is real: the demo's search rows carry
# the item the search would have led to).
PAIN_POINTS = (
    ("客户说价格比竞品高20%", "price_vs_competitor"),
    ("设备停机维修成本太高", "downtime_case"),
    ("今年预算不够，只批了一半", "budget_short"),
    ("仓库呆滞料太多，资金压力大", "inventory_turnover"),
    ("担心数据放云上不安全", "data_security"),
    ("销售预测老是不准", "forecast_visibility"),
    ("客户想先免费试用", "free_trial"),
    ("对接人见不到老板", "reach_decision_maker"),
    ("报价后客户不回微信", "silent_customer"),
    ("售后响应慢投诉多", "after_sales_response"),
    ("插单多交期老延误", "scheduling_delivery"),
    ("老客户合同到期不续约", "churn_renewal"),
)
SHARE = 0.3
DAYS = 28


def build_knowledge(gen, now: dt.datetime, accounts) -> dict:
    """Install the corpus and the usage; returns counts."""
    rng = random.Random(SEED + 15)
    admin = User.objects.filter(username="admin").first()
    items = install_corpus(author=admin)
    usage: list[KnowledgeUsage] = []
    chosen = sorted(accounts, key=lambda a: a.pk)
    chosen = [a for a in chosen if rng.random() < SHARE]
    for account in chosen:
        text, key = rng.choice(PAIN_POINTS)
        at = now - dt.timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(600))
        common = {"user_id": account.owner_id, "account": account}
        usage.append(KnowledgeUsage(action=UsageAction.SEARCHED, query=text, at=at, **common))
        usage.append(KnowledgeUsage(action=UsageAction.VIEWED, item=items[key], at=at, **common))
        if rng.random() < 0.6:
            later = at + dt.timedelta(minutes=1)
            usage.append(
                KnowledgeUsage(action=UsageAction.COPIED, item=items[key], at=later, **common)
            )
            if rng.random() < 0.5:
                usage.append(
                    KnowledgeUsage(action=UsageAction.ADOPTED, item=items[key], at=later, **common)
                )
    KnowledgeUsage.objects.bulk_create(usage, batch_size=2000)
    return {"knowledge items": len(items), "knowledge usage": len(usage)}
