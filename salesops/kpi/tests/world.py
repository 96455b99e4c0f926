"""A hand-built month (March 2026) for the engine's tests: rep A with one of everything
the built-in metrics count, rep B with a little, both in one team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.aftersales.tests.factories import make_complaint, make_nps
from salesops.customers.tests.factories import make_account
from salesops.knowledge.models import KnowledgeUsage
from salesops.knowledge.tests.factories import make_item
from salesops.kpi.models import (
    ComplianceFinding,
    FindingState,
    VoiceMention,
    VoiceRound,
    VoiceSample,
)
from salesops.leads.models import Lead
from salesops.leads.tests.factories import ChannelFactory, LeadFactory
from salesops.org.models import Role, TeamKind
from salesops.org.tests.factories import UserFactory, team
from salesops.pipeline.models import Deal, Evidence
from salesops.pipeline.tests.factories import make_deal
from salesops.revenue.tests.factories import make_contract, make_payment

NOW = dt.datetime(2026, 3, 25, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour), timezone.get_default_timezone())


def build() -> SimpleNamespace:
    admin = UserFactory(role=Role.ADMIN, username="kpi_admin")
    company = team("KPI Co", kind=TeamKind.COMPANY)
    group = team("KPI Group", parent=company)
    a = UserFactory(username="kpi_a", display_name="Rep A", team=group)
    b = UserFactory(username="kpi_b", display_name="Rep B", team=group)
    x = make_account(a)
    y = make_account(a)
    bx = make_account(b)

    # contracts: two signed in March on X (the second a repeat), one draft, one in Feb on Y
    c1 = make_contract(x, amount=Decimal("100000"), signed_on=dt.date(2026, 3, 5))
    make_contract(x, amount=Decimal("50000"), signed_on=dt.date(2026, 3, 10))
    make_contract(x, amount=Decimal("999"), status="draft", signed_on=None)
    make_contract(y, amount=Decimal("70000"), signed_on=dt.date(2026, 2, 10))
    make_contract(bx, amount=Decimal("20000"), signed_on=dt.date(2026, 3, 12))
    make_payment(c1, "30000.00", received_on=dt.date(2026, 3, 20))
    make_payment(c1, "10000.00", received_on=dt.date(2026, 3, 24))

    # activities: 3 effective calls on X, an effective visit on Y, one open call; B: 1
    tag = ResultTagFactory(counts_as_contact=True)
    for day in (2, 3, 4):
        ActivityFactory(owner=a, account=x, started_at=at(day), tag=tag, duration_seconds=600)
    ActivityFactory(
        owner=a, account=y, kind="visit", started_at=at(6), tag=tag, duration_seconds=1800
    )
    ActivityFactory(owner=a, account=x, started_at=at(7))
    ActivityFactory(owner=a, account=x, started_at=at(27, month=2), tag=tag, duration_seconds=600)
    ActivityFactory(owner=b, account=bx, started_at=at(9), tag=tag, duration_seconds=600)

    # deals: won (14 days), lost, open qualified, open not qualified
    won = make_deal(owner=a, account=x, amount=Decimal("200000"))
    lost = make_deal(owner=a, account=x, amount=Decimal("10000"))
    qualified = make_deal(owner=a, account=y, amount=Decimal("80000"))
    make_deal(owner=a, account=y, amount=Decimal("5000"))
    Deal.objects.filter(pk=won.pk).update(status="won", created_at=at(1), closed_at=at(15))
    Deal.objects.filter(pk=lost.pk).update(status="lost", created_at=at(1), closed_at=at(20))
    Deal.objects.filter(pk=qualified.pk).update(
        need_confirmed=True, budget_confirmed=True, decision_maker_identified=True
    )
    for kind in ("proposal", "proposal", "quote"):
        Evidence.objects.create(
            deal=won,
            stage=won.stage,
            type=kind,
            file="evidence/x.pdf",
            original_name="x.pdf",
            size=1,
            content_type="application/pdf",
        )

    # NPS on X: two promoters, one detractor, one passive; a complaint
    for score in (9, 10, 3, 7):
        make_nps(x, score=score, responded_on=dt.date(2026, 3, 3))
    make_complaint(x, raised_on=dt.date(2026, 3, 8))

    # knowledge: 2 adopted, 1 viewed
    item = make_item(admin)
    for action in ("adopted", "adopted", "viewed"):
        KnowledgeUsage.objects.create(item=item, user=a, action=action, at=at(11))

    # leads: two received, one whose channel was corrected afterwards
    web, fair = ChannelFactory(), ChannelFactory()
    first = LeadFactory(channel=web, owner=a)
    LeadFactory(channel=web, owner=a)
    corrected = Lead.objects.get(pk=first.pk)
    corrected.channel = fair
    corrected.save()

    # customer voice: one answered sample, two mentions (solution, collaboration)
    rnd = VoiceRound.objects.create(
        period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31), seed=1
    )
    sample = VoiceSample.objects.create(
        round=rnd, rep=a, account=x, token_hash="h1", sent_at=at(2), expires_at=at(30),
        answered_at=at(12),
    )  # fmt: skip
    for dim in ("solution", "collaboration"):
        VoiceMention.objects.create(
            sample=sample, rep=a, action=dim, dimension=dim, answered_at=at(12)
        )

    # compliance: one confirmed, one open
    for n, state in enumerate((FindingState.CONFIRMED, FindingState.OPEN)):
        ComplianceFinding.objects.create(
            kind="forbidden", state=state, owner=a, source="note", object_id=n,
            fingerprint=f"f{n}", occurred_at=at(10),
        )  # fmt: skip
    return SimpleNamespace(admin=admin, company=company, group=group, a=a, b=b, x=x, y=y)
