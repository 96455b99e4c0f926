"""Timer rules and records written with their start already behind the sweep's watermark
(issue 11, item 12): a task created overdue, a start moved into the past, a payment the
finance feed brings with last week's date, a row stamped before a sweep but committed
after it. Each fires exactly once, like an identical record that existed earlier.

Run on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…/salesops_rules``)."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from salesops.automation.models import RuleFiring
from salesops.core import clock
from salesops.customers.models import Account
from salesops.customers.tests.factories import credit_code, make_account
from salesops.integrations import feed
from salesops.revenue.models import Payment
from salesops.todos import services as task_services

from .conftest import at, make_rule, tick

pytestmark = pytest.mark.django_db(transaction=False)

DAY = "2026-11-23"


def overdue_rule(org, minutes=30):
    """ "Tell the assignee 30 minutes after a task's due time" (calendar minutes)."""
    return make_rule(
        org.admin,
        when=at(DAY, "09:00"),
        trigger_type="timer",
        entity="task",
        trigger={"field": "due_at", "minutes": minutes, "unit": "calendar"},
        actions=[{"kind": "notify", "to": ["owner"], "title": "{title} is overdue"}],
    )


def task_at(moment, org, title, due):
    with clock.frozen(moment):
        return task_services.task_create(
            actor=org.rep_a, assignee=org.rep_a, title=title, due_at=due
        )


def fired_for(obj) -> list[str]:
    return list(
        RuleFiring.objects.filter(object_id=obj.pk).order_by("pk").values_list("key", flat=True)
    )


def test_a_task_created_overdue_fires_once_like_one_that_existed(org, sent):
    rule = overdue_rule(org)
    # given a task that existed before the sweep and fell due normally
    before = task_at(at(DAY, "09:05"), org, "existing", at(DAY, "09:20"))
    tick(at(DAY, "10:00"))  # cutoff 09:30: "existing" (due 09:20 + 30 min) fires
    assert len(fired_for(before)) == 1
    # when a task is created at 10:10 already overdue (due 09:00, behind the cutoff)
    late = task_at(at(DAY, "10:10"), org, "backdated", at(DAY, "09:00"))
    output = tick(at(DAY, "10:11"))
    # then the next sweep fires it, once
    assert len(fired_for(late)) == 1
    assert "1 due, 1 firing(s)" in output
    # and later sweeps (including the same instant again) fire nothing more
    for moment in ("10:11", "10:12", "10:20", "12:00"):
        tick(at(DAY, moment))
    assert RuleFiring.objects.filter(rule=rule).count() == 2
    assert [i["title"] for i in sent] == ["existing is overdue", "backdated is overdue"]


def test_a_start_moved_into_the_past_fires_for_the_new_start(org, sent):
    overdue_rule(org)
    task = task_at(at(DAY, "09:30"), org, "moved", at("2026-11-24", "10:00"))
    tick(at(DAY, "10:00"))
    assert fired_for(task) == []
    # when its due time is changed at 10:20 to 09:00 today (already past the cutoff)
    with clock.frozen(at(DAY, "10:20")):
        task_services.task_update(actor=org.rep_a, task=task, due_at=at(DAY, "09:00"))
    tick(at(DAY, "10:21"))
    # then it fires once, keyed by the new start
    assert fired_for(task) == ["timer:level:0:20261123T010000"]
    # and another change that leaves the start alone fires nothing more
    with clock.frozen(at(DAY, "10:30")):
        task_services.task_update(actor=org.rep_a, task=task, title="moved, renamed")
    for moment in ("10:31", "10:40", "11:00"):
        tick(at(DAY, moment))
    assert len(fired_for(task)) == 1
    assert len(sent) == 1


def test_a_record_stamped_before_a_sweep_but_written_after_it(org, sent):
    # given sweeps at 10:00 and 10:01 (cutoffs 09:30 and 09:31)
    overdue_rule(org)
    tick(at(DAY, "10:00"))
    tick(at(DAY, "10:01"))
    # when two tasks arrive that a long transaction stamped at 10:00:30/10:00:40, i.e.
    # before the 10:01 sweep, but which that sweep could not see: one due long ago, one
    # whose due time (09:30:20) lies inside the window the 10:01 sweep already read
    old = task_at(at(DAY, "10:00") + dt.timedelta(seconds=30), org, "old", at(DAY, "08:00"))
    inside = task_at(
        at(DAY, "10:00") + dt.timedelta(seconds=40),
        org,
        "inside",
        at(DAY, "09:30") + dt.timedelta(seconds=20),
    )
    tick(at(DAY, "10:02"))
    # then the next sweep fires both, once
    assert len(fired_for(old)) == 1
    assert len(fired_for(inside)) == 1
    for moment in ("10:03", "10:06", "10:30"):
        tick(at(DAY, moment))
    assert RuleFiring.objects.count() == 2
    assert sorted(i["title"] for i in sent) == ["inside is overdue", "old is overdue"]


def test_written_before_the_rule_was_switched_on_is_not_replayed(org, sent):
    # a backdated task written before the rule existed is the past: not replayed
    task_at(at(DAY, "08:00"), org, "before the rule", at(DAY, "07:00"))
    overdue_rule(org)
    for moment in ("09:01", "10:00", "12:00"):
        tick(at(DAY, moment))
    assert not RuleFiring.objects.exists()


def test_a_payment_the_feed_brings_with_a_past_date_fires_once(org, sent):
    # given "1 hour after a payment is received" and a sweep at 10:00
    rule = make_rule(
        org.admin,
        when=at(DAY, "09:00"),
        trigger_type="timer",
        entity="payment",
        trigger={"field": "received_on", "minutes": 60, "unit": "calendar"},
        actions=[{"kind": "notify", "to": ["owner"], "title": "payment {amount}"}],
    )
    account = make_account(org.rep_a, credit_code=credit_code())
    Account.objects.filter(pk=account.pk).update(external_id="CUST-B")
    tick(at(DAY, "10:00"))
    # when the ERP sends at 10:10 a contract and a payment received last Friday
    records = [
        {
            "kind": "contract",
            "external_id": "K-B",
            "data": {
                "account_external_id": "CUST-B",
                "number": "HT-B-001",
                "amount": "1000.00",
                "status": "signed",
                "signed_on": "2026-11-02",
            },
        },
        {
            "kind": "payment",
            "external_id": "P-B",
            "data": {
                "contract_external_id": "K-B",
                "amount": "300.00",
                "received_on": "2026-11-20",
                "method": "bank_transfer",
            },
        },
    ]
    with clock.frozen(at(DAY, "10:10")):
        result = feed.process(actor=org.finance, records=records, source="kingdee")
    assert [r["status"] for r in result["results"]] == ["created", "created"], result
    payment = Payment.objects.get(external_id="P-B")
    tick(at(DAY, "10:11"))
    # then the payment fires once, keyed by midnight of its date in Shanghai
    assert fired_for(payment) == ["timer:level:0:20261119T160000"]
    tick(at(DAY, "10:12"))
    tick(at(DAY, "11:00"))
    assert RuleFiring.objects.filter(rule=rule).count() == 1


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (two writers)")
def test_a_backdated_task_committed_while_a_sweep_runs(transactional_db, org, sent):
    # given a sweep at 10:00 (cutoff 09:30)
    overdue_rule(org)
    tick(at(DAY, "10:00"))
    written, swept = threading.Event(), threading.Event()
    errors: list = []

    def writer():
        # another connection writes an overdue task and commits only after the sweep read
        try:
            with transaction.atomic():
                task_at(at(DAY, "10:00") + dt.timedelta(seconds=50), org, "slow", at(DAY, "08:00"))
                written.set()
                assert swept.wait(timeout=60)
        except Exception as exc:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(exc)
        finally:
            written.set()
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(timeout=60)
    # when the 10:01 sweep runs while the task is not committed yet
    tick(at(DAY, "10:01"))
    assert not RuleFiring.objects.exists()
    swept.set()
    thread.join(timeout=60)
    assert not errors, errors
    # then the next sweep fires it, once
    tick(at(DAY, "10:02"))
    tick(at(DAY, "10:03"))
    assert list(RuleFiring.objects.values_list("key", flat=True)) == [
        "timer:level:0:20261123T000000"
    ]
    assert [i["title"] for i in sent] == ["slow is overdue"]
