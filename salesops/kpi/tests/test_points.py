"""The capability growth account (K7): claims, redemptions, approvals, the append-only
ledger whose balance never goes below zero, the pages and the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from salesops.knowledge.tests.factories import make_item
from salesops.kpi import points
from salesops.kpi.models import ClaimState, PointClaim, PointEntry, PointKind

pytestmark = pytest.mark.django_db


def earn(org, user, times=1, kind=PointKind.CERTIFICATION):
    for _n in range(times):
        claim = points.claim_create(by=user, kind=kind, description="认证通过")
        points.claim_decide(by=org.admin, claim=claim, approve=True)
    return points.balance(user)


def test_an_approved_contribution_earns_its_points(org):
    claim = points.claim_create(
        by=org.rep_a, kind="collaboration", description="跨部门协作", evidence_url="https://x.cn/1"
    )
    assert claim.points == 10 and claim.state == ClaimState.PENDING
    assert points.balance(org.rep_a) == 0
    points.claim_decide(by=org.manager_east, claim=claim, approve=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED and claim.decided_by == org.manager_east
    (entry,) = PointEntry.objects.filter(user=org.rep_a)
    assert (entry.points, entry.balance, entry.claim) == (10, 10, claim)


def test_a_case_study_needs_an_active_case_item(org):
    with pytest.raises(ValidationError) as exc:
        points.claim_create(by=org.rep_a, kind="case_study", description="案例")
    assert "knowledge_item" in exc.value.message_dict
    article = make_item(org.admin, kind="article")
    with pytest.raises(ValidationError) as exc:
        points.claim_create(
            by=org.rep_a, kind="case_study", description="案例", knowledge_item=article
        )
    assert "knowledge_item" in exc.value.message_dict
    case = make_item(org.admin, kind="case")
    claim = points.claim_create(
        by=org.rep_a, kind="case_study", description="案例", knowledge_item=case
    )
    assert claim.points == 30


def test_bad_claims_name_the_field(org):
    with pytest.raises(ValidationError) as exc:
        points.claim_create(
            by=org.rep_a, kind="redemption", description="", evidence_url="javascript:x"
        )
    assert {"kind", "description", "evidence_url"} <= set(exc.value.message_dict)
    assert not PointClaim.objects.exists()


def test_a_redemption_beyond_the_balance_is_refused_at_once(org):
    earn(org, org.rep_a)  # 50
    with pytest.raises(ValidationError) as exc:
        points.redeem_request(by=org.rep_a, reward_code="training")  # costs 100
    assert "Not enough points" in exc.value.message_dict["reward"][0]
    with pytest.raises(ValidationError):
        points.redeem_request(by=org.rep_a, reward_code="no_such_reward")
    assert not PointClaim.objects.filter(kind=PointKind.REDEMPTION).exists()


def test_two_redemptions_beyond_the_balance_the_second_approval_is_refused(org):
    assert earn(org, org.rep_a, times=3) == 150
    first = points.redeem_request(by=org.rep_a, reward_code="training")
    second = points.redeem_request(by=org.rep_a, reward_code="training")
    points.claim_decide(by=org.manager_east, claim=first, approve=True)
    assert points.balance(org.rep_a) == 50
    with pytest.raises(ValidationError) as exc:
        points.claim_decide(by=org.manager_east, claim=second, approve=True)
    assert "negative" in exc.value.message_dict["points"][0]
    second.refresh_from_db()
    assert second.state == ClaimState.PENDING and points.balance(org.rep_a) == 50
    assert PointEntry.objects.filter(user=org.rep_a).count() == 4


def test_the_database_refuses_a_negative_balance(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntry.objects.create(user=org.rep_a, kind="adjustment", points=-5, balance=-5)


def test_the_ledger_is_append_only(org):
    earn(org, org.rep_a)
    entry = PointEntry.objects.get(user=org.rep_a)
    entry.points = 500
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    entry.refresh_from_db()
    assert entry.points == 50


@pytest.mark.parametrize("decider", ["rep_b", "manager_south", "finance", "rep_a"])
def test_who_may_not_decide(org, decider):
    claim = points.claim_create(by=org.rep_a, kind="collaboration", description="协作")
    with pytest.raises(PermissionDenied):
        points.claim_decide(by=getattr(org, decider), claim=claim, approve=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.PENDING and not PointEntry.objects.exists()


def test_a_manager_cannot_approve_their_own_claim_but_a_director_can(org):
    claim = points.claim_create(by=org.manager_east, kind="collaboration", description="协作")
    with pytest.raises(PermissionDenied):
        points.claim_decide(by=org.manager_east, claim=claim, approve=True)
    points.claim_decide(by=org.director, claim=claim, approve=True)
    assert points.balance(org.manager_east) == 10


def test_a_rejection_needs_a_note_and_writes_no_entry(org):
    claim = points.claim_create(by=org.rep_a, kind="collaboration", description="协作")
    with pytest.raises(ValidationError) as exc:
        points.claim_decide(by=org.manager_east, claim=claim, approve=False, note=" ")
    assert "note" in exc.value.message_dict
    points.claim_decide(by=org.manager_east, claim=claim, approve=False, note="证据不足")
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED and not PointEntry.objects.exists()
    with pytest.raises(ValidationError):
        points.claim_decide(by=org.manager_east, claim=claim, approve=True)


def test_adjustments_by_configurers_with_a_note(org):
    with pytest.raises(PermissionDenied):
        points.adjust(by=org.manager_east, user=org.rep_a, points=5, note="x")
    with pytest.raises(ValidationError) as exc:
        points.adjust(by=org.admin, user=org.rep_a, points=5, note="")
    assert "note" in exc.value.message_dict
    assert points.adjust(by=org.admin, user=org.rep_a, points=20, note="补录").balance == 20
    with pytest.raises(ValidationError):
        points.adjust(by=org.admin, user=org.rep_a, points=-21, note="扣减")
    assert points.balance(org.rep_a) == 20


def test_pages_my_account_approvals_and_leaderboard(client, org):
    earn(org, org.rep_b)
    client.force_login(org.rep_a)
    page = client.get(reverse("kpi:points_mine"))
    assert page.status_code == 200 and b'data-testid="points-balance">0<' in page.content
    posted = client.post(
        reverse("kpi:points_claim"), {"kind": "collaboration", "description": "协助交付"}
    )
    assert posted.status_code == 302
    refused = client.post(reverse("kpi:points_redeem"), {"reward": "leave_day"})
    assert refused.status_code == 422 and b"Not enough points" in refused.content
    assert client.get(reverse("kpi:points_approvals")).status_code == 403
    board = client.get(reverse("kpi:points_leaderboard")).content.decode()
    assert "Rep B" in board and "Rep D" not in board  # the team only
    claim = PointClaim.objects.get(user=org.rep_a)
    client.force_login(org.manager_south)
    assert b"approval-row" not in client.get(reverse("kpi:points_approvals")).content
    assert (
        client.post(reverse("kpi:points_decide", args=[claim.pk]), {"approve": "1"}).status_code
        == 404
    )
    client.force_login(org.manager_east)
    queue = client.get(reverse("kpi:points_approvals"))
    assert b"approval-row" in queue.content
    client.post(reverse("kpi:points_decide", args=[claim.pk]), {"approve": "1"})
    assert points.balance(org.rep_a) == 10


def test_the_api(client, org):
    client.force_login(org.rep_a)
    created = client.post(
        "/api/v1/kpi/points/claims",
        {"kind": "certification", "description": "产品认证"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["points"] == 50
    bad = client.post(
        "/api/v1/kpi/points/claims",
        {"kind": "x", "description": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["field"] in ("kind", "description")
    low = client.post(
        "/api/v1/kpi/points/redemptions", {"reward": "training"}, content_type="application/json"
    )
    assert low.status_code == 422 and low.json()["field"] == "reward"
    claim_id = created.json()["id"]
    own = client.post(
        f"/api/v1/kpi/points/claims/{claim_id}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert own.status_code == 403
    client.force_login(org.manager_east)
    assert client.get("/api/v1/kpi/points/claims").json()["count"] == 1
    decided = client.post(
        f"/api/v1/kpi/points/claims/{claim_id}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    balance = client.get(f"/api/v1/kpi/points/balance?user_id={org.rep_a.pk}").json()
    assert balance == {"user_id": org.rep_a.pk, "balance": 50}
    client.force_login(org.rep_b)
    assert client.get(f"/api/v1/kpi/points/ledger?user_id={org.rep_a.pk}").status_code == 404
    client.force_login(org.rep_a)
    ledger = client.get("/api/v1/kpi/points/ledger").json()
    assert ledger["count"] == 1 and ledger["results"][0]["balance"] == 50
