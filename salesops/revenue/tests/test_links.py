"""Contract attachment links (issue 11, item 10a): only http(s) links (or uploaded files);
anything else is a 422 naming the attachment's url, and a stored bad link is never
rendered as a link."""

import pytest

from salesops.customers.tests.factories import make_account
from salesops.revenue.models import Contract
from salesops.revenue.tests.factories import make_contract
from salesops.revenue.tests.test_api import client_for, patch, post

BAD = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example.com/x.pdf",
    "ftp://files.example.com/x.pdf",
    "https://",
]


@pytest.mark.parametrize("url", BAD)
def test_a_bad_attachment_link_is_refused_naming_the_field(org, url):
    account = make_account(org.rep_a)
    rep = client_for(org.rep_a)
    body = {"number": "HT-L1", "account_id": account.pk, "amount": "1000"}
    attachments = [
        {"name": "ok.pdf", "url": "https://x.example.com/ok.pdf"},
        {"name": "x", "url": url},
    ]
    response = post(rep, "/contracts", {**body, "attachments": attachments})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "attachments.1.url"
    assert "link" in response.json()["message"]
    assert not Contract.objects.filter(number="HT-L1").exists()
    contract = make_contract(owner=org.rep_a)
    response = patch(rep, f"/contracts/{contract.pk}", {"attachments": attachments})
    assert response.status_code == 422 and response.json()["field"] == "attachments.1.url"
    assert Contract.objects.get(pk=contract.pk).attachments == []


@pytest.mark.parametrize(
    "url", ["https://files.example.com/合同.pdf", "http://intranet.example/a", ""]
)
def test_http_links_and_no_link_are_kept(org, url):
    contract = make_contract(owner=org.rep_a)
    response = patch(
        client_for(org.rep_a),
        f"/contracts/{contract.pk}",
        {"attachments": [{"name": "扫描件", "url": url}]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["attachments"][0]["url"] == url


def test_an_uploaded_file_link_is_kept(org, settings):
    settings.MEDIA_URL = "/media/"
    contract = make_contract(owner=org.rep_a)
    attachments = [{"name": "扫描件", "url": "/media/contracts/1.pdf"}]
    response = patch(
        client_for(org.rep_a), f"/contracts/{contract.pk}", {"attachments": attachments}
    )
    assert response.status_code == 200, response.content
    contract.refresh_from_db()
    assert contract.attachments == attachments


def test_a_stored_bad_link_is_shown_as_text(client, org):
    contract = make_contract(owner=org.rep_a)
    # written before links were checked
    Contract.objects.filter(pk=contract.pk).update(
        attachments=[{"name": "恶意", "url": "javascript:alert(1)"}]
    )
    client.force_login(org.rep_a)
    page = client.get(f"/revenue/contracts/{contract.pk}/").content.decode()
    assert "恶意" in page and "javascript:" not in page
