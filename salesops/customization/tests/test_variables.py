"""Rule conditions read custom fields as typed variables (``Entity.variables()``)."""

import datetime as dt
from decimal import Decimal

from salesops.core import entities, expressions
from salesops.customers.tests.factories import make_account, make_contact
from salesops.customization import services


def test_variables_include_typed_custom_values(org, define):
    define("budget", "money")
    define("headcount", "number")
    define("closing", "date")
    define("meeting", "datetime")
    define("vip", "boolean")
    define("tags", "multi_choice")
    define("temp", "choice")
    define("advisor", "user")
    define("remark", "text")
    account = make_account(
        org.rep_a,
        custom={
            "budget": "1200.5",
            "headcount": "30",
            "closing": "2026-03-31",
            "meeting": "2026-03-31 14:30",
            "vip": "yes",
            "tags": ["cold", "hot"],
            "temp": "warm",
            "advisor": org.rep_b.pk,
        },
    )
    values = entities.get("account").variables(account)
    assert values["budget"] == Decimal("1200.50")
    assert values["headcount"] == Decimal("30")
    assert values["closing"] == dt.date(2026, 3, 31)
    assert values["meeting"] == dt.datetime(2026, 3, 31, 6, 30, tzinfo=dt.UTC)
    assert values["vip"] is True
    assert values["tags"] == ["hot", "cold"]
    assert values["temp"] == "warm"
    assert values["advisor"] == org.rep_b.pk
    assert values["remark"] is None
    assert values["name"] == account.name  # model fields still there


def test_conditions_can_use_custom_fields(org, define):
    define("budget", "money")
    define("vip", "boolean")
    define("tags", "multi_choice")
    entity = entities.get("account")
    condition = expressions.compile_expression(
        'budget >= 1000 and vip and "hot" in tags', entity.variable_names()
    )
    big = make_account(org.rep_a, custom={"budget": "1000", "vip": True, "tags": ["hot"]})
    small = make_account(org.rep_a, custom={"budget": "999.99", "vip": True, "tags": ["hot"]})
    assert condition.evaluate(entity.variables(big)) is True
    assert condition.evaluate(entity.variables(small)) is False


def test_names_offer_active_fields_and_values_keep_switched_off_ones(org, define):
    define("budget", "money")
    old = define("legacy", "text")
    account = make_account(org.rep_a, custom={"legacy": "kept"})
    services.definition_deactivate(actor=org.admin, definition=old)
    entity = entities.get("account")
    assert "budget" in entity.variable_names()
    assert "legacy" not in entity.variable_names()
    # A rule written before the field was switched off still evaluates.
    assert entity.variables(account)["legacy"] == "kept"


def test_each_entity_sees_its_own_fields(org, define):
    define("budget", "money")
    define("hobby", "text", entity="contact")
    contact = make_contact(make_account(org.rep_a), custom={"hobby": "chess"})
    values = entities.get("contact").variables(contact)
    assert values["hobby"] == "chess" and "budget" not in values
    assert "hobby" not in entities.get("account").variable_names()


def test_a_sweep_batch_reads_the_definitions_once_and_a_page_always_fresh(
    org, define, django_assert_num_queries
):
    define("budget", "money")
    accounts = [make_account(org.rep_a, custom={"budget": str(n * 100)}) for n in range(1, 4)]
    entity = entities.get("account")
    # Inside a sweep's batch: one definitions query for all three records.
    with entities.variable_batch(), django_assert_num_queries(1):
        budgets = [entity.variables(a)["budget"] for a in accounts]
    assert budgets == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00")]
    # Outside a batch nothing is remembered: a definition added now is seen at once.
    define("region_code", "text")
    assert "region_code" in entity.variables(accounts[0])
