"""The revenue pages, driven through Django's test client as a user would."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment

ROW_RE = re.compile(r'data-testid="(contract|payment|invoice)-row" data-id="(\d+)"')


def row_ids(response, kind) -> set[int]:
    assert response.status_code == 200
    return {int(pk) for k, pk in ROW_RE.findall(response.content.decode()) if k == kind}


@pytest.fixture
def contracts(org):
    made = {}
    for name in ("rep_a", "rep_b", "rep_c", "rep_d"):
        contract = make_contract(owner=getattr(org, name))
        make_payment(contract)
        make_invoice(contract)
        made[name] = contract
    return made


PAGES = [
    ("/revenue/contracts/", "contract", lambda c: c.pk),
    ("/revenue/payments/", "payment", lambda c: c.payments.get().pk),
    ("/revenue/invoices/", "invoice", lambda c: c.invoices.get().pk),
]


@pytest.mark.parametrize(("url", "kind", "pk_of"), PAGES)
@pytest.mark.parametrize(
    ("role", "owners"),
    [
        ("rep_a", {"rep_a"}),
        ("manager_sh", {"rep_c"}),
        ("manager_east", {"rep_a", "rep_b", "rep_c"}),
        ("finance", {"rep_a", "rep_b", "rep_c", "rep_d"}),
    ],
)
def test_lists_show_only_visible_records(client, org, contracts, url, kind, pk_of, role, owners):
    client.force_login(getattr(org, role))
    assert row_ids(client.get(url), kind) == {pk_of(contracts[o]) for o in owners}


def test_rep_cannot_open_another_reps_contract(client, org, contracts):
    client.force_login(org.rep_b)
    theirs = contracts["rep_a"]
    assert client.get(f"/revenue/contracts/{theirs.pk}/").status_code == 404
    assert client.get(f"/revenue/contracts/{theirs.pk}/history/").status_code == 404
    # and the exports leave it out too
    response = client.get("/revenue/contracts/export.csv")
    assert theirs.number not in b"".join(response.streaming_content).decode("utf-8-sig")


def test_contract_detail_shows_progress_plan_and_overdue(client, org, contracts):
    contract = contracts["rep_a"]
    client.force_login(org.rep_a)
    page = client.get(f"/revenue/contracts/{contract.pk}/").content.decode()
    # ¥30,000 of ¥100,000 paid; the 06-30 instalment is overdue on 07-15
    assert "¥30,000.00" in page and "30.0 %" in page
    assert re.findall(r'data-testid="instalment-row" data-state="(\w+)"', page) == [
        "paid",
        "overdue",
        "due",
    ]
    assert 'data-testid="overdue-count"' in page
    assert contract.invoices.get().number in page
    assert "30 %" in page  # the first-payment percentage


def test_flagged_payment_is_visible_on_the_contract(client, org, contracts):
    contract = contracts["rep_a"]
    make_payment(contract, "80000.00")
    client.force_login(org.rep_a)
    page = client.get(f"/revenue/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="flagged-count"' in page
    flagged = client.get("/revenue/payments/", {"flagged": "true"})
    assert len(row_ids(flagged, "payment")) == 1


def test_contract_history_tab(client, org, contracts):
    client.force_login(org.rep_a)
    response = client.get(f"/revenue/contracts/{contracts['rep_a'].pk}/history/")
    assert response.status_code == 200
    assert 'data-testid="tab-history"' in response.content.decode()


def test_excel_export_matches_the_filtered_list(client, org, contracts):
    client.force_login(org.director)
    number = contracts["rep_c"].number
    response = client.get("/revenue/contracts/export.xlsx", {"q": number})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    assert row[header.index("Contract number")] == number
    assert Decimal(str(row[header.index("Paid to date")])) == Decimal("30000")


def test_bad_filter_explains_itself(client, org, contracts):
    client.force_login(org.director)
    response = client.get("/revenue/contracts/", {"status": "bogus"})
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_contracts_are_in_the_menu(client, org):
    client.force_login(org.rep_a)
    assert 'href="/revenue/contracts/"' in client.get("/revenue/payments/").content.decode()


# --- recording a payment on the contract's page -----------------------------------------------


def payment_url(contract):
    return f"/revenue/contracts/{contract.pk}/payments/new/"


def test_finance_records_a_payment_against_an_instalment(client, org):
    contract = make_contract(owner=org.rep_a)
    first = contract.instalments.get(sequence=1)
    client.force_login(org.finance)
    page = client.get(f"/revenue/contracts/{contract.pk}/")
    assert 'data-testid="record-payment"' in page.content.decode()
    form = client.get(payment_url(contract))
    assert form.status_code == 200 and "#1" in form.content.decode()
    response = client.post(
        payment_url(contract),
        {
            "amount": "30000.00",
            "received_on": "2026-03-20",
            "method": "bank_transfer",
            "instalment": first.pk,
            "reference": "ICBC-001",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = contract.payments.get()
    assert payment.amount == Decimal("30000.00") and payment.instalment == first
    assert payment.history.get().history_user == org.finance
    # the contract's page shows it against the plan
    page = client.get(f"/revenue/contracts/{contract.pk}/")
    assert page.context["summary"]["paid"] == Decimal("30000.00")
    states = re.findall(r'data-testid="instalment-row" data-state="(\w+)"', page.content.decode())
    assert states[0] == "paid"


def test_a_bad_payment_names_each_field_and_saves_nothing(client, org):
    contract = make_contract(owner=org.rep_a)
    client.force_login(org.finance)
    response = client.post(payment_url(contract), {"amount": "-5", "received_on": "2027-01-01"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"amount", "received_on"}
    assert contract.payments.count() == 0


def test_an_over_payment_is_kept_and_flagged_with_a_warning(client, org):
    contract = make_contract(owner=org.rep_a)  # ¥100,000
    client.force_login(org.finance)
    response = client.post(
        payment_url(contract), {"amount": "120000", "received_on": "2026-03-20"}, follow=True
    )
    assert contract.payments.get().flagged
    assert any("over" in str(m) or "超" in str(m) for m in response.context["messages"])


def test_who_may_record_a_payment(client, org):
    contract = make_contract(owner=org.rep_a)
    client.force_login(org.rep_b)  # cannot see it
    assert client.get(payment_url(contract)).status_code == 404
    assert client.post(payment_url(contract), {"amount": "1"}).status_code == 404
    assert contract.payments.count() == 0
    # money is finance's: the owner, their managers, the director and admins see the
    # contract but neither the button nor the form
    for role in ("rep_a", "manager_east", "director", "admin"):
        client.force_login(getattr(org, role))
        page = client.get(f"/revenue/contracts/{contract.pk}/")
        assert 'data-testid="record-payment"' not in page.content.decode(), role
        assert client.get(payment_url(contract)).status_code == 403, role
        response = client.post(payment_url(contract), {"amount": "1", "received_on": "2026-03-20"})
        assert response.status_code == 403, role
    assert contract.payments.count() == 0
    client.force_login(org.finance)
    assert client.get(payment_url(contract)).status_code == 200
    page = client.get(f"/revenue/contracts/{contract.pk}/")
    assert 'data-testid="record-payment"' in page.content.decode()


def test_the_payment_form_starts_with_todays_date_and_readable_instalments(client, org):
    from salesops.core import clock

    contract = make_contract(owner=org.rep_a, amount=Decimal("5374800.00"))
    client.force_login(org.finance)
    html = client.get(payment_url(contract)).content.decode()
    assert f'name="received_on" value="{clock.today().isoformat()}"' in html
    assert "¥1,612,440.00" in html  # the first instalment, 30 %, grouped by thousands
