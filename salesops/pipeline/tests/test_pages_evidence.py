"""Evidence on the deal's page: upload (type and file checked, errors shown, nothing
stored on refusal) and download (only for those who may see the deal; always an
attachment that the browser does not sniff)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.pipeline.evidence import evidence_add
from salesops.pipeline.models import Evidence

from .factories import make_account, make_deal

pytestmark = pytest.mark.django_db

PDF = "%PDF-1.4\n% 会议纪要\n".encode()


def pdf(name="纪要.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def deal(org, pipeline):
    return make_deal(owner=org.rep_a)


@pytest.fixture
def evidence(org, deal):
    return evidence_add(actor=org.rep_a, deal=deal, type="minutes", upload=pdf())


def test_the_owner_uploads_evidence_and_sees_it_listed(client, org, deal):
    client.force_login(org.rep_a)
    response = client.post(
        f"/deals/{deal.pk}/evidence/", {"type": "minutes", "file": pdf(), "note": "首次会议"}
    )
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    stored = Evidence.objects.get(deal=deal)
    assert stored.type == "minutes" and stored.original_name == "纪要.pdf"
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert f'href="/deals/evidence/{stored.pk}/"' in page and "首次会议" in page


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"type": "", "file": "pdf"}, "type", "evidence type"),
        ({"type": "minutes"}, "file", "Choose a file"),
        ({"type": "minutes", "file": "exe"}, "file", "not accepted"),
        ({"type": "minutes", "file": "html"}, "file", "program or a web page"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(client, org, deal, data, field, words):
    files = {
        "pdf": pdf(),
        "exe": pdf("setup.exe", b"MZ\x90\x00"),
        "html": pdf("page.pdf", b"<html><script>alert(1)</script>"),
    }
    if "file" in data:
        data = {**data, "file": files[data["file"]]}
    client.force_login(org.rep_a)
    response = client.post(f"/deals/{deal.pk}/evidence/", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert f'data-testid="error-{field}"' in body and words in body
    assert 'data-testid="evidence-errors"' in body
    assert not Evidence.objects.exists()


def test_finance_sees_evidence_but_cannot_upload(client, org, deal, evidence):
    client.force_login(org.finance)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="evidence-form"' not in page and evidence.original_name in page
    response = client.post(f"/deals/{deal.pk}/evidence/", {"type": "minutes", "file": pdf()})
    assert response.status_code == 403
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("rep_a", 200),
        ("manager_east", 200),
        ("director", 200),
        ("admin", 200),
        ("finance", 200),
        ("rep_b", 404),
        ("manager_south", 404),
        ("cs", 404),
    ],
)
def test_the_file_is_served_only_to_those_who_see_the_deal(client, org, evidence, role, status):
    client.force_login(getattr(org, role))
    response = client.get(f"/deals/evidence/{evidence.pk}/")
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    else:
        assert evidence.original_name.encode() not in response.content


def test_customer_success_gets_the_files_of_deals_in_their_book(client, org, pipeline):
    account = make_account(org.rep_a, success_owner=org.cs)
    deal = make_deal(owner=org.rep_a, account=account)
    stored = evidence_add(actor=org.rep_a, deal=deal, type="minutes", upload=pdf())
    client.force_login(org.cs)
    assert client.get(f"/deals/evidence/{stored.pk}/").status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client, evidence):
    response = client.get(f"/deals/evidence/{evidence.pk}/")
    assert response.status_code == 302 and "login" in response["Location"]
