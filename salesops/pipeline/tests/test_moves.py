"""The stage-move page and the approvals queue (D2) through the Django test client: what
the page shows, the 422 listing unmet criteria, approval needed or not, reasons, bad
files, the queue per role, approve / reject / withdraw and a request decided meanwhile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesops.pipeline import stages
from salesops.pipeline.models import ChangeState, Deal, Evidence, StageChange

from .factories import make_contact, make_deal, stage

pytestmark = pytest.mark.django_db


def pdf(name="proposal.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% proposal\n", content_type="application/pdf")


def move_url(deal, **query):
    url = reverse("pipeline:deal_move", args=[deal.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def proposal_deal(owner):
    """A deal in 方案提交 whose fields are filled: only the proposal file is missing, and
    leaving the stage needs the manager."""
    return make_deal(
        owner=owner, name="云帆 ERP", stage_code="proposal", expected_close_date=dt.date(2027, 3, 1)
    )


def request_approval(client, deal):
    return client.post(
        move_url(deal),
        {"to_stage": stage("demo").pk, "evidence_proposal": pdf()},
    )


# --- the move page --------------------------------------------------------------------
def test_the_page_lists_the_unmet_criteria_and_an_upload_field_per_evidence_type(
    client, org, pipeline
):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    client.force_login(org.rep_a)
    response = client.get(move_url(deal, to=stage("proposal").pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="move-missing"' in html
    assert "Fill in “need confirmed”." in html
    assert "Fill in “decision chain”." in html
    assert 'data-testid="evidence-minutes"' in html
    assert 'name="evidence_minutes"' in html


def test_skipping_stages_lists_the_criteria_of_every_stage_left(client, org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    client.force_login(org.rep_a)
    html = client.get(move_url(deal, to=stage("demo").pk)).content.decode()
    assert 'data-testid="evidence-minutes"' in html and 'data-testid="evidence-proposal"' in html
    assert 'data-testid="move-needs-approval"' in html
    assert "Manager East" in html


def test_posting_with_unmet_criteria_is_a_422_listing_them_and_writes_nothing(
    client, org, pipeline
):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    client.force_login(org.rep_a)
    response = client.post(
        move_url(deal), {"to_stage": stage("proposal").pk, "evidence_minutes": pdf("m.pdf")}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="move-blocked"' in html
    assert "Fill in “need confirmed”." in html and "Fill in “decision chain”." in html
    # The uploaded minutes counted: they are not listed as missing, yet not kept either.
    missing = html[html.index('data-testid="move-missing"') :]
    missing = missing[: missing.index("</ul>")]
    assert "Upload evidence" not in missing
    deal.refresh_from_db()
    assert deal.stage.code == "needs"
    assert not Evidence.objects.exists()
    assert StageChange.objects.filter(deal=deal).count() == 1  # only the "created" row


def test_a_move_with_its_criteria_met_is_applied_and_goes_back_with_a_message(
    client, org, pipeline
):
    contact = make_contact(account=make_deal(owner=org.rep_a).account)
    deal = make_deal(
        owner=org.rep_a,
        account=contact.account,
        stage_code="needs",
        contacts=[contact],
        need_confirmed=True,
    )
    client.force_login(org.rep_a)
    kanban = reverse("pipeline:kanban") + "?owner=me"
    response = client.post(
        move_url(deal),
        {"to_stage": stage("proposal").pk, "evidence_minutes": pdf("m.pdf"), "next": kanban},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == kanban
    assert "moved to Proposal submitted" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.code == "proposal"
    assert deal.evidence.get().type == "minutes"


def test_a_move_needing_approval_waits_and_the_manager_is_told(client, org, pipeline):
    deal = proposal_deal(org.rep_a)
    client.force_login(org.rep_a)
    response = request_approval(client, deal)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('pipeline:kanban')}?pipeline={deal.pipeline_id}"
    change = StageChange.objects.get(deal=deal, state=ChangeState.PENDING)
    assert change.to_stage.code == "demo" and change.evidence.get().type == "proposal"
    deal.refresh_from_db()
    assert deal.stage.code == "proposal"
    page = client.get(response["Location"]).content.decode()
    assert "waits for approval by Manager East" in page
    # The move page now shows the waiting request, and the owner may withdraw it.
    html = client.get(move_url(deal)).content.decode()
    assert 'data-testid="move-pending"' in html and 'data-testid="move-withdraw"' in html


def test_a_second_request_while_one_waits_is_refused(client, org, pipeline):
    deal = proposal_deal(org.rep_a)
    client.force_login(org.rep_a)
    request_approval(client, deal)
    response = client.post(
        move_url(deal), {"to_stage": stage("contact").pk, "reason": "退回"}, follow=True
    )
    assert "already waiting for approval" in response.content.decode()
    assert StageChange.objects.filter(deal=deal, state=ChangeState.PENDING).count() == 1


def test_moving_back_needs_a_reason(client, org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="demo")
    client.force_login(org.rep_a)
    response = client.post(move_url(deal), {"to_stage": stage("needs").pk, "reason": " "})
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in response.content.decode()
    response = client.post(move_url(deal), {"to_stage": stage("needs").pk, "reason": "需求变化"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage.code == "needs"


def test_losing_a_deal_asks_for_the_lost_reason(client, org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="demo")
    client.force_login(org.rep_a)
    html = client.get(move_url(deal, to=stage("lost").pk)).content.decode()
    assert 'name="lost_reason"' in html
    response = client.post(move_url(deal), {"to_stage": stage("lost").pk, "reason": "预算取消"})
    assert response.status_code == 400
    assert 'data-testid="error-lost_reason"' in response.content.decode()
    response = client.post(
        move_url(deal),
        {"to_stage": stage("lost").pk, "reason": "预算取消", "lost_reason": "no_budget"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "no_budget")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "are not accepted"),
        ("page.html", b"<html><script>x</script>", "are not accepted"),
        ("quote.pdf", b"<!DOCTYPE html><html>", "a program or a web page"),
    ],
)
def test_a_forbidden_file_is_refused_with_the_reason(client, org, pipeline, name, content, message):
    deal = proposal_deal(org.rep_a)
    client.force_login(org.rep_a)
    response = client.post(
        move_url(deal),
        {"to_stage": stage("demo").pk, "evidence_proposal": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="move-errors"' in html and message in html and "Evidence" in html
    assert not Evidence.objects.exists()
    assert not StageChange.objects.filter(state=ChangeState.PENDING).exists()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"to_stage": ""}, 400),
        ({"to_stage": "abc"}, 400),
        ({"to_stage": "18446744073709551616"}, 400),
    ],
)
def test_a_missing_or_foreign_target_stage_is_a_400(client, org, pipeline, params, status):
    deal = make_deal(owner=org.rep_a)
    client.force_login(org.rep_a)
    response = client.post(move_url(deal), params)
    assert response.status_code == status
    assert 'data-testid="error-to_stage"' in response.content.decode()


def test_another_rep_gets_404_and_read_only_roles_403(client, org, pipeline):
    deal = proposal_deal(org.rep_a)
    client.force_login(org.rep_b)
    assert client.get(move_url(deal)).status_code == 404
    assert request_approval(client, deal).status_code == 404
    client.force_login(org.manager_south)
    assert client.get(move_url(deal)).status_code == 404
    client.force_login(org.finance)
    assert client.get(move_url(deal)).status_code == 403
    assert request_approval(client, deal).status_code == 403
    assert not StageChange.objects.filter(state=ChangeState.PENDING).exists()


def test_a_manager_may_move_a_team_deal(client, org, pipeline):
    deal = make_deal(owner=org.rep_c, stage_code="demo")
    client.force_login(org.manager_east)
    response = client.post(move_url(deal), {"to_stage": stage("needs").pk, "reason": "回退"})
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).stage.code == "needs"


# --- the approvals queue --------------------------------------------------------------
APPROVALS = reverse("pipeline:approvals")


def pending_change(org):
    deal = proposal_deal(org.rep_a)
    return stages.request_stage_change(
        actor=org.rep_a, deal=deal, to_stage=stage("demo"), uploads=[("proposal", pdf())]
    )


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("manager_east", True),
        ("director", True),
        ("admin", True),
        ("manager_sh", False),
        ("manager_south", False),
        ("rep_b", False),
        ("finance", False),
        ("cs", False),
    ],
)
def test_the_queue_shows_the_requests_the_user_may_approve(client, org, pipeline, who, sees):
    change = pending_change(org)
    client.force_login(getattr(org, who))
    response = client.get(APPROVALS)
    assert response.status_code == 200
    html = response.content.decode()
    assert (f'data-change="{change.pk}"' in html) is sees
    if sees:
        assert "云帆 ERP" in html and "Rep A" in html and "proposal.pdf" in html
        assert "Proposal submitted" in html and "Demo done" in html
        assert "Upload evidence: " in html  # the criteria the move had to meet
    else:
        assert "云帆 ERP" not in html


def test_the_requester_sees_their_request_and_may_withdraw_it(client, org, pipeline):
    change = pending_change(org)
    client.force_login(org.rep_a)
    html = client.get(APPROVALS).content.decode()
    assert 'data-testid="my-request"' in html
    response = client.post(reverse("pipeline:change_withdraw", args=[change.pk]))
    assert response.status_code == 302
    assert StageChange.objects.get(pk=change.pk).state == ChangeState.CANCELLED


def test_only_the_requester_withdraws(client, org, pipeline):
    change = pending_change(org)
    client.force_login(org.rep_b)
    assert client.post(reverse("pipeline:change_withdraw", args=[change.pk])).status_code == 404
    client.force_login(org.manager_east)
    assert client.post(reverse("pipeline:change_withdraw", args=[change.pk])).status_code == 403
    assert StageChange.objects.get(pk=change.pk).state == ChangeState.PENDING


def test_approving_moves_the_deal_and_a_second_approval_is_told_it_is_done(client, org, pipeline):
    change = pending_change(org)
    client.force_login(org.manager_east)
    response = client.post(reverse("pipeline:change_approve", args=[change.pk]), follow=True)
    assert response.status_code == 200
    assert "Approved: 云帆 ERP moved to Demo done." in response.content.decode()
    assert Deal.objects.get(pk=change.deal_id).stage.code == "demo"
    client.force_login(org.director)
    response = client.post(reverse("pipeline:change_approve", args=[change.pk]), follow=True)
    assert response.status_code == 200
    assert "already applied" in response.content.decode()
    assert StageChange.objects.filter(deal_id=change.deal_id, state="applied").count() == 2


def test_the_owner_cannot_approve_and_another_team_gets_404(client, org, pipeline):
    change = pending_change(org)
    client.force_login(org.rep_a)
    assert client.post(reverse("pipeline:change_approve", args=[change.pk])).status_code == 403
    client.force_login(org.manager_south)
    assert client.post(reverse("pipeline:change_approve", args=[change.pk])).status_code == 404
    client.force_login(org.rep_b)
    assert (
        client.post(
            reverse("pipeline:change_reject", args=[change.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert StageChange.objects.get(pk=change.pk).state == ChangeState.PENDING


def test_rejecting_needs_a_reason(client, org, pipeline):
    change = pending_change(org)
    client.force_login(org.manager_east)
    url = reverse("pipeline:change_reject", args=[change.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert 'data-testid="reject-error"' in response.content.decode()
    assert StageChange.objects.get(pk=change.pk).state == ChangeState.PENDING
    response = client.post(url, {"reason": "方案缺少报价"}, follow=True)
    assert "Rejected: 云帆 ERP stays in Proposal submitted." in response.content.decode()
    change.refresh_from_db()
    assert (change.state, change.decision_note) == (ChangeState.REJECTED, "方案缺少报价")
    assert Deal.objects.get(pk=change.deal_id).stage.code == "proposal"
    # Rejecting again: told it is decided, no error page.
    response = client.post(url, {"reason": "again"}, follow=True)
    assert response.status_code == 200
    assert "already rejected" in response.content.decode()


def test_get_on_a_decision_url_is_not_allowed(client, org, pipeline):
    change = pending_change(org)
    client.force_login(org.manager_east)
    for name in ("change_approve", "change_reject", "change_withdraw"):
        assert client.get(reverse(f"pipeline:{name}", args=[change.pk])).status_code == 405


@pytest.mark.parametrize(
    ("who", "count", "sees_queue"),
    [
        ("manager_east", 1, True),
        ("director", 1, True),
        ("admin", 1, True),
        ("manager_south", 0, True),
        ("rep_a", 0, False),
        ("finance", 0, False),
    ],
)
def test_the_menu_badge_counts_the_requests_waiting_for_the_user(
    org, pipeline, who, count, sees_queue
):
    from salesops.pipeline import approvals

    pending_change(org)
    user = getattr(org, who)
    assert approvals.pending_count(user) == count
    assert approvals.may_approve_any(user) is sees_queue


def test_the_kanban_links_the_queue_with_its_count_for_approvers(client, org, pipeline):
    pending_change(org)
    client.force_login(org.manager_east)
    html = client.get(reverse("pipeline:kanban")).content.decode()
    assert 'data-testid="approvals-count">1<' in html
    client.force_login(org.rep_a)
    html = client.get(reverse("pipeline:kanban")).content.decode()
    assert 'data-testid="approvals-link"' not in html
