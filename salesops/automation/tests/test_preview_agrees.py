""" "Try it on record #N" and the live engine decide alike on the same record: both build
the condition's variables with ``context.variables_for``. The preview once said
"condition false" for an activity whose ``tag`` the event carried: it read the event's
fields as empty, the engine read them from the payload."""

import datetime as dt

import pytest

from salesops.activities import services as activity_services
from salesops.activities.models import ResultTag
from salesops.automation import services
from salesops.automation.models import RuleFiring
from salesops.core import clock
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account
from salesops.customization.tests.factories import make_definition

from .conftest import make_rule

pytestmark = pytest.mark.django_db

NOTIFY = [{"kind": "notify", "to": ["owner"], "title": "{rule}"}]


def preview_says(org, rule, record) -> bool:
    answer = services.rule_preview(actor=org.admin, rule=rule, object_id=record.pk)
    assert not answer["error"], answer["error"]
    return answer["would_fire"]


def engine_fired(rule, record) -> bool:
    return RuleFiring.objects.filter(rule=rule, object_id=record.pk, status="done").exists()


def log_call(owner, account, tag_code: str):
    return activity_services.activity_log(
        actor=owner, kind="call", account=account, tag=tag_code, duration_seconds=90
    )


def test_a_condition_on_the_checkin_tag(org, sent, django_capture_on_commit_callbacks):
    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "activity.logged"},
        condition="tag == 'price_sensitive'",
        actions=NOTIFY,
    )
    account = make_account(org.rep_a)
    other = ResultTag.objects.filter(is_active=True).exclude(code="price_sensitive").first()
    with django_capture_on_commit_callbacks(execute=True):
        price = log_call(org.rep_a, account, "price_sensitive")
        plain = log_call(org.rep_a, account, other.code)
    assert (preview_says(org, rule, price), engine_fired(rule, price)) == (True, True)
    assert (preview_says(org, rule, plain), engine_fired(rule, plain)) == (False, False)


def test_a_condition_on_a_custom_field(org, sent, django_capture_on_commit_callbacks):
    make_definition(org.admin, key="budget", type="money")
    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.updated"},
        condition="budget > 100000",
        actions=NOTIFY,
    )
    big, small = make_account(org.rep_a), make_account(org.rep_b)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.account_update(actor=org.rep_a, account=big, custom={"budget": "200000"})
        customer_services.account_update(actor=org.rep_b, account=small, custom={"budget": "5000"})
    assert (preview_says(org, rule, big), engine_fired(rule, big)) == (True, True)
    assert (preview_says(org, rule, small), engine_fired(rule, small)) == (False, False)


def test_a_condition_on_the_owner(org, sent, django_capture_on_commit_callbacks):
    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.created"},
        condition=f"owner_id == {org.rep_a.pk}",
        actions=NOTIFY,
    )
    with django_capture_on_commit_callbacks(execute=True):
        mine, theirs = make_account(org.rep_a), make_account(org.rep_b)
    assert (preview_says(org, rule, mine), engine_fired(rule, mine)) == (True, True)
    assert (preview_says(org, rule, theirs), engine_fired(rule, theirs)) == (False, False)


def test_date_arithmetic(org, sent, django_capture_on_commit_callbacks):
    make_definition(org.admin, key="renewal_on", type="date")
    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.updated"},
        condition="days_between(today, renewal_on) <= 30",
        actions=NOTIFY,
    )
    today = clock.localnow().date()
    soon, later = make_account(org.rep_a), make_account(org.rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.account_update(
            actor=org.rep_a,
            account=soon,
            custom={"renewal_on": (today + dt.timedelta(days=10)).isoformat()},
        )
        customer_services.account_update(
            actor=org.rep_a,
            account=later,
            custom={"renewal_on": (today + dt.timedelta(days=90)).isoformat()},
        )
    assert (preview_says(org, rule, soon), engine_fired(rule, soon)) == (True, True)
    assert (preview_says(org, rule, later), engine_fired(rule, later)) == (False, False)


def test_a_timer_condition_reads_the_same_level(org, sent):
    rule = make_rule(
        org.admin,
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 1, "unit": "calendar"},
        condition="timer_level == 0 and level == 'A'",
        actions=NOTIFY,
    )
    account = make_account(org.rep_a, level="A")
    answer = services.rule_preview(actor=org.admin, rule=rule, object_id=account.pk, level=0)
    assert answer["would_fire"] is True


def test_days_between_counts_local_days():
    from salesops.core.expressions import evaluate

    late_evening_utc = dt.datetime(2026, 11, 22, 17, 0, tzinfo=dt.UTC)  # 23 Nov 01:00 in Shanghai
    values = {"a": late_evening_utc, "b": dt.date(2026, 11, 25), "none": None}
    assert evaluate("days_between(a, b)", values) == 2
    assert evaluate("days_between(b, '2026-11-20')", values) == -5
    assert evaluate("days_between(none, b)", values) is None


def test_an_activity_reads_its_tag_by_code(org):
    from salesops.core import entities

    account = make_account(org.rep_a)
    activity = log_call(org.rep_a, account, "price_sensitive")
    variables = entities.get("activity").variables(activity)
    assert variables["tag"] == "price_sensitive" and variables["tag_id"] == activity.tag_id
    assert "tag" in entities.get("activity").variable_names()
