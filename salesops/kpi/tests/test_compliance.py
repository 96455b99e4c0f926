"""The behaviour-compliance scan (K10): each check finds its planted violation and passes
a clean record; a rescan adds nothing; the review decisions and who may make them."""

import datetime as dt

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils import timezone

from salesops.core import clock
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account
from salesops.kpi import compliance, compliance_text
from salesops.kpi.models import (
    ComplianceFinding,
    CompliancePolicy,
    DirtyRep,
    FindingKind,
    FindingState,
)
from salesops.pipeline.tests.factories import make_deal

from .factories_review import PNG, add_quote, log_note, pdf_with_text

pytestmark = pytest.mark.django_db
MARK = "SalesOps 示例科技有限公司"


@pytest.fixture
def policy(db):
    policy = CompliancePolicy.current()
    policy.core_parameters = "定位精度 0.01mm\n主轴转速 12000rpm"
    policy.approved_phrases = "预计收益以合同约定为准"
    policy.updated_at = clock.now() - dt.timedelta(days=1)
    policy.save()
    return policy


@pytest.fixture
def deal(org):
    return make_deal(owner=org.rep_a)


def kinds(**filters):
    return sorted(ComplianceFinding.objects.filter(**filters).values_list("kind", flat=True))


# --- documents -----------------------------------------------------------------------------


def test_a_quote_without_the_watermark_is_a_finding(org, policy, deal):
    bad = add_quote(deal, pdf_with_text("报价单\n总价 120 万元"))
    add_quote(deal, pdf_with_text(f"报价单 {MARK}\n总价 80 万元"), name="good.pdf")
    scan = compliance.scan()
    assert scan.documents == 2 and scan.findings == 1
    finding = ComplianceFinding.objects.get()
    assert (finding.kind, finding.source, finding.object_id) == ("watermark", "evidence", bad.pk)
    assert finding.owner == org.rep_a and finding.account_id == deal.account_id
    assert MARK in finding.detail and "报价单" in finding.excerpt


def test_the_watermark_may_be_on_any_page_and_broken_across_lines(policy, deal):
    add_quote(deal, pdf_with_text("第一页", "SalesOps 示例科技\n有限公司"))
    assert compliance.scan().findings == 0


def test_only_quote_types_are_scanned(policy, deal):
    add_quote(deal, pdf_with_text("会议纪要"), type="minutes")
    assert compliance.scan().documents == 0 and not ComplianceFinding.objects.exists()


def test_a_corrupt_pdf_is_unreadable(policy, deal):
    item = add_quote(deal, b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", name="broken.pdf")
    compliance.scan()
    finding = ComplianceFinding.objects.get()
    assert finding.kind == FindingKind.UNREADABLE and finding.object_id == item.pk


def test_an_image_without_an_ocr_engine_is_not_read_and_not_a_finding(policy, deal):
    assert compliance_text.ocr_engine() is None  # rapidocr arrives with issue 20
    add_quote(deal, PNG, name="quote.png")
    scan = compliance.scan()
    assert scan.documents == 1 and scan.not_read == 1 and scan.findings == 0


def test_forbidden_wording_and_core_parameters_in_a_quote(org, policy, deal):
    add_quote(deal, pdf_with_text(f"{MARK}\n本方案保证收益 30%\n定位精度 0.01mm"))
    compliance.scan()
    assert kinds() == ["forbidden", "nda"]
    # with an NDA signed before the upload the parameter is fine
    ComplianceFinding.objects.all().delete()
    account = deal.account
    customer_services.account_update(
        actor=org.rep_a, account=account, nda_signed_on=clock.today() - dt.timedelta(days=1)
    )
    compliance.scan(full=True)
    assert kinds() == ["forbidden"]


# --- texts -------------------------------------------------------------------------------


def test_a_forbidden_phrase_in_a_note(org, policy):
    activity = log_note(org.rep_a, "客户问回报，我说保证收益")
    scan = compliance.scan()
    assert scan.texts == 1
    finding = ComplianceFinding.objects.get()
    assert finding.kind == FindingKind.FORBIDDEN and finding.source == "activity"
    assert finding.object_id == activity.pk and finding.owner == org.rep_a
    assert "“保证收益”" in finding.detail and finding.excerpt == "客户问回报，我说保证收益"


def test_the_excerpt_is_the_hit_with_40_characters_either_side(policy, deal):
    text = MARK + "。" + "甲" * 60 + "包过" + "乙" * 60
    add_quote(deal, pdf_with_text(text))
    compliance.scan()
    finding = ComplianceFinding.objects.get(kind=FindingKind.FORBIDDEN)
    assert finding.excerpt == "…" + "甲" * 40 + "包过" + "乙" * 40 + "…"


def test_a_clean_note_passes(org, policy):
    log_note(org.rep_a, "预计收益以合同约定为准，已发送产品手册。")
    assert compliance.scan().findings == 0


def test_a_core_parameter_to_an_account_without_an_nda(org, policy):
    without = make_account(org.rep_a)
    with_nda = make_account(org.rep_a, nda_signed_on=dt.date(2026, 1, 5))
    later_nda = make_account(org.rep_a, nda_signed_on=dt.date(2026, 6, 1))
    moment = timezone.make_aware(dt.datetime(2026, 3, 3, 10, 0))
    text = "介绍主轴转速 12000rpm"
    a = log_note(org.rep_a, text, account=without, started_at=moment)
    log_note(org.rep_a, text, account=with_nda, started_at=moment)
    c = log_note(org.rep_a, text, account=later_nda, started_at=moment)  # NDA came later
    compliance.scan()
    found = ComplianceFinding.objects.filter(kind=FindingKind.NDA)
    assert sorted(found.values_list("object_id", flat=True)) == sorted([a.pk, c.pk])
    assert "12000rpm" in found.first().detail


# --- rescans -----------------------------------------------------------------------------


def test_a_rescan_adds_nothing(org, policy, deal):
    add_quote(deal, pdf_with_text("无水印报价"))
    log_note(org.rep_a, "私下付款可以打折")
    first = compliance.scan()
    assert first.findings == 2
    again = compliance.scan()
    assert (again.documents, again.texts, again.findings) == (0, 0, 0)  # nothing changed
    full = compliance.scan(full=True)
    assert (full.documents, full.texts, full.findings) == (1, 1, 0)
    assert ComplianceFinding.objects.count() == 2
    assert full.finished_at is not None and full.seconds >= 0


def test_a_changed_policy_rescans_everything(org, policy):
    log_note(org.rep_a, "这个价格是绝对底价")
    compliance.scan()
    assert not ComplianceFinding.objects.exists()
    policy.forbidden_phrases += "\n绝对底价"
    policy.updated_at = clock.now()
    policy.save()
    scan = compliance.scan()
    assert scan.texts == 1 and kinds() == ["forbidden"]


# --- decisions ---------------------------------------------------------------------------


@pytest.fixture
def finding(org, policy):
    log_note(org.rep_a, "返点给个人没问题")
    compliance.scan()
    return ComplianceFinding.objects.get()


def test_a_manager_confirms_and_the_owner_is_marked_dirty(org, finding):
    DirtyRep.objects.filter(user=org.rep_a).delete()
    decided = compliance.finding_decide(
        actor=org.manager_east, finding_id=finding.pk, decision="confirm"
    )
    assert decided.state == FindingState.CONFIRMED and decided.reviewed_by == org.manager_east
    assert DirtyRep.objects.filter(user=org.rep_a).exists()
    assert (
        compliance.confirmed_count(
            org.rep_a.pk, finding.occurred_at - dt.timedelta(days=1), clock.now() + dt.timedelta(1)
        )
        == 1
    )
    with pytest.raises(ValidationError) as exc:
        compliance.finding_decide(
            actor=org.director, finding_id=finding.pk, decision="dismiss", reason="late"
        )
    assert "decision" in exc.value.message_dict


def test_dismissing_needs_a_reason(org, finding):
    with pytest.raises(ValidationError) as exc:
        compliance.finding_decide(actor=org.manager_east, finding_id=finding.pk, decision="dismiss")
    assert "reason" in exc.value.message_dict
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN
    compliance.finding_decide(
        actor=org.manager_east, finding_id=finding.pk, decision="dismiss", reason="引用客户原话"
    )
    finding.refresh_from_db()
    assert finding.state == FindingState.DISMISSED and finding.review_reason == "引用客户原话"
    # a dismissed finding never counts in the quality metric
    around = (
        finding.occurred_at - dt.timedelta(days=1),
        finding.occurred_at + dt.timedelta(days=1),
    )
    assert compliance.confirmed_count(org.rep_a.pk, *around) == 0


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_the_owner_and_read_only_roles_cannot_decide(org, finding, who):
    with pytest.raises(PermissionDenied):
        compliance.finding_decide(
            actor=getattr(org, who), finding_id=finding.pk, decision="confirm"
        )


@pytest.mark.parametrize("who", ["manager_south", "rep_b", "cs"])
def test_others_do_not_see_the_finding(org, finding, who):
    assert not compliance.visible_findings(getattr(org, who)).exists()
    with pytest.raises(ObjectDoesNotExist):
        compliance.finding_decide(
            actor=getattr(org, who), finding_id=finding.pk, decision="confirm"
        )


def test_who_sees_the_finding(org, finding):
    for who in ("rep_a", "manager_east", "director", "admin", "finance"):
        assert compliance.visible_findings(getattr(org, who)).filter(pk=finding.pk).exists(), who
