"""The healthy-deal report page and its export, per role; the checks kept fresh by the
events of what they read (sweep, policy change, command); the contract↔deal link page
and the contract API's ``deal_id`` with bad input. Django's test client, real services."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from salesops.activities import services as activity_services
from salesops.activities.tests.factories import ResultTagFactory
from salesops.core import sweeps
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account, make_contact
from salesops.org.services import api_token_create
from salesops.pipeline import health
from salesops.pipeline.models import Deal, PipelinePolicy
from salesops.pipeline.tests.factories import make_deal
from salesops.reports import deal_health
from salesops.revenue.models import Contract
from salesops.revenue.tests.conftest import TODAY
from salesops.revenue.tests.factories import make_contract, make_payment

pytestmark = pytest.mark.django_db

REPORT = "/reports/deal-health/"
ROW_RE = re.compile(r'data-testid="deal-health-row" data-id="(\d+)"')
API = "/api/v1"
REPS = ("rep_a", "rep_b", "rep_c", "rep_d")


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def row_ids(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {int(pk) for pk in ROW_RE.findall(response.content.decode())}


@pytest.fixture
def deals(org):
    """One deal per rep; rep_a's covers only a purchaser."""
    made = {}
    for name in REPS:
        owner = getattr(org, name)
        account = make_account(owner, name=f"{name} 客户")
        contacts = [make_contact(account, decision_role="purchaser")] if name == "rep_a" else []
        made[name] = make_deal(owner=owner, account=account, contacts=contacts, name=f"{name} deal")
    return made


# --- the report page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("rep_a", {"rep_a"}),
        ("rep_b", {"rep_b"}),
        ("manager_east", {"rep_a", "rep_b", "rep_c"}),
        ("manager_sh", {"rep_c"}),
        ("manager_south", {"rep_d"}),
        ("director", set(REPS)),
        ("admin", set(REPS)),
        ("finance", set(REPS)),
        ("cs", set()),  # no deal is on an account in their book
    ],
)
def test_the_report_shows_the_deals_each_role_may_see(org, deals, role, sees):
    response = page_client(getattr(org, role)).get(REPORT)
    assert row_ids(response) == {deals[name].pk for name in sees}


def test_customer_success_sees_the_deals_of_their_book(org, deals):
    account = make_account(org.rep_d, success_owner=org.cs)
    deal = make_deal(owner=org.rep_d, account=account)
    assert row_ids(page_client(org.cs).get(REPORT)) == {deal.pk}


def test_a_deal_never_checked_is_checked_when_shown_with_its_signals(org, deals):
    response = page_client(org.rep_a).get(REPORT)
    body = response.content.decode()
    assert "Only Purchaser contacted" in body
    assert "Customer success not involved" in body
    assert "0/5" in body
    deal = Deal.objects.get(pk=deals["rep_a"].pk)
    assert deal.health_passed == 0 and deal.health_checked_at is not None


def test_filters_by_failing_criterion_team_rep_and_pipeline(org, deals):
    deal_health.recompute(Deal.objects.all())
    client = page_client(org.director)
    # rep_a's single purchaser fails roles like the others' empty chains.
    assert row_ids(client.get(REPORT, {"failing": "roles"})) == {d.pk for d in deals.values()}
    # Nothing has a contract: no deal fails the clause criterion (not yet applicable).
    assert row_ids(client.get(REPORT, {"failing": "custom_service"})) == set()
    assert row_ids(client.get(REPORT, {"team": org.east.pk})) == {
        deals[n].pk for n in ("rep_a", "rep_b", "rep_c")
    }
    assert row_ids(client.get(REPORT, {"owner": org.rep_d.pk})) == {deals["rep_d"].pk}
    pipeline = deals["rep_a"].pipeline_id
    assert len(row_ids(client.get(REPORT, {"pipeline": pipeline}))) == 4
    assert row_ids(client.get(REPORT, {"pipeline": pipeline + 999})) == set()


def test_a_bad_filter_says_which_and_shows_nothing(org, deals):
    response = page_client(org.director).get(REPORT, {"failing": "nonsense"})
    assert response.status_code == 200
    assert row_ids(response) == set()
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_the_export_holds_the_filtered_visible_rows_with_signals(org, deals):
    deal_health.recompute(Deal.objects.all())
    response = page_client(org.rep_a).get(REPORT + "export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # the header and rep_a's deal only
    assert rows[1][0] == "rep_a deal"
    assert "failed: Only Purchaser contacted" in rows[1]
    assert "not yet applicable" in rows[1]


def test_the_report_url_is_named(org):
    assert reverse("reports:deal_health") == REPORT


# --- kept fresh -----------------------------------------------------------------------------


def test_a_payment_recorded_marks_the_deal_stale_and_the_sweep_rechecks_it(
    org, django_capture_on_commit_callbacks
):
    deal = make_deal(owner=org.rep_a, account=make_account(org.rep_a))
    contract = make_contract(deal.account, deal=deal)
    deal_health.recompute([deal])
    deal.refresh_from_db()
    assert deal.health["criteria"][health.position("first_payment")]["passed"] is False
    with django_capture_on_commit_callbacks(execute=True):
        make_payment(contract, "30000.00", actor=org.finance, received_on=dt.date(2026, 3, 16))
    deal.refresh_from_db()
    assert deal.health_checked_at is None  # queued, not computed in the writer's request
    summary = dict(sweeps.run_all())[deal_health.SWEEP_NAME]
    assert summary == "checked 1 deal(s)"
    deal.refresh_from_db()
    assert deal.health["criteria"][health.position("first_payment")]["passed"] is True


def test_a_policy_change_makes_every_check_stale(org, deals):
    deal_health.recompute(Deal.objects.all())
    assert list(health.stale_deals(100)) == []
    with time_machine.travel(TODAY + dt.timedelta(hours=1), tick=False):
        policy = PipelinePolicy.current()
        policy.health_min_roles = 1
        policy.save()  # stamped now, after the checks
        assert len(health.stale_deals(100)) == 4
        deal_health.recompute_stale()
        assert list(health.stale_deals(100)) == []
    assert Deal.objects.get(pk=deals["rep_a"].pk).health_passed == 1  # one role is enough now


def test_the_command_rechecks_every_deal(org, deals):
    out = io.StringIO()
    call_command("deal_health", stdout=out)
    assert out.getvalue().strip() == "checked 4 deal(s)"
    assert not Deal.objects.filter(health_checked_at=None).exists()
    out = io.StringIO()
    call_command("deal_health", deal=deals["rep_a"].pk, stdout=out)
    assert out.getvalue().strip() == f"deal {deals['rep_a'].pk}: 0/5"


# --- linking a contract to its deal: the page -----------------------------------------------


@pytest.fixture
def contract(org, deals):
    return make_contract(deals["rep_a"].account, milestones=[])


def link_url(contract) -> str:
    return reverse("revenue:contract_deal", args=[contract.pk])


def test_the_owner_links_the_contract_to_a_deal_of_its_account(org, deals, contract):
    other = make_deal(owner=org.rep_a, account=make_account(org.rep_a), name="elsewhere")
    client = page_client(org.rep_a)
    page = client.get(link_url(contract))
    assert page.status_code == 200
    body = page.content.decode()
    assert "rep_a deal" in body and other.name not in body  # only the contract's account
    form = {"deal": deals["rep_a"].pk, "version": page.context["form"]["version"].value()}
    response = client.post(link_url(contract), form)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.deal_id == deals["rep_a"].pk
    detail = client.get(contract.get_absolute_url()).content.decode()
    assert 'data-testid="deal"' in detail and "rep_a deal" in detail


def test_a_deal_of_another_account_is_refused_with_the_reason(org, deals, contract):
    other = make_deal(owner=org.rep_a, account=make_account(org.rep_a, name="别家"), name="别家单")
    client = page_client(org.rep_a)
    response = client.post(link_url(contract), {"deal": other.pk})
    assert response.status_code == 422
    assert "belongs to another account (别家)" in response.content.decode()
    contract.refresh_from_db()
    assert contract.deal_id is None


def test_another_reps_deal_is_refused_as_not_seen(org, deals, contract):
    theirs = make_deal(
        owner=org.rep_b, account=contract.account, actor=org.manager_east, name="rep_b 的单"
    )
    client = page_client(org.rep_a)
    assert theirs.name not in client.get(link_url(contract)).content.decode()
    response = client.post(link_url(contract), {"deal": theirs.pk})
    assert response.status_code == 422
    assert "No deal with this id that you can see." in response.content.decode()
    contract.refresh_from_db()
    assert contract.deal_id is None


@pytest.mark.parametrize("value", ["abc", str(2**70), "-1"])
def test_a_malformed_deal_on_the_page_is_refused(org, deals, contract, value):
    response = page_client(org.rep_a).post(link_url(contract), {"deal": value})
    assert response.status_code == 422
    assert 'data-testid="error-deal"' in response.content.decode()
    contract.refresh_from_db()
    assert contract.deal_id is None


def test_the_link_page_follows_the_contracts_visibility(org, contract):
    assert page_client(org.rep_b).get(link_url(contract)).status_code == 404
    assert page_client(org.finance).get(link_url(contract)).status_code == 403
    assert page_client(org.manager_east).get(link_url(contract)).status_code == 200


# --- linking over the API -------------------------------------------------------------------


def patch(client, contract, body):
    return client.patch(
        f"{API}/contracts/{contract.pk}", data=body, content_type="application/json"
    )


def test_the_api_reads_and_writes_deal_id(org, deals, contract):
    client = api_client(org.rep_a)
    assert client.get(f"{API}/contracts/{contract.pk}").json()["deal_id"] is None
    response = patch(client, contract, {"deal_id": deals["rep_a"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["deal_id"] == deals["rep_a"].pk
    assert client.get(f"{API}/contracts/{contract.pk}?").json()["deal_id"] == deals["rep_a"].pk
    assert patch(client, contract, {"deal_id": None}).json()["deal_id"] is None


@pytest.mark.parametrize("case", ["other_account", "other_rep", "missing", "huge"])
def test_the_api_refuses_a_bad_deal_id_with_a_message(org, deals, contract, case):
    if case == "other_account":
        deal_id = make_deal(owner=org.rep_a, account=make_account(org.rep_a)).pk
        expected = "belongs to another account"
    elif case == "other_rep":
        deal_id = make_deal(owner=org.rep_b, account=contract.account, actor=org.manager_east).pk
        expected = "No deal with this id that you can see."
    elif case == "missing":
        deal_id = 999999
        expected = "No deal with this id that you can see."
    else:
        deal_id = 2**70
        expected = ""
    response = patch(api_client(org.rep_a), contract, {"deal_id": deal_id})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "deal_id" and expected in body["message"]
    assert Contract.objects.get(pk=contract.pk).deal_id is None


def test_creating_a_contract_with_a_deal_id(org, deals):
    body = {
        "number": "HT-DEAL-1",
        "account_id": deals["rep_a"].account_id,
        "amount": "50000.00",
        "deal_id": deals["rep_a"].pk,
    }
    response = api_client(org.rep_a).post(
        f"{API}/contracts", data=body, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["deal_id"] == deals["rep_a"].pk
    body.update(number="HT-DEAL-2", deal_id=deals["rep_b"].pk)
    refused = api_client(org.rep_a).post(
        f"{API}/contracts", data=body, content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["field"] == "deal_id"
    assert not Contract.objects.filter(number="HT-DEAL-2").exists()


def test_a_linked_contract_feeds_the_check(
    org, deals, contract, django_capture_on_commit_callbacks
):
    deal = deals["rep_a"]
    deal_health.recompute([deal])
    with django_capture_on_commit_callbacks(execute=True):
        patch(api_client(org.rep_a), contract, {"deal_id": deal.pk})
    deal.refresh_from_db()
    assert deal.health_checked_at is None
    deal_health.recompute_stale()
    deal.refresh_from_db()
    row = deal.health["criteria"][health.position("implementation")]
    assert row["passed"] is False and row["signal"] == "No implementation date"


# --- what marks a check stale ---------------------------------------------------------------


@pytest.fixture
def checked(org):
    """rep_a's deal with a purchaser and a user in its chain, checked, nothing stale."""
    account = make_account(org.rep_a)
    contacts = [make_contact(account, decision_role=r) for r in ("purchaser", "user")]
    deal = make_deal(owner=org.rep_a, account=account, contacts=contacts)
    other = make_deal(owner=org.rep_b, account=make_account(org.rep_b))
    deal_health.recompute([deal, other])
    return deal, other


def stale_ids() -> set[int]:
    return set(Deal.objects.filter(health_checked_at=None).values_list("pk", flat=True))


def test_a_contacts_new_decision_role_marks_the_deals_naming_them(
    org, checked, django_capture_on_commit_callbacks
):
    deal, _other = checked
    contact = deal.contacts.get(decision_role="user")
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.contact_update(actor=org.rep_a, contact=contact, decision_role="it_lead")
    assert stale_ids() == {deal.pk}
    deal_health.recompute_stale()
    deal.refresh_from_db()
    assert deal.health["criteria"][0]["value"].startswith("2: ")


def test_an_assigned_cs_manager_marks_the_accounts_deals(
    org, checked, django_capture_on_commit_callbacks
):
    deal, _other = checked
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.account_update(
            actor=org.rep_a, account=deal.account, success_owner=org.cs
        )
    assert stale_ids() == {deal.pk}
    deal_health.recompute_stale()
    deal.refresh_from_db()
    assert deal.health["criteria"][health.position("success")]["passed"] is True


def test_an_activity_on_the_account_marks_its_deals_and_nothing_else(
    org, checked, django_capture_on_commit_callbacks
):
    deal, _other = checked
    with django_capture_on_commit_callbacks(execute=True):
        activity_services.activity_log(
            actor=org.rep_a, kind="call", account=deal.account, tag=ResultTagFactory()
        )
    assert stale_ids() == {deal.pk}


def test_a_lost_deal_is_not_queued(org, checked, django_capture_on_commit_callbacks):
    deal, _other = checked
    Deal.objects.filter(pk=deal.pk).update(status="lost")
    with django_capture_on_commit_callbacks(execute=True):
        make_contract(deal.account)
    assert stale_ids() == set()


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [("rep_a", {"rep_a"}), ("manager_east", {"rep_a", "rep_b", "rep_c"}), ("director", set(REPS))],
)
def test_the_api_lists_the_deals_each_role_may_see(org, deals, role, sees):
    deal_health.recompute(Deal.objects.all())
    body = api_client(getattr(org, role)).get(f"{API}/deal-health").json()
    assert {row["id"] for row in body["results"]} == {deals[n].pk for n in sees}
    assert body["count"] == len(sees)
    row = (
        next(r for r in body["results"] if r["id"] == deals["rep_a"].pk)
        if "rep_a" in sees
        else None
    )
    if row is not None:
        assert row["health"]["total"] == 5
        roles = row["health"]["criteria"][0]
        assert roles["passed"] is False and roles["signal"] == "Only Purchaser contacted"


def test_the_api_filters_and_refuses_a_bad_filter(org, deals):
    deal_health.recompute(Deal.objects.all())
    client = api_client(org.director)
    body = client.get(f"{API}/deal-health", {"failing": "custom_service"}).json()
    assert body["count"] == 0
    bad = client.get(f"{API}/deal-health", {"failing": "nonsense"})
    assert bad.status_code == 422 and bad.json()["field"] == "failing"


def test_one_deals_check_over_the_api_follows_its_visibility(org, deals):
    url = f"{API}/deals/{deals['rep_a'].pk}/health"
    response = api_client(org.rep_a).get(url)
    assert response.status_code == 200
    assert response.json()["criteria"][0]["code"] == "roles"
    assert api_client(org.rep_b).get(url).status_code == 404
