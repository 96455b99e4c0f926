"""The demo's KPI and performance (SPEC K1–K10), as a team has it a few weeks after
switching it on: the default scheme scored last month (final) and this month (live, each
rep refreshed as their data changes), a second scheme version in force from today with a
larger process share (last month keeps version 1), last quarter's radar stored, a
customer-voice round sampled and mostly answered, growth-account points claimed, approved
and redeemed, last month's credibility lists, and a compliance scan with findings waiting
for review (one confirmed).

Everything goes through the KPI services, so the numbers are the ones a person gets by
clicking through the pages."""

from __future__ import annotations

import datetime as dt

from salesops.activities.models import Activity
from salesops.core import clock
from salesops.customers.models import Account
from salesops.kpi import (
    compliance,
    credibility,
    points,
    radar,
    review_policy,
    runs,
    schemes,
    voice,
)
from salesops.kpi.models import (
    ClaimState,
    ComplianceFinding,
    GrowthPolicy,
    PointClaim,
    PointKind,
    Scheme,
)
from salesops.org.models import Role, User

CORE_PARAMETER = "主轴转速24000rpm"
WATERMARK = "SalesOps demo"
PLANTED_NOTES = ("保证收益，放心签约", f"已告知{CORE_PARAMETER}", "返点给个人可以谈")
VOICE_ANSWER_SHARE = 0.7


def _second_version(admin, scheme: Scheme):
    """Version 2 from today: process 30 % (the seeds' 30–40 % band), the same metrics."""
    current = scheme.versions.order_by("-number").first()
    items = [
        {
            "metric": item.metric.code,
            "group": item.group,
            "weight": item.weight,
            "formula": item.formula,
            "target_source": item.target_source,
            "target_value": item.target_value,
        }
        for item in current.items.select_related("metric").order_by("order", "pk")
    ]
    return schemes.scheme_save_version(
        by=admin,
        scheme=scheme,
        effective_from=clock.today(),
        result_weight=55,
        process_weight=30,
        quality_weight=15,
        items=items,
        note="过程指标权重提高到 30% / Process share raised to 30%",
    )


def _voice(rng, today: dt.date) -> dict:
    start, end = radar.previous_quarter(today)
    round_ = voice.sample_round(start, end, seed=20261204)
    codes = [a["code"] for a in GrowthPolicy.current().service_actions]
    answered = 0
    for sample in round_.samples.order_by("pk"):
        if rng.random() > VOICE_ANSWER_SHARE:
            continue
        picked = rng.sample(codes, 3)
        voice.answer(token=voice.sample_token(sample), actions=picked, comment="")
        answered += 1
    return {"voice samples": round_.samples.count(), "voice answers": answered}


def _points(rng, reps, managers_of) -> dict:
    made = 0
    for rep in reps[:8]:
        manager = managers_of.get(rep.team_id)
        claim = points.claim_create(
            by=rep,
            kind=rng.choice([PointKind.COLLABORATION, PointKind.CERTIFICATION]),
            description="协助售后完成客户培训 / Helped customer success train a customer",
        )
        made += 1
        if manager is not None and rng.random() < 0.75:
            points.claim_decide(by=manager, claim=claim, approve=True, note="")
    # One rep redeems a training course once the balance allows it.
    for rep in reps[:8]:
        if points.balance(rep) >= 100 and (manager := managers_of.get(rep.team_id)):
            redemption = points.redeem_request(by=rep, reward_code="training")
            points.claim_decide(by=manager, claim=redemption, approve=True, note="")
            break
    return {"points claims": made}


def _compliance(admin, reps) -> dict:
    # The demo's quote PDFs carry "SalesOps demo" (ASCII: the generated PDFs use a base font).
    review_policy.review_policy_update(
        actor=admin, core_parameters=CORE_PARAMETER, watermark_text=WATERMARK
    )
    planted = 0
    for rep, note in zip(reps[1:], PLANTED_NOTES, strict=False):
        activity = (
            Activity.objects.filter(owner=rep, account__nda_signed_on__isnull=True)
            .exclude(account=None)
            .order_by("-started_at")
            .first()
        )
        if activity is not None:
            Activity.objects.filter(pk=activity.pk).update(note=note, updated_at=clock.now())
            planted += 1
    # One account has its NDA: a parameter mentioned there is no finding.
    first_account = Account.objects.filter(owner=reps[0]).order_by("pk").first()
    if first_account is not None:
        Account.objects.filter(pk=first_account.pk).update(
            nda_signed_on=clock.today() - dt.timedelta(days=90)
        )
    scan = compliance.scan(by=admin, full=True)
    first = ComplianceFinding.objects.filter(state="open").order_by("pk").first()
    if first is not None:
        compliance.finding_decide(actor=admin, finding_id=first.pk, decision="confirm")
    return {"compliance findings": scan.findings, "planted notes": planted}


def build_kpi(gen) -> dict:
    rng = gen.rng
    admin = User.objects.get(username="admin")
    today = clock.today()
    scheme = Scheme.objects.filter(role="rep", team__isnull=True, is_active=True).first()
    counts: dict = {}
    if scheme is None:
        return counts
    last_start, last_end = runs.month_bounds(today.replace(day=1) - dt.timedelta(days=1))
    runs.run_period(scheme, last_start, last_end)
    _second_version(admin, scheme)
    live = runs.run_period(scheme, *runs.month_bounds(today))
    counts["kpi scores"] = live.reps
    q_start, q_end = radar.previous_quarter(today)
    counts["radar rows"] = radar.store_quarter(q_start, q_end)
    counts.update(_voice(rng, today))
    reps = list(User.objects.filter(role=Role.REP, is_active=True).order_by("username"))
    managers_of = {m.team_id: m for m in User.objects.filter(role=Role.MANAGER, is_active=True)}
    counts.update(_points(rng, reps, managers_of))
    counts["credibility entries"] = credibility.compute_month(last_start)
    counts.update(_compliance(admin, reps))
    counts["points pending"] = PointClaim.objects.filter(state=ClaimState.PENDING).count()
    return counts
