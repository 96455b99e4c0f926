"""Contracts, the payment plan, payments, invoices and milestones through the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops.notifications.models import Notification
from salesops.revenue import billing, selectors, services
from salesops.revenue.models import Contract, Instalment, Payment
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.revenue.weeks import parse_week


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- instalment maths -----------------------------------------------------------------------


def test_thirds_add_up_to_the_contract_amount_exactly():
    amounts = services.plan_amounts(Decimal("100.00"), [Decimal("33.33")] * 2 + [Decimal("33.34")])
    assert amounts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(amounts) == Decimal("100.00")


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=10**12),
    parts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12),
)
def test_any_plan_adds_up_to_the_amount(cents, parts):
    # given percentages (two places) that add up to 100
    total = sum(parts)
    percents = [(Decimal(p) * 100 / total).quantize(Decimal("0.01")) for p in parts]
    percents[-1] += Decimal("100") - sum(percents)
    amount = Decimal(cents) / 100
    # then the instalment amounts add up to the contract amount to the cent
    assert sum(services.plan_amounts(amount, percents)) == amount


def test_contract_plan_derives_amounts_and_first_payment_percent(org):
    contract = make_contract(owner=org.rep_a)
    plan = list(contract.instalments.order_by("sequence"))
    assert [i.amount for i in plan] == [
        Decimal("30000.00"),
        Decimal("60000.00"),
        Decimal("10000.00"),
    ]
    assert contract.first_payment_percent == Decimal("30.00")
    assert contract.owner == org.rep_a  # the account owner by default


def test_percentages_must_add_up_to_100(org):
    with pytest.raises(ValidationError) as excinfo:
        make_contract(
            owner=org.rep_a,
            instalments=[
                {"due_on": dt.date(2026, 4, 1), "percent": "30"},
                {"due_on": dt.date(2026, 5, 1), "percent": "60"},
            ],
        )
    assert "90" in errors_of(excinfo)["instalments"][0]
    assert Contract.objects.count() == 0


def test_instalments_out_of_date_order_are_named(org):
    with pytest.raises(ValidationError) as excinfo:
        make_contract(
            owner=org.rep_a,
            instalments=[
                {"due_on": dt.date(2026, 6, 1), "percent": "50"},
                {"due_on": dt.date(2026, 5, 1), "percent": "50"},
            ],
        )
    assert "instalments.1.due_on" in errors_of(excinfo)


def test_changing_the_amount_rederives_the_plan(org):
    contract = make_contract(owner=org.rep_a)
    services.contract_update(actor=org.rep_a, contract=contract, amount=Decimal("200000"))
    assert [i.amount for i in contract.instalments.order_by("sequence")] == [
        Decimal("60000.00"),
        Decimal("120000.00"),
        Decimal("20000.00"),
    ]


def test_replacing_the_plan_keeps_payment_links(org):
    contract = make_contract(owner=org.rep_a)
    first = contract.instalments.get(sequence=1)
    payment = make_payment(contract, instalment=first)
    services.contract_update(
        actor=org.rep_a,
        contract=contract,
        instalments=[
            {"due_on": dt.date(2026, 3, 16), "percent": "50"},
            {"due_on": dt.date(2026, 9, 30), "percent": "50"},
        ],
    )
    payment.refresh_from_db()
    assert payment.instalment_id == first.pk
    assert Instalment.objects.filter(contract=contract).count() == 2


# --- contract validation --------------------------------------------------------------------


def test_bad_contract_reports_every_field_at_once(org):
    with pytest.raises(ValidationError) as excinfo:
        make_contract(
            owner=org.rep_a,
            amount=Decimal("-5"),
            start_on=dt.date(2026, 5, 1),
            end_on=dt.date(2026, 4, 1),
            has_custom_service=True,
            instalments=[],
        )
    assert {"amount", "end_on", "custom_service_annex"} <= set(errors_of(excinfo))


def test_duplicate_contract_number_is_refused(org):
    make_contract(owner=org.rep_a, number="HT-1")
    with pytest.raises(ValidationError) as excinfo:
        make_contract(owner=org.rep_b, number="HT-1")
    assert "number" in errors_of(excinfo)


def test_contract_signed_event_fires_once_after_commit(
    org, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract = make_contract(owner=org.rep_a, status="draft", signed_on=None)
    assert [n for n, _ in seen] == ["contract.created"]
    with django_capture_on_commit_callbacks(execute=True):
        services.contract_update(
            actor=org.rep_a, contract=contract, status="signed", signed_on=dt.date(2026, 3, 2)
        )
        services.contract_update(actor=org.rep_a, contract=contract, status="active")
    names = [n for n, _ in seen]
    assert names.count("contract.signed") == 1
    # and the history names who changed it
    assert contract.history.first().history_user == org.rep_a


def test_an_update_that_changes_nothing_writes_nothing(
    org, seen, django_capture_on_commit_callbacks
):
    contract = make_contract(owner=org.rep_a)
    rows = contract.history.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.contract_update(actor=org.rep_a, contract=contract, amount=Decimal("100000"))
    assert contract.history.count() == rows
    assert seen == []


# --- payments -------------------------------------------------------------------------------


def test_payment_settles_instalments_and_overdue_is_derived(org):
    contract = make_contract(owner=org.rep_a)
    make_payment(contract, "30000.00")
    summary = selectors.contract_summary(Contract.objects.get(pk=contract.pk))
    assert summary["paid"] == Decimal("30000.00")
    assert summary["remaining"] == Decimal("70000.00")
    # today is 2026-07-15: the 2nd instalment (due 06-30) is overdue, the 3rd still due
    assert [s.state for s in summary["instalments"]] == ["paid", "overdue", "due"]


def test_payment_over_the_remaining_amount_is_flagged_and_the_owner_told(
    org, django_capture_on_commit_callbacks
):
    contract = make_contract(owner=org.rep_a, amount=Decimal("1000"), instalments=[])
    make_payment(contract, "800.00")
    with django_capture_on_commit_callbacks(execute=True):
        payment = make_payment(contract, "300.00", actor=org.finance)
    assert payment.flagged
    assert "¥200.00" in payment.flag_reason
    note = Notification.objects.get(recipient=org.rep_a, kind="revenue.payment_flagged")
    assert contract.number in note.title


def test_payment_over_the_contract_can_be_refused_by_setting(org):
    from salesops.revenue.policy import policy_update

    policy_update(actor=org.admin, payment_over_contract="reject")
    contract = make_contract(owner=org.rep_a, amount=Decimal("1000"), instalments=[])
    with pytest.raises(ValidationError) as excinfo:
        make_payment(contract, "1000.01")
    assert "amount" in errors_of(excinfo)
    assert Payment.objects.count() == 0


def test_bad_payment_names_its_fields(org):
    contract = make_contract(owner=org.rep_a)
    other = make_contract(owner=org.rep_a)
    with pytest.raises(ValidationError) as excinfo:
        make_payment(
            contract,
            "-1",
            received_on=dt.date(2026, 3, 1),
            instalment=other.instalments.first(),
        )
    assert {"amount", "instalment"} <= set(errors_of(excinfo))
    with pytest.raises(ValidationError) as excinfo:
        make_payment(contract, "10", received_on=dt.date(2026, 3, 1))
    assert "received_on" in errors_of(excinfo)  # before the contract was signed
    with pytest.raises(ValidationError) as excinfo:
        make_payment(contract, "10", received_on=dt.date(2026, 8, 1))
    assert "received_on" in errors_of(excinfo)  # in the future


def test_payment_received_event(org, seen, django_capture_on_commit_callbacks):
    contract = make_contract(owner=org.rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        payment = make_payment(contract)
    received = [p for n, p in seen if n == "payment.received"]
    assert received == [
        {
            "id": payment.pk,
            "contract_id": contract.pk,
            "account_id": contract.account_id,
            "amount": "30000.00",
            "flagged": False,
            "actor_id": org.rep_a.pk,
            "event_id": received[0]["event_id"],
        }
    ]


def test_invoice_number_is_unique(org):
    contract = make_contract(owner=org.rep_a)
    billing.invoice_create(
        actor=org.finance,
        contract=contract,
        number="F1",
        amount=Decimal("10"),
        issued_on=dt.date(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        billing.invoice_create(
            actor=org.finance,
            contract=contract,
            number="F1",
            amount=Decimal("0"),
            issued_on=dt.date(2026, 4, 1),
        )
    assert {"number", "amount"} <= set(errors_of(excinfo))


# --- delivery milestones --------------------------------------------------------------------


@pytest.mark.parametrize("week", ["2026-W49", "2026-W53", "2020-W53"])
def test_iso_weeks_accepted(week):
    assert parse_week(week)


@pytest.mark.parametrize("week", ["2025-W53", "2026-49", "2026-W00", "W49", "2026-W7"])
def test_iso_weeks_refused(week):
    with pytest.raises(ValidationError):
        parse_week(week)


def test_milestones_nested_in_a_contract_and_completion_event(
    org, seen, django_capture_on_commit_callbacks
):
    contract = make_contract(
        owner=org.rep_a,
        milestones=[
            {"name": "Kick-off", "planned_week": "2026-W12"},
            {"name": "Go-live", "planned_week": "2026-W40"},
        ],
    )
    kick_off = contract.deliveries.get(sequence=1)
    assert kick_off.is_late  # planned week 12, not done, today is week 29
    with pytest.raises(ValidationError) as excinfo:
        services.delivery_update(actor=org.rep_a, delivery=kick_off, status="done")
    assert "actual_week" in errors_of(excinfo)
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_update(
            actor=org.rep_a, delivery=kick_off, status="done", actual_week="2026-W13"
        )
    assert "delivery.completed" in [n for n, _ in seen]


def test_bad_week_in_a_nested_milestone_is_named(org):
    with pytest.raises(ValidationError) as excinfo:
        make_contract(owner=org.rep_a, milestones=[{"name": "Go-live", "planned_week": "2026-13"}])
    assert "milestones.0.planned_week" in errors_of(excinfo)
    assert Contract.objects.count() == 0
