"""core.unitofwork: queued new rows are written as a save would write them, with their
history, their ids known in advance and their events only after the commit."""

import pytest
from django.db import transaction

from salesops.core import events, unitofwork
from salesops.customers.models import Account, Contact
from salesops.customers.tests.factories import make_account

HISTORY_OWN = ("history_id", "history_date", "id", "created_at", "updated_at", "name", "phone")


def history_values(contact):
    row = contact.history.get()
    return {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if f.attname not in HISTORY_OWN
    }


def queue(contact, actor, reason="created"):
    assert unitofwork.save_new(contact, actor, reason)


def test_queued_rows_are_written_like_a_save_with_their_history(org):
    account = make_account(org.rep_a)
    saved = Contact(account=account, name="张三", phone="+8613800138000", created_by=org.rep_a)
    saved._history_user, saved._change_reason = org.rep_a, "created"
    saved.save()
    with transaction.atomic(), unitofwork.deferred() as unit:
        queued = Contact(account=account, name="李四", phone="+8613900139000", created_by=org.rep_a)
        queue(queued, org.rep_a)
        # the id is known before anything is written
        assert queued.pk is not None and queued.pk > saved.pk
        assert not Contact.objects.filter(pk=queued.pk).exists()
        unit.flush()
        assert not queued._state.adding
    stored = Contact.objects.get(pk=queued.pk)
    assert (stored.name, stored.phone, stored.account_id) == ("李四", "+8613900139000", account.pk)
    # the history row holds what a save's would: type, user, reason and the tracked values
    assert history_values(queued) == history_values(saved)
    assert history_values(queued)["history_type"] == "+"
    assert history_values(queued)["history_user_id"] == org.rep_a.pk
    # a row saved afterwards the usual way gets an id past the queued ones
    later = Contact.objects.create(account=account, name="王五")
    assert later.pk > queued.pk


def test_a_record_rolled_back_drops_its_rows_and_events(org, django_capture_on_commit_callbacks):
    account = make_account(org.rep_a)
    seen = []

    def handler(name, payload):
        if name.startswith("test.uow"):
            seen.append((name, payload["n"]))

    events.subscribe("*", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic(), unitofwork.deferred() as unit:
                kept = Contact(account=account, name="kept")
                queue(kept, org.rep_a)
                events.emit("test.uow.kept", {"n": 1})
                mark = unit.mark()
                dropped = Contact(account=account, name="dropped")
                queue(dropped, org.rep_a)
                events.emit("test.uow.dropped", {"n": 2})
                unit.rollback(mark)
                assert dropped.pk is None and not unit.is_queued(dropped)
                unit.flush()
                assert seen == []  # held until the rows are written and committed
    finally:
        events.unsubscribe("*", handler)
    assert list(Contact.objects.filter(account=account).values_list("name", flat=True)) == ["kept"]
    assert seen == [("test.uow.kept", 1)]


def test_an_instance_queued_twice_is_written_once(org):
    account = make_account(org.rep_a)
    with transaction.atomic(), unitofwork.deferred() as unit:
        contact = Contact(account=account, name="初稿")
        queue(contact, org.rep_a)
        contact.name = "定稿"
        queue(contact, org.rep_a)
        assert len(unit) == 1
        unit.flush()
    assert list(Contact.objects.filter(account=account).values_list("name", flat=True)) == ["定稿"]
    assert contact.history.count() == 1


def test_models_with_their_own_save_logic_are_saved_at_once(org):
    # Account.save derives its name keys; without a before_save() it cannot be queued
    assert not unitofwork.queueable(Account)
    assert unitofwork.queueable(Contact)
    with transaction.atomic(), unitofwork.deferred():
        account = Account(name="北京测试有限公司", owner=org.rep_a)
        assert not unitofwork.save_new(account, org.rep_a, "created")


def test_outside_a_unit_nothing_is_queued(org):
    contact = Contact(account=make_account(org.rep_a), name="x")
    assert not unitofwork.save_new(contact, org.rep_a, "created")
    assert contact.pk is None


def test_a_unit_needs_a_transaction(transactional_db):
    with pytest.raises(RuntimeError), unitofwork.deferred():
        pass


def test_insert_now_writes_the_row_and_history_a_save_would(org):
    account = make_account(org.rep_a)
    saved = Contact(account=account, name="张三", created_by=org.rep_a)
    saved._history_user, saved._change_reason = org.rep_a, "created"
    saved.save()
    now = Contact(account=account, name="李四", created_by=org.rep_a)
    unitofwork.insert_now(now, org.rep_a, "created")
    assert now.pk is not None and not now._state.adding
    stored = Contact.objects.get(pk=now.pk)
    assert (stored.name, stored.account_id, stored.created_by_id) == (
        "李四",
        account.pk,
        org.rep_a.pk,
    )
    assert history_values(now) == history_values(saved)


def test_insert_now_refuses_what_it_cannot_write_like_a_save(org):
    stored = Contact.objects.create(account=make_account(org.rep_a), name="x")
    with pytest.raises(ValueError):
        unitofwork.insert_now(stored)  # not new
    with pytest.raises(ValueError):
        unitofwork.insert_now(Account(name="北京测试有限公司", owner=org.rep_a))  # own save()


def test_insert_together_writes_parent_history_and_children(org):
    from salesops.leads.models import Assignment, Channel, Inquiry, Lead

    channel = Channel.objects.create(kind="website", name="官网")
    lead = Lead(
        channel=channel,
        contact_name="张三",
        phone="+8613800138000",
        company="云帆智能",
        need="CRM",
        created_by=org.rep_a,
    )
    inquiry = Inquiry(lead=lead, channel=channel, payload={"a": 1}, created_by=org.rep_a)
    assignment = Assignment(lead=lead, owner=org.rep_a, reason="规则", actor=org.rep_a)
    unitofwork.insert_together(lead, [(inquiry, "lead"), (assignment, "lead")], org.rep_a, "intake")
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.contact_name, stored.channel_id) == ("张三", channel.pk)
    assert Inquiry.objects.get(pk=inquiry.pk).lead_id == lead.pk
    assert Inquiry.objects.get(pk=inquiry.pk).payload == {"a": 1}
    assert Assignment.objects.get(pk=assignment.pk).lead_id == lead.pk
    row = lead.history.get()
    assert (row.history_type, row.history_user_id, row.history_change_reason) == (
        "+",
        org.rep_a.pk,
        "intake",
    )
    assert (row.id, row.contact_name) == (lead.pk, "张三")
    assert not any(r._state.adding for r in (lead, inquiry, assignment))
