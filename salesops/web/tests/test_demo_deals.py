"""The demo's deals (salesops/demo/deals.py): every stage, consistent history, approvals,
stalls, evidence, won deals closing contracts, converted leads with their deals."""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count, F
from django.utils import timezone

from salesops.activities.models import Activity, ActivityKind
from salesops.core import calendar, choices, clock
from salesops.core.tests.shareddata import shared_data
from salesops.customers.models import Contact
from salesops.demo.build import build
from salesops.leads.models import Lead, LeadStatus
from salesops.notifications.models import Notification
from salesops.org.selectors import manager_of
from salesops.pipeline import criteria, evidence
from salesops.pipeline.models import (
    ChangeDirection,
    ChangeState,
    CommitCategory,
    Deal,
    DealStatus,
    Evidence,
    Pipeline,
    StageChange,
    StageKind,
)
from salesops.pipeline.services import stall_due
from salesops.pipeline.stages import can_approve
from salesops.revenue.models import Contract

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small_once(django_db_setup, django_db_blocker):
    """The small demo, built once for this module (in an outer transaction rolled back
    after its last test: salesops/core/tests/shareddata.py); evidence files go to the
    session's temporary directory (conftest.py)."""
    with shared_data(django_db_blocker):
        yield build("small")


@pytest.fixture
def small(small_once, db):
    return small_once


def test_every_deal_not_lost_has_its_healthy_deal_check(small):
    checked = Deal.objects.exclude(status=DealStatus.LOST)
    assert small.counts["deals checked"] == checked.count() > 0
    assert not checked.filter(health_checked_at__isnull=True).exists()
    won = Deal.objects.filter(status=DealStatus.WON).first()
    assert won.health["total"] == 5 and len(won.health["criteria"]) == 5
    assert won.health_passed == sum(1 for c in won.health["criteria"] if c["passed"])


def test_deals_fill_every_stage_of_both_pipelines(small):
    assert Deal.objects.count() == small.counts["deals"] == 300
    assert Pipeline.objects.count() == 2
    for pipeline in Pipeline.objects.all():
        per_stage = Counter(Deal.objects.filter(pipeline=pipeline).values_list("stage", flat=True))
        for stage in pipeline.stages.all():
            assert per_stage[stage.pk] > 0, f"no deal in {pipeline.code}/{stage.code}"
        # a deal's pipeline is its product line's
        lines = set(Deal.objects.filter(pipeline=pipeline).values_list("product_line", flat=True))
        assert (lines == {"services"}) == (pipeline.product_line == "services")
    statuses = Counter(Deal.objects.values_list("status", flat=True))
    assert statuses[DealStatus.OPEN] > statuses[DealStatus.WON] > 0 and statuses[DealStatus.LOST]
    # the D8 flags and forecast categories vary
    assert set(Deal.objects.values_list("commit_category", flat=True)) == set(CommitCategory.values)
    for flag in ("need_confirmed", "budget_confirmed", "decision_maker_identified"):
        assert set(Deal.objects.values_list(flag, flat=True)) == {True, False}
    # every deal belongs to its account's owner, a rep
    assert not Deal.objects.exclude(owner=F("account__owner")).exists()


def test_stage_history_is_consistent_with_the_calendar(small):
    now = clock.now()
    for deal in Deal.objects.select_related("stage").order_by("pk")[:120]:
        applied = list(
            StageChange.objects.filter(deal=deal, state=ChangeState.APPLIED).order_by(
                "applied_at", "id"
            )
        )
        assert applied[0].direction == ChangeDirection.CREATED
        assert applied[0].applied_at == deal.created_at
        for before, change in zip(applied, applied[1:], strict=False):
            assert change.from_stage_id == before.to_stage_id
            assert change.from_entered_at == before.applied_at < change.applied_at <= now
            days = calendar.working_days_elapsed(change.from_entered_at, change.applied_at)
            assert float(change.working_days_in_stage) == pytest.approx(days, abs=0.005)
            if change.direction in (ChangeDirection.BACKWARD, ChangeDirection.LOST):
                assert change.reason
        assert applied[-1].to_stage_id == deal.stage_id
        assert deal.stage_entered_at == applied[-1].applied_at
        assert deal.stall_due_at == stall_due(deal.stage, deal.stage_entered_at)
        if deal.status != DealStatus.OPEN:
            assert deal.closed_at == deal.stage_entered_at
            assert deal.stage.kind == deal.status


def test_backward_lost_rejected_pending_and_stalled_deals_exist(small):
    now = clock.now()
    changes = StageChange.objects
    assert changes.filter(direction=ChangeDirection.BACKWARD).exists()
    lost = Deal.objects.filter(status=DealStatus.LOST)
    codes = set(choices.active_codes(choices.DEAL_LOST_REASON))
    assert lost.exists() and set(lost.values_list("lost_reason", flat=True)) <= codes
    assert not lost.filter(lost_note="").exists()
    rejected = changes.filter(state=ChangeState.REJECTED).select_related("deal", "decided_by")
    assert rejected.exists()
    for change in rejected:
        assert change.decision_note and change.decided_by == manager_of(change.deal.owner)
        assert change.from_stage.needs_approval
    stalled = Deal.objects.filter(status=DealStatus.OPEN, stall_due_at__lt=now).count()
    assert 0.1 < stalled / Deal.objects.filter(status=DealStatus.OPEN).count() < 0.5


def test_pending_approvals_meet_the_criteria_and_reach_the_manager(small):
    pending = StageChange.objects.filter(state=ChangeState.PENDING).select_related(
        "deal", "deal__owner", "deal__stage", "to_stage"
    )
    assert pending.count() == small.counts["approvals waiting"] > 5
    for change in pending:
        deal = change.deal
        assert deal.status == DealStatus.OPEN and change.from_stage_id == deal.stage_id
        assert deal.stage.needs_approval and change.to_stage.order > deal.stage.order
        assert criteria.unmet(deal) == []
        manager = manager_of(deal.owner)
        assert can_approve(manager, deal)
        assert Notification.objects.filter(
            recipient=manager, source=f"stagechange:{change.pk}"
        ).exists()


def test_stages_left_forward_met_their_criteria(small):
    forward = (
        StageChange.objects.filter(
            state=ChangeState.APPLIED, direction__in=[ChangeDirection.FORWARD, "won"]
        )
        .select_related("deal", "from_stage")
        .order_by("pk")[:300]
    )
    for change in forward:
        unmet = [
            i for i in criteria.unmet(change.deal, change.from_stage) if i["code"] != "activity"
        ]
        assert unmet == [], (change.deal_id, change.from_stage.code, unmet)
        if change.from_stage.required_activities:
            assert Activity.objects.filter(
                deal=change.deal,
                kind=ActivityKind.VISIT,
                started_at__gte=change.from_entered_at,
                started_at__lte=change.applied_at,
            ).exists()
        if change.from_stage.needs_approval:
            assert change.decided_by_id and change.decided_at == change.applied_at


def test_evidence_files_are_stored_pdfs(small):
    assert Evidence.objects.count() == small.counts["evidence files"] > 100
    for item in Evidence.objects.select_related("deal")[:20]:
        with evidence.open_file(item) as handle:
            data = handle.read()
        assert data.startswith(b"%PDF-") and len(data) == item.size
        assert item.content_type == "application/pdf" and item.original_name.endswith(".pdf")
        assert item.created_by_id == item.deal.owner_id


def test_won_deals_close_contracts_and_converted_leads_have_deals(small):
    won = Deal.objects.filter(status=DealStatus.WON)
    assert won.count() == small.counts["deals won"] > 20
    for deal in won.prefetch_related("contracts"):
        (contract,) = deal.contracts.all()
        assert contract.account_id == deal.account_id and contract.amount == deal.amount
        assert timezone.localtime(deal.closed_at).date() == contract.signed_on
    assert Contract.objects.filter(deal__isnull=False).count() == won.count()
    converted = Lead.objects.filter(status=LeadStatus.CONVERTED, owner__isnull=False)
    assert converted.exists()
    for lead in converted:
        deal = Deal.objects.get(lead=lead)
        assert deal.account_id == lead.account_id and deal.owner_id == lead.owner_id
        assert lead.converted_at <= deal.created_at + dt.timedelta(seconds=1)


def test_decision_chains_are_contacts_of_the_account_with_roles(small):
    deals = Deal.objects.annotate(n=Count("contacts"))
    assert deals.filter(n__gte=2).exists() and deals.filter(n=0).exists()
    for deal in deals.filter(n__gt=0).prefetch_related("contacts")[:50]:
        for contact in deal.contacts.all():
            assert contact.account_id == deal.account_id and contact.decision_role
    roles = set(Contact.objects.filter(deals__isnull=False).values_list("decision_role", flat=True))
    assert len(roles) >= 4
    # activities are logged on the deals, with the deal's account
    logged = Activity.objects.filter(deal__isnull=False).select_related("deal")
    assert logged.exists()
    assert all(a.account_id == a.deal.account_id for a in logged[:100])
    # no deal is in a lost or won stage while open
    assert not Deal.objects.filter(status=DealStatus.OPEN).exclude(stage__kind=StageKind.OPEN)
