"""Deals and their moves through the service layer (D1, D2)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.pipeline import stages
from salesops.pipeline.models import ChangeState, Deal, DealStatus, StageChange

from .factories import make_contact, make_deal, stage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% minutes\n"


def pdf(name="minutes.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_a_new_deal_starts_in_the_first_stage_with_a_created_move(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    assert deal.stage.code == "contact"
    assert deal.stall_due_at > deal.stage_entered_at
    change = StageChange.objects.get(deal=deal)
    assert change.direction == "created" and change.state == ChangeState.APPLIED


def test_exit_criteria_block_a_forward_move_and_list_what_is_missing(org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    with pytest.raises(stages.CriteriaUnmet) as caught:
        stages.request_stage_change(actor=org.rep_a, deal=deal, to_stage=stage("proposal"))
    codes = {item["code"] for item in caught.value.missing}
    assert codes == {"field", "evidence"}
    deal.refresh_from_db()
    assert deal.stage.code == "needs"
    assert not StageChange.objects.filter(deal=deal, state=ChangeState.PENDING).exists()


def test_a_move_with_its_criteria_met_is_applied_without_approval(org, pipeline):
    contact = make_contact(account=make_deal(owner=org.rep_a).account)
    deal = make_deal(
        owner=org.rep_a,
        account=contact.account,
        stage_code="needs",
        contacts=[contact],
        need_confirmed=True,
    )
    change = stages.request_stage_change(
        actor=org.rep_a, deal=deal, to_stage=stage("proposal"), uploads=[("minutes", pdf())]
    )
    deal.refresh_from_db()
    assert change.state == ChangeState.APPLIED
    assert deal.stage.code == "proposal"
    assert deal.evidence.get().stage_change == change


def test_approval_then_a_second_approver_is_told_it_is_done(org, pipeline):
    deal = make_deal(
        owner=org.rep_a, stage_code="proposal", expected_close_date=dt.date(2027, 3, 1)
    )
    change = stages.request_stage_change(
        actor=org.rep_a, deal=deal, to_stage=stage("demo"), uploads=[("proposal", pdf("p.pdf"))]
    )
    assert change.state == ChangeState.PENDING
    with pytest.raises(PermissionDenied):
        stages.approve(actor=org.rep_a, change=change)
    stages.approve(actor=org.manager_east, change=change)
    deal.refresh_from_db()
    assert deal.stage.code == "demo"
    with pytest.raises(stages.AlreadyDecided):
        stages.approve(actor=org.director, change=change)


def test_rejection_needs_a_reason_and_keeps_the_stage(org, pipeline):
    deal = make_deal(
        owner=org.rep_a, stage_code="proposal", expected_close_date=dt.date(2027, 3, 1)
    )
    change = stages.request_stage_change(
        actor=org.rep_a, deal=deal, to_stage=stage("demo"), uploads=[("proposal", pdf())]
    )
    with pytest.raises(ValidationError):
        stages.reject(actor=org.manager_east, change=change, reason=" ")
    stages.reject(actor=org.manager_east, change=change, reason="方案不完整")
    deal.refresh_from_db()
    assert deal.stage.code == "proposal"
    assert StageChange.objects.get(pk=change.pk).state == ChangeState.REJECTED


def test_backward_and_lost_need_a_reason_and_are_applied_at_once(org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="demo")
    with pytest.raises(ValidationError) as caught:
        stages.request_stage_change(actor=org.rep_a, deal=deal, to_stage=stage("needs"))
    assert "reason" in caught.value.message_dict
    stages.request_stage_change(
        actor=org.rep_a, deal=deal, to_stage=stage("needs"), reason="需求变化"
    )
    with pytest.raises(ValidationError) as caught:
        stages.request_stage_change(
            actor=org.rep_a, deal=deal, to_stage=stage("lost"), reason="预算取消"
        )
    assert "lost_reason" in caught.value.message_dict
    stages.request_stage_change(
        actor=org.rep_a,
        deal=deal,
        to_stage=stage("lost"),
        reason="预算取消",
        lost_reason="no_budget",
    )
    deal.refresh_from_db()
    assert deal.status == DealStatus.LOST and deal.lost_reason == "no_budget"


def test_a_forbidden_file_is_refused_and_nothing_is_written(org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="proposal")
    exe = SimpleUploadedFile("quote.pdf", b"MZ\x90\x00binary", content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        stages.request_stage_change(
            actor=org.rep_a, deal=deal, to_stage=stage("demo"), uploads=[("proposal", exe)]
        )
    assert "file" in caught.value.message_dict
    assert not deal.evidence.exists()


def test_another_rep_cannot_move_the_deal(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    with pytest.raises(PermissionDenied):
        stages.request_stage_change(
            actor=org.rep_b, deal=deal, to_stage=stage("lost"), reason="x", lost_reason="price"
        )


def test_time_in_stage_counts_working_days_across_a_holiday(org, pipeline):
    # 2026-09-30 (Wed) → 2026-10-09 (Fri): the National Day holiday lies between.
    with time_machine.travel(dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC), tick=False):
        deal = make_deal(owner=org.rep_a, stage_code="demo")
    with time_machine.travel(dt.datetime(2026, 10, 9, 2, 0, tzinfo=dt.UTC), tick=False):
        change = stages.request_stage_change(
            actor=org.rep_a, deal=deal, to_stage=stage("needs"), reason="重新确认"
        )
    # 1–7 Oct are holidays: Wed 30 Sep 10:00 → Fri 9 Oct 10:00 is two working days
    # (30 Sep → 8 Oct, 8 Oct → 9 Oct), not nine calendar days.
    assert float(change.working_days_in_stage) == 2.0
    assert Deal.objects.get(pk=deal.pk).stage.code == "needs"
