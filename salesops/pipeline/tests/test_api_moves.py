"""Stage changes, approvals and evidence over the REST API (D2)."""

from __future__ import annotations

import pytest

from salesops.pipeline.models import ChangeState, Deal, Evidence, PipelinePolicy, StageChange

from .api_helpers import (
    API,
    PDF,
    assert_error,
    client_for,
    deal_state,
    error_fields,
    get,
    in_proposal,
    other_pipeline,
    post,
    ready_for_proposal,
    upload,
)
from .factories import make_deal, stage

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list:
    root = settings.EVIDENCE_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pending(org, client=None):
    """A deal in 方案提交 with its proposal uploaded and a move to 演示完成 waiting."""
    deal = in_proposal(org.rep_a)
    rep = client or client_for(org.rep_a)
    assert upload(rep, deal.pk).status_code == 201
    response = post(rep, f"/deals/{deal.pk}/stage-changes", {"to_stage": "demo"})
    assert response.status_code == 202, response.content
    return deal, response.json()


# --- requesting a move ----------------------------------------------------------------------
def test_unmet_criteria_are_a_422_listing_each_one_and_nothing_moves(org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    before = deal_state(deal.pk)
    response = post(
        client_for(org.rep_a), f"/deals/{deal.pk}/stage-changes", {"to_stage": "proposal"}
    )
    body = assert_error(response, 422, "criteria_unmet", "criteria")
    missing = body["missing"]
    assert {(m["code"], m["field"]) for m in missing} == {
        ("field", "need_confirmed"),
        ("field", "contacts"),
        ("evidence", "evidence"),
    }
    assert next(m for m in missing if m["code"] == "evidence")["type"] == "minutes"
    assert len(body["errors"]) == 3
    assert all(e["field"] == "criteria" and e["message"] for e in body["errors"])
    for item in missing:
        assert item["message"] in body["message"]
    assert deal_state(deal.pk) == before


def test_evidence_uploaded_first_counts_and_the_move_is_applied(org, pipeline):
    deal = ready_for_proposal(org.rep_a)
    rep = client_for(org.rep_a)
    response = post(rep, f"/deals/{deal.pk}/stage-changes", {"to_stage": stage("proposal").pk})
    body = assert_error(response, 422, "criteria_unmet", "criteria")
    assert [m["type"] for m in body["missing"]] == ["minutes"]
    assert upload(rep, deal.pk, type="minutes", name="纪要.pdf").status_code == 201
    response = post(rep, f"/deals/{deal.pk}/stage-changes", {"to_stage": "proposal"})
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["state"] == "applied" and change["direction"] == "forward"
    assert change["from_stage"]["code"] == "needs" and change["to_stage"]["code"] == "proposal"
    assert Deal.objects.get(pk=deal.pk).stage.code == "proposal"
    history = get(rep, f"/deals/{deal.pk}/stage-changes").json()
    assert [row["direction"] for row in history] == ["forward", "created"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_stage": "nowhere"}, "to_stage"),
        ({"to_stage": "contact"}, "to_stage"),  # already there
        ({"to_stage": "needs", "reason": "x" * 501}, "reason"),
        ({"to_stage": "lost", "reason": "预算取消", "lost_reason": "bored"}, "lost_reason"),
        ({"to_stage": "lost", "lost_reason": "no_budget"}, "reason"),
        ({"reason": "x"}, "to_stage"),
        ({"to_stage": "lost", "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_stage_changes_are_422_naming_the_field(org, pipeline, body, field):
    deal = make_deal(owner=org.rep_a)
    before = deal_state(deal.pk)
    response = post(client_for(org.rep_a), f"/deals/{deal.pk}/stage-changes", body)
    assert field in error_fields(response)
    assert deal_state(deal.pk) == before


def test_a_stage_of_another_pipeline_is_refused(org, pipeline):
    _other, foreign = other_pipeline()
    deal = make_deal(owner=org.rep_a)
    before = deal_state(deal.pk)
    response = post(
        client_for(org.rep_a), f"/deals/{deal.pk}/stage-changes", {"to_stage": foreign.pk}
    )
    assert_error(response, 422, "validation_error", "to_stage")
    assert deal_state(deal.pk) == before


def test_lost_with_a_listed_reason_and_back_with_a_reason(org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="demo")
    rep = client_for(org.rep_a)
    response = post(
        rep,
        f"/deals/{deal.pk}/stage-changes",
        {"to_stage": "lost", "reason": "预算取消", "lost_reason": "no_budget"},
    )
    assert response.status_code == 201, response.content
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "no_budget")
    assert get(rep, f"/deals/{deal.pk}").json()["status"] == "lost"
    response = post(rep, f"/deals/{deal.pk}/stage-changes", {"to_stage": "demo", "reason": "重启"})
    assert response.status_code == 201 and response.json()["direction"] == "reopened"


# --- approval -------------------------------------------------------------------------------
def test_a_move_needing_approval_waits_then_the_manager_approves_once(org, pipeline):
    deal, change = pending(org)
    assert change["state"] == "pending"
    assert Deal.objects.get(pk=deal.pk).stage.code == "proposal"
    url = f"/stage-changes/{change['id']}/approve"
    # the owner may not approve their own move; another rep does not see it
    assert_error(post(client_for(org.rep_a), url, {}), 403, "forbidden")
    assert_error(post(client_for(org.rep_b), url, {}), 404, "not_found")
    assert_error(post(client_for(org.manager_south), url, {}), 404, "not_found")
    assert_error(post(client_for(org.finance), url, {}), 403, "forbidden")
    assert StageChange.objects.get(pk=change["id"]).state == ChangeState.PENDING
    no_body = client_for(org.manager_east).post(API + url, "", content_type="application/json")
    response = no_body  # an approval without a body: no note
    assert response.status_code == 200, response.content
    assert response.json()["decision_note"] == ""
    deal, change = pending(org)
    url = f"/stage-changes/{change['id']}/approve"
    response = post(client_for(org.manager_east), url, {"note": "同意"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "applied" and response.json()["decision_note"] == "同意"
    assert response.json()["decided_by"]["id"] == org.manager_east.pk
    assert Deal.objects.get(pk=deal.pk).stage.code == "demo"
    # a second approval (another approver, or the same one again) is told it is done
    for approver in (org.director, org.manager_east):
        body = assert_error(post(client_for(approver), url, {}), 409, "already_decided", "state")
        assert "applied" in body["message"]
    assert StageChange.objects.filter(deal=deal, state=ChangeState.APPLIED).count() == 2
    assert Deal.objects.get(pk=deal.pk).stage.code == "demo"


def test_rejection_needs_a_reason_and_the_deal_stays(org, pipeline):
    deal, change = pending(org)
    manager = client_for(org.manager_east)
    url = f"/stage-changes/{change['id']}/reject"
    assert_error(post(manager, url, {}), 422, "validation_error", "reason")
    assert_error(post(manager, url, {"reason": "  "}), 422, "validation_error", "reason")
    response = post(manager, url, {"reason": "方案不完整"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "rejected"
    assert Deal.objects.get(pk=deal.pk).stage.code == "proposal"
    assert_error(
        post(manager, f"/stage-changes/{change['id']}/approve", {}), 409, "already_decided", "state"
    )


def test_the_requester_withdraws_a_waiting_request(org, pipeline):
    deal, change = pending(org)
    url = f"/stage-changes/{change['id']}/withdraw"
    assert_error(post(client_for(org.rep_b), url), 404, "not_found")
    assert_error(post(client_for(org.finance), url), 403, "forbidden")
    response = post(client_for(org.rep_a), url)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert_error(post(client_for(org.rep_a), url), 409, "already_decided", "state")
    # a new request may be made once the old one is gone
    again = post(client_for(org.rep_a), f"/deals/{deal.pk}/stage-changes", {"to_stage": "demo"})
    assert again.status_code == 202, again.content


def test_a_second_request_while_one_waits_is_refused(org, pipeline):
    deal, _change = pending(org)
    response = post(
        client_for(org.rep_a), f"/deals/{deal.pk}/stage-changes", {"to_stage": "negotiation"}
    )
    assert_error(response, 422, "validation_error", "to_stage")
    assert StageChange.objects.filter(deal=deal, state=ChangeState.PENDING).count() == 1


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("manager_east", True),
        ("director", True),
        ("admin", True),
        ("manager_sh", False),
        ("manager_south", False),
        ("rep_a", False),
        ("rep_b", False),
        ("finance", False),
        ("cs", False),
    ],
)
def test_the_pending_inbox_holds_what_the_user_may_approve(org, pipeline, role, sees):
    _deal, change = pending(org)
    body = get(client_for(getattr(org, role)), "/stage-changes", state="pending").json()
    assert ({row["id"] for row in body["results"]} == {change["id"]}) is sees
    assert body["count"] == (1 if sees else 0)


def test_stage_change_lists_follow_the_deals_visibility(org, pipeline):
    _deal, change = pending(org)
    theirs = make_deal(owner=org.rep_d)
    rep = client_for(org.rep_a)
    mine = {row["id"] for row in get(rep, "/stage-changes").json()["results"]}
    assert change["id"] in mine
    assert not StageChange.objects.filter(deal=theirs, pk__in=mine).exists()
    assert get(rep, f"/stage-changes/{change['id']}").status_code == 200
    hidden = StageChange.objects.get(deal=theirs)
    assert_error(get(rep, f"/stage-changes/{hidden.pk}"), 404, "not_found")
    assert_error(get(rep, "/stage-changes", state="maybe"), 422, "validation_error", "state")
    applied = get(rep, "/stage-changes", state="applied", deal=theirs.pk).json()
    assert applied["count"] == 0


# --- evidence -------------------------------------------------------------------------------
def test_evidence_is_uploaded_listed_and_served_only_to_those_who_see_the_deal(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    rep = client_for(org.rep_a)
    response = upload(rep, deal.pk, type="minutes", name="会议纪要.pdf", note="首次拜访")
    assert response.status_code == 201, response.content
    item = response.json()
    assert (item["type"], item["original_name"], item["size"]) == (
        "minutes",
        "会议纪要.pdf",
        len(PDF),
    )
    assert item["stage"]["code"] == "contact" and item["note"] == "首次拜访"
    assert [row["id"] for row in get(rep, f"/deals/{deal.pk}/evidence").json()] == [item["id"]]
    url = f"{API}/evidence/{item['id']}/file"
    for role in ("rep_a", "manager_east", "director", "finance"):
        response = client_for(getattr(org, role)).get(url)
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    for role in ("rep_b", "rep_d", "manager_sh", "manager_south", "cs"):
        assert_error(client_for(getattr(org, role)).get(url), 404, "not_found")
    assert_error(get(client_for(org.rep_b), f"/deals/{deal.pk}/evidence"), 404, "not_found")


def test_another_rep_or_a_read_only_role_cannot_upload(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    assert_error(upload(client_for(org.rep_b), deal.pk), 404, "not_found")
    assert_error(upload(client_for(org.finance), deal.pk), 403, "forbidden")
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00binary", "exe"),
        ("quote.pdf", b"MZ\x90\x00binary", "program"),
        ("page.html", b"<html><script>alert(1)</script></html>", "html"),
        ("notes.txt", b"  <!DOCTYPE html><html></html>", "program or a web page"),
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
        ("empty.pdf", b"", "empty"),
        ("noext", b"%PDF-1.4", "no extension"),
    ],
)
def test_forbidden_evidence_is_422_naming_the_reason_and_nothing_is_stored(
    org, pipeline, settings, name, content, reason
):
    deal = make_deal(owner=org.rep_a)
    response = upload(client_for(org.rep_a), deal.pk, name=name, content=content)
    body = assert_error(response, 422, "validation_error", "file")
    assert reason in body["message"]
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_oversize_evidence_is_refused_with_the_limit(org, pipeline, settings):
    policy = PipelinePolicy.current()
    policy.evidence_max_mb = 1
    policy.save()
    deal = make_deal(owner=org.rep_a)
    big = PDF + b"0" * (1024 * 1024)
    body = assert_error(
        upload(client_for(org.rep_a), deal.pk, content=big), 422, "validation_error", "file"
    )
    assert "limit is 1 MB" in body["message"]
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_an_unknown_evidence_type_or_a_missing_file_is_422(org, pipeline, settings):
    deal = make_deal(owner=org.rep_a)
    rep = client_for(org.rep_a)
    assert_error(upload(rep, deal.pk, type="selfie"), 422, "validation_error", "type")
    response = rep.post(f"{API}/deals/{deal.pk}/evidence", {"type": "proposal"})
    assert "file" in error_fields(response)
    response = upload(rep, deal.pk, note="x" * 201)
    assert "note" in error_fields(response)
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_the_zh_hans_message_names_the_missing_criteria(org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    response = client_for(org.rep_a).post(
        f"{API}/deals/{deal.pk}/stage-changes",
        {"to_stage": "proposal"},
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    body = assert_error(response, 422, "criteria_unmet", "criteria")
    assert "会议纪要" in body["message"]
    assert "尚不能" in body["message"] or "不能" in body["message"]
