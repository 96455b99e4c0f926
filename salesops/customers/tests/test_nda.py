"""``Account.nda_signed_on`` (K10): set on the account form, shown on its page, read and
written through the API; a bad date names the field."""

import datetime as dt

import pytest
from django.urls import reverse

from salesops.core.tests.visibility_matrix import api_client
from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_the_form_sets_it_and_the_page_shows_it(client, org):
    account = make_account(org.rep_a, level="C")
    client.force_login(org.rep_a)
    page = client.get(reverse("customers:account_edit", args=[account.pk])).content.decode()
    assert 'name="nda_signed_on"' in page and 'type="date"' in page
    response = client.post(
        reverse("customers:account_edit", args=[account.pk]),
        {"name": account.name, "level": "C", "owner": org.rep_a.pk, "nda_signed_on": "2026-03-01"},
    )
    assert response.status_code == 302, response.content
    account.refresh_from_db()
    assert account.nda_signed_on == dt.date(2026, 3, 1)
    detail = client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="nda-signed-on">2026-03-01<' in detail
    assert account.history.latest().nda_signed_on == dt.date(2026, 3, 1)  # audited


def test_a_bad_date_names_the_field(client, org):
    account = make_account(org.rep_a)
    client.force_login(org.rep_a)
    response = client.post(
        reverse("customers:account_edit", args=[account.pk]),
        {"name": account.name, "level": "C", "owner": org.rep_a.pk, "nda_signed_on": "soon"},
    )
    assert response.status_code == 200
    assert "nda_signed_on" in response.context["form"].errors
    account.refresh_from_db()
    assert account.nda_signed_on is None


def test_no_nda_reads_as_such(client, org):
    account = make_account(org.rep_a)
    client.force_login(org.rep_a)
    assert (
        'data-testid="nda-signed-on">No NDA<'
        in client.get(account.get_absolute_url()).content.decode()
    )


def test_the_api_reads_and_writes_it(org):
    client = api_client(org.rep_a)
    created = client.post(
        "/api/v1/accounts",
        data={"name": "保密协议测试有限公司", "nda_signed_on": "2026-02-01"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["nda_signed_on"] == "2026-02-01"
    account = Account.objects.get(pk=body["id"])
    url = f"/api/v1/accounts/{account.pk}"
    assert client.get(url).json()["nda_signed_on"] == "2026-02-01"
    cleared = client.patch(url, data={"nda_signed_on": None}, content_type="application/json")
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["nda_signed_on"] is None
    bad = client.patch(url, data={"nda_signed_on": "tomorrow"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "nda_signed_on"
