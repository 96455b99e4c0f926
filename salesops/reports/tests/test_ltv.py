"""Lifetime value: computed from the account's records, stored with the inputs and formula
it came from (so it can be explained), per rep totals, kept fresh by events, and visible
exactly when the account is."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from salesops.aftersales.tests.factories import make_complaint, make_nps, make_renewal
from salesops.core import expressions, sweeps
from salesops.customers.tests.factories import make_account
from salesops.reports import ltv
from salesops.reports.models import AccountValue
from salesops.reports.tests.conftest import TODAY
from salesops.revenue.models import Payment
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.revenue.tests.test_api import client_for


@pytest.fixture
def account(org):
    """¥100,000 signed 2026-03-02, ¥30,000 paid, a ¥12,000 renewal pending, NPS 9 and 7."""
    account = make_account(org.rep_a, name="华星科技")
    contract = make_contract(account)
    make_payment(contract, "30000.00")
    make_renewal(account, amount=Decimal("12000.00"))
    make_nps(account, score=9)
    make_nps(account, score=7)
    return account


def test_ltv_is_realised_revenue_plus_the_default_projection(account):
    # When
    value = ltv.ltv_recompute(account=account)
    # Then: 70,000 still to pay + 12,000 pending renewal × NPS 8.0 / 10
    assert value.realised == Decimal("30000.00")
    assert value.projected == Decimal("79600.00")
    assert value.total == Decimal("109600.00")
    assert value.formula_version == 0
    assert value.formula_source == ltv.DEFAULT_FORMULA
    assert value.error == ""


def test_the_stored_explanation_matches_its_inputs(account):
    # Given
    value = ltv.ltv_recompute(account=account)
    value.refresh_from_db()
    # Then: the stored inputs are the account's figures …
    assert value.inputs["realised"] == str(
        sum(p.amount for p in Payment.objects.filter(account=account))
    )
    assert value.inputs == {
        "realised": "30000.00",
        "contracted": "100000.00",
        "active_contracts": 1,
        "outstanding": "70000.00",
        "pending_renewals": "12000.00",
        "renewed": "0.00",
        "renewals_lost": 0,
        "nps_average": "8.0",
        "nps_responses": 2,
        "open_complaints": 0,
        "open_major_complaints": 0,
        "years_as_customer": "0.4",
    }
    # … the stored formula evaluated on exactly those inputs gives the stored projection …
    again = expressions.evaluate(value.formula_source, ltv._from_json(value.inputs))
    assert Decimal(again).quantize(Decimal("0.01")) == value.projected
    # … and the breakdown lists every input, the formula and the result.
    explained = ltv.explain(value)
    assert explained["consistent"] is True
    assert [row["name"] for row in explained["inputs"]] == list(ltv.INPUTS)
    assert explained["formula"] == ltv.DEFAULT_FORMULA
    assert explained["total"] == value.realised + value.projected


def test_an_open_major_complaint_halves_the_renewal_part(account):
    make_complaint(account, severity="major")
    value = ltv.ltv_recompute(account=account)
    assert value.inputs["open_major_complaints"] == 1
    assert value.projected == Decimal("74800.00")  # 70,000 + 12,000 × 0.8 × 0.5


def test_an_admins_formula_version_is_used_and_named_in_the_stored_value(org, account):
    # Given: an admin puts a new formula in force
    formula = ltv.ltv_formula_create(
        actor=org.admin, source="contracted * 2 - realised", note="two terms"
    )
    # When
    value = ltv.ltv_recompute(account=account)
    # Then
    assert formula.version == 1
    assert value.formula_version == 1
    assert value.formula_source == "contracted * 2 - realised"
    assert value.projected == Decimal("170000.00")
    # A later version does not change how the stored value is explained.
    ltv.ltv_formula_create(actor=org.admin, source="realised")
    value.refresh_from_db()
    assert ltv.explain(value)["consistent"] is True
    assert ltv.explain(value)["version"] == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("realised + bonus", "Unknown name “bonus”"),
        ("realised +", "Syntax error"),
        ("open_complaints > 1", "must give an amount of money"),
    ],
)
def test_a_bad_formula_is_refused_naming_the_field(org, source, message):
    with pytest.raises(ValidationError) as caught:
        ltv.ltv_formula_create(actor=org.admin, source=source)
    assert message in " ".join(caught.value.message_dict["source"])
    assert ltv.current_formula() == (0, ltv.DEFAULT_FORMULA)


def test_only_an_admin_changes_the_formula(org):
    with pytest.raises(ValidationError) as caught:
        ltv.ltv_formula_create(actor=org.director, source="realised")
    assert "administrator" in caught.value.message_dict["source"][0]


def test_a_formula_failing_on_an_accounts_inputs_stores_why_and_projects_nothing(org, account):
    ltv.ltv_formula_create(actor=org.admin, source="realised / (nps_responses - 2)")
    value = ltv.ltv_recompute(account=account)
    assert value.projected == Decimal("0.00")
    assert value.total == value.realised
    assert "Division by zero" in value.error


def test_the_sweep_recomputes_the_accounts_whose_records_changed(
    org, account, django_capture_on_commit_callbacks
):
    # Given: both accounts computed, the sweep run once
    untouched = make_account(org.rep_b)
    ltv.ltv_recompute_all()
    sweeps.run_all()
    before = AccountValue.objects.get(account=untouched).computed_at
    contract = account.contracts.get()
    # When: ten minutes later a payment arrives (its event, after commit, queues the
    # account), and the sweep runs a minute after that
    with time_machine.travel(TODAY + dt.timedelta(minutes=10), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            make_payment(contract, "20000.00", received_on=dt.date(2026, 7, 15))
    with time_machine.travel(TODAY + dt.timedelta(minutes=11), tick=False):
        results = dict(sweeps.run_all())
    # Then: that account's value is fresh, the other one was left alone
    assert results[ltv.SWEEP_NAME] == "recomputed 1 account(s)"
    value = AccountValue.objects.get(account=account)
    assert value.realised == Decimal("50000.00")
    assert value.inputs["outstanding"] == "50000.00"
    assert AccountValue.objects.get(account=untouched).computed_at == before


def test_a_payment_costs_the_feed_no_recompute_in_its_request(
    org, account, django_capture_on_commit_callbacks
):
    contract = account.contracts.get()
    with django_capture_on_commit_callbacks(execute=True):
        make_payment(contract, "20000.00", received_on=dt.date(2026, 7, 1))
    assert not AccountValue.objects.filter(account=account).exists()


def test_recompute_all_gives_every_account_a_value(org, account):
    other = make_account(org.rep_b)
    assert ltv.ltv_recompute_all() == 2
    assert AccountValue.objects.get(account=other).total == Decimal("0.00")


@pytest.fixture
def values(org):
    """rep_a owns two accounts (LTV 100 and 300 realised), rep_b one (50), rep_d one (70)."""
    made = {}
    for owner, amounts in (("rep_a", ["100", "300"]), ("rep_b", ["50"]), ("rep_d", ["70"])):
        for n, amount in enumerate(amounts):
            account = make_account(getattr(org, owner))
            contract = make_contract(account, amount=Decimal(amount), status="completed")
            make_payment(contract, amount)
            made[f"{owner}{n}"] = account
    ltv.ltv_recompute_all()
    return made


def _rows(user):
    return {r["owner"]: (r["accounts"], r["total"], r["average"]) for r in ltv.rep_ltv(user=user)}


def test_per_rep_total_and_average_ltv_through_visibility(org, values):
    everyone = {
        "Rep A": (2, Decimal("400.00"), Decimal("200.00")),
        "Rep B": (1, Decimal("50.00"), Decimal("50.00")),
        "Rep D": (1, Decimal("70.00"), Decimal("70.00")),
    }
    assert _rows(org.rep_a) == {"Rep A": everyone["Rep A"]}
    assert _rows(org.rep_c) == {}
    assert _rows(org.manager_east) == {k: everyone[k] for k in ("Rep A", "Rep B")}
    assert _rows(org.manager_south) == {"Rep D": everyone["Rep D"]}
    assert _rows(org.finance) == everyone
    assert _rows(org.director) == everyone


def test_api_account_ltv_is_visible_when_the_account_is(org, values):
    account = values["rep_a0"]
    url = f"/api/v1/accounts/{account.pk}/ltv"
    for name in ("rep_b", "rep_d", "manager_south", "manager_sh"):
        response = client_for(getattr(org, name)).get(url)
        assert response.status_code == 404, name
    for name in ("rep_a", "manager_east", "finance", "director"):
        response = client_for(getattr(org, name)).get(url)
        assert response.status_code == 200, name
        body = response.json()
        assert body["total"] == "100.00"
        assert body["consistent"] is True
        assert {row["name"]: row["value"] for row in body["inputs"]}["realised"] == "100.00"


def test_api_account_ltv_computes_a_missing_value_once(org):
    account = make_account(org.rep_a)
    response = client_for(org.rep_a).get(f"/api/v1/accounts/{account.pk}/ltv")
    assert response.status_code == 200
    assert response.json()["total"] == "0.00"
    assert AccountValue.objects.filter(account=account).count() == 1


def test_api_rep_ltv_lists_only_the_visible_reps(org, values):
    body = client_for(org.manager_south).get("/api/v1/ltv/reps").json()
    assert body == [
        {
            "owner_id": org.rep_d.pk,
            "owner": "Rep D",
            "accounts": 1,
            "total": "70.00",
            "average": "70.00",
        }
    ]
    assert len(client_for(org.finance).get("/api/v1/ltv/reps").json()) == 3


def test_api_formula_names_the_inputs(org):
    body = client_for(org.rep_a).get("/api/v1/ltv/formula").json()
    assert body["version"] == 0
    assert set(body["inputs"]) == set(ltv.INPUTS)


def test_an_admin_adds_a_formula_version_in_the_admin_and_a_bad_one_is_refused(client, org):
    org.admin.is_staff = True
    org.admin.is_superuser = True
    org.admin.save()
    client.force_login(org.admin)
    url = "/admin/reports/ltvformula/add/"
    refused = client.post(url, {"source": "realised + nope", "note": ""})
    assert refused.status_code == 200
    assert "Unknown name “nope”" in refused.content.decode()
    added = client.post(url, {"source": "realised * 2", "note": "double"})
    assert added.status_code == 302
    assert ltv.current_formula() == (1, "realised * 2")
