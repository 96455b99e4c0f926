"""The compliance API and queue page: check one file (PDF or image by its bytes; anything
else 422; nothing written), run a scan (configurers), list and decide findings with the
review permissions; the queue page's filters, read-only view for the owner, and a dismissal
without a reason refused naming the field."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.core.tests.visibility_matrix import api_client
from salesops.kpi import compliance
from salesops.kpi.models import ComplianceFinding, ComplianceScan, FindingState

from .factories_review import PNG, log_note, pdf_with_text

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/kpi/compliance/check"
FINDINGS = "/api/v1/kpi/compliance/findings"
MARK = "SalesOps 示例科技有限公司"


def check(user, data: bytes, name: str = "quote.pdf", **extra):
    upload = SimpleUploadedFile(name, data)
    return api_client(user).post(CHECK, data={"file": upload, **extra})


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"just some text", "quote.pdf"),  # the name says PDF, the bytes do not
        (b"PK\x03\x04 word document", "quote.docx"),
        (b"<html><body>hi</body></html>", "quote.png"),
    ],
)
def test_check_refuses_what_is_not_a_pdf_or_image(org, data, name):
    response = check(org.rep_a, data, name)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == "file" and "Only PDF or image files can be checked" in body["message"]


def test_check_without_a_file_is_a_422(org):
    response = api_client(org.rep_a).post(CHECK, data={})
    assert response.status_code == 422 and response.json()["field"] == "file"


def test_check_returns_the_findings_and_writes_nothing(org):
    response = check(org.rep_a, pdf_with_text("报价：绝对最低价"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["file_kind"] == "pdf" and body["read"] is True
    assert sorted(f["kind"] for f in body["findings"]) == ["forbidden", "watermark"]
    clean = check(org.rep_a, pdf_with_text(f"{MARK} 报价")).json()
    assert clean["findings"] == []
    image = check(org.rep_a, PNG, "quote.png").json()
    assert image == {"file_kind": "image", "read": False, "findings": []}
    assert not ComplianceFinding.objects.exists() and not ComplianceScan.objects.exists()


def test_check_reports_a_corrupt_pdf(org):
    body = check(org.rep_a, b"%PDF-1.4\nnot really").json()
    assert [f["kind"] for f in body["findings"]] == ["unreadable"]


def test_check_with_an_account_someone_else_owns_is_refused(org):
    from salesops.customers.tests.factories import make_account

    other = make_account(org.rep_d)
    response = check(org.rep_a, pdf_with_text(MARK), account_id=str(other.pk))
    assert response.status_code == 422 and response.json()["field"] == "account_id"


@pytest.mark.parametrize(("who", "status"), [("rep_a", 403), ("manager_east", 403), ("admin", 201)])
def test_running_a_scan_is_for_configurers(org, who, status):
    response = api_client(getattr(org, who)).post(
        "/api/v1/kpi/compliance/scans", data={"full": True}, content_type="application/json"
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert set(response.json()) >= {"documents", "texts", "findings", "seconds"}


@pytest.fixture
def findings(org):
    log_note(org.rep_a, "私下付款更便宜")
    log_note(org.rep_d, "返点给个人")
    compliance.scan()
    return {f.owner.username: f for f in ComplianceFinding.objects.select_related("owner")}


def ids(user, query=""):
    body = api_client(user).get(FINDINGS + query).json()
    return sorted(row["owner"]["id"] for row in body["results"])


def test_list_follows_visibility(org, findings):
    assert ids(org.rep_a) == [org.rep_a.pk]
    assert ids(org.manager_east) == [org.rep_a.pk]
    assert ids(org.manager_south) == [org.rep_d.pk]
    assert ids(org.director) == sorted([org.rep_a.pk, org.rep_d.pk])
    assert ids(org.director, f"?owner_id={org.rep_d.pk}") == [org.rep_d.pk]
    assert ids(org.director, "?state=confirmed") == []
    assert ids(org.rep_b) == []


def decide(user, finding, **body):
    return api_client(user).post(
        f"{FINDINGS}/{finding.pk}/decide", data=body, content_type="application/json"
    )


def test_decide_through_the_api(org, findings):
    finding = findings["rep_a"]
    assert decide(org.rep_a, finding, decision="confirm").status_code == 403
    assert decide(org.manager_south, finding, decision="confirm").status_code == 404
    missing = decide(org.manager_east, finding, decision="dismiss")
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    bad = decide(org.manager_east, finding, decision="maybe")
    assert bad.status_code == 422 and bad.json()["field"] == "decision"
    done = decide(org.manager_east, finding, decision="confirm")
    assert done.status_code == 200 and done.json()["state"] == "confirmed"
    again = decide(org.director, finding, decision="dismiss", reason="x")
    assert again.status_code == 422


# --- the queue page ----------------------------------------------------------------------


def test_the_queue_page_for_a_manager_and_the_owner(client, org, findings):
    client.force_login(org.manager_east)
    html = client.get("/kpi/compliance/").content.decode()
    assert f'data-id="{findings["rep_a"].pk}"' in html
    assert f'data-id="{findings["rep_d"].pk}"' not in html
    assert 'data-testid="decide-form"' in html
    client.force_login(org.rep_a)
    html = client.get("/kpi/compliance/").content.decode()
    assert f'data-id="{findings["rep_a"].pk}"' in html
    assert 'data-testid="decide-form"' not in html  # read-only for the owner


def test_the_queue_filters_and_searches(client, org, findings):
    client.force_login(org.director)
    html = client.get("/kpi/compliance/?q=返点").content.decode()
    assert f'data-id="{findings["rep_d"].pk}"' in html
    assert f'data-id="{findings["rep_a"].pk}"' not in html
    html = client.get("/kpi/compliance/?kind=watermark").content.decode()
    assert 'data-testid="finding-row"' not in html
    html = client.get("/kpi/compliance/?date_from=2026-05-02&date_to=2026-05-01").content.decode()
    assert "To: The end date cannot be before the start date." in html


def test_dismissing_on_the_page_needs_a_reason(client, org, findings):
    finding = findings["rep_a"]
    client.force_login(org.manager_east)
    url = f"/kpi/compliance/{finding.pk}/decide/"
    response = client.post(url, {"decision": "dismiss", "reason": ""}, follow=True)
    assert "Reason: Give the reason for dismissing this finding." in response.content.decode()
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN
    client.post(url, {"decision": "dismiss", "reason": "客户原话引用"})
    finding.refresh_from_db()
    assert finding.state == FindingState.DISMISSED
    client.force_login(org.manager_south)
    assert (
        client.post(
            f"/kpi/compliance/{findings['rep_a'].pk}/decide/", {"decision": "confirm"}
        ).status_code
        == 404
    )


def test_the_pages_in_chinese(client, org, findings):
    org.manager_east.language = "zh-hans"
    org.manager_east.save()
    client.force_login(org.manager_east)
    html = client.get("/kpi/compliance/").content.decode()
    assert "合规复核" in html and "驳回" in html and "禁用话术" in html
    response = client.post(
        f"/kpi/compliance/{findings['rep_a'].pk}/decide/", {"decision": "dismiss"}, follow=True
    )
    assert "请填写驳回该疑似违规的理由。" in response.content.decode()
    html = client.get("/kpi/credibility/").content.decode()
    assert "红榜（荣誉）" in html and "黑榜（内部）" in html
