"""The finance/ERP feed's upserts: keyed by external_id, the same record sent twice changes
nothing (no write, no history row, no event); a changed record is updated with history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesops.aftersales import services
from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket

FEED = "erp"


def payloads(account, contact):
    """One record of each kind as a feed sends it: text dates, naive local times."""
    return {
        "complaint": (
            services.complaint_upsert,
            Complaint,
            {
                "account": account,
                "contact": contact,
                "severity": "major",
                "summary": "设备故障",
                "raised_on": "2026-03-02",
            },
            {"status": "resolved", "resolved_on": "2026-03-05"},
            "complaint.resolved",
        ),
        "nps": (
            services.nps_upsert,
            NpsResponse,
            {"account": account, "score": 8, "responded_on": "2026-03-02", "survey": "Q1"},
            {"score": 10, "comment": "很满意"},
            "nps.updated",
        ),
        "ticket": (
            services.ticket_upsert,
            ServiceTicket,
            {"account": account, "subject": "无法登录", "opened_at": "2026-03-02T10:00"},
            {"first_response_at": "2026-03-02T10:30", "resolved_at": "2026-03-02T15:00"},
            "ticket.resolved",
        ),
        "renewal": (
            services.renewal_upsert,
            Renewal,
            {
                "account": account,
                "contract_number": "HT-2025-001",
                "due_on": "2026-06-30",
                "amount": "120000",
            },
            {"status": "renewed", "closed_on": "2026-03-05", "amount": "125000.00"},
            "renewal.closed",
        ),
    }


KINDS = ["complaint", "nps", "ticket", "renewal"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_record_sent_twice_changes_nothing(
    org, account, contact, seen, django_capture_on_commit_callbacks, kind
):
    upsert, model, data, _change, _event = payloads(account, contact)[kind]
    with django_capture_on_commit_callbacks(execute=True):
        first, outcome1 = upsert(actor=None, external_id="X-1", data=data, source=FEED)
    stamp = model.objects.get(pk=first.pk).updated_at
    # when the feed sends exactly the same record again
    with django_capture_on_commit_callbacks(execute=True):
        again, outcome2 = upsert(actor=None, external_id="X-1", data=dict(data), source=FEED)
    # then it is recognised: one row, one history row, one event, not even a touch
    assert (outcome1, outcome2) == ("created", "unchanged")
    assert again.pk == first.pk
    assert model.objects.count() == 1
    assert model.history.count() == 1
    assert model.objects.get(pk=first.pk).updated_at == stamp
    assert len(seen) == 1
    assert first.source == FEED and first.external_id == "X-1"


@pytest.mark.parametrize("kind", KINDS)
def test_a_changed_record_is_updated_with_history_and_its_event(
    org, account, contact, seen, django_capture_on_commit_callbacks, kind
):
    upsert, model, data, change, event = payloads(account, contact)[kind]
    upsert(actor=None, external_id="X-2", data=data, source=FEED)
    # when the feed sends the record again with some values changed
    with django_capture_on_commit_callbacks(execute=True):
        record, outcome = upsert(
            actor=org.admin, external_id="X-2", data={**data, **change}, source=FEED
        )
    # then the same row is updated, the change is audited, and the event goes out once
    assert outcome == "updated"
    assert model.objects.count() == 1
    latest = model.history.latest("history_date")
    assert latest.history_type == "~" and latest.history_user == org.admin
    previous = latest.prev_record
    changed = {c.field for c in latest.diff_against(previous).changes}
    assert set(change) <= changed
    assert [name for name, _ in seen].count(event) == 1
    # and sending that changed version again is "unchanged"
    assert upsert(actor=None, external_id="X-2", data={**data, **change}, source=FEED)[1] == (
        "unchanged"
    )


def test_ticket_upsert_fills_response_times(account, contact):
    upsert, _model, data, change, _event = payloads(account, contact)["ticket"]
    ticket, _ = upsert(actor=None, external_id="T-9", data={**data, **change}, source=FEED)
    assert ticket.response_working_minutes == 30
    assert ticket.resolution_hours == Decimal("5.00")


@pytest.mark.parametrize("kind", KINDS)
def test_bad_records_name_the_fields_and_write_nothing(account, contact, kind):
    upsert, model, data, _change, _event = payloads(account, contact)[kind]
    bad = {
        "complaint": ({"raised_on": "2026-03-05", "status": "closed", "resolved_on": "2026-03-01"}),
        "nps": {"score": 12},
        "ticket": {"resolved_at": "2026-03-01T09:00"},
        "renewal": {"amount": "-100"},
    }[kind]
    field = next(iter(bad)) if kind != "complaint" else "resolved_on"
    with pytest.raises(ValidationError) as exc:
        upsert(actor=None, external_id="BAD-1", data={**data, **bad}, source=FEED)
    assert field in exc.value.message_dict
    assert model.objects.count() == 0 and model.history.count() == 0


def test_a_bad_change_leaves_the_stored_record_as_it_was(account, contact):
    upsert, _model, data, _change, _event = payloads(account, contact)["renewal"]
    renewal, _ = upsert(actor=None, external_id="R-1", data=data, source=FEED)
    with pytest.raises(ValidationError) as exc:
        upsert(actor=None, external_id="R-1", data={**data, "status": "lost"}, source=FEED)
    assert "lost_reason" in exc.value.message_dict
    renewal.refresh_from_db()
    assert renewal.status == "pending" and renewal.history.count() == 1


@pytest.mark.parametrize("external_id", ["", "   ", None, "x" * 101])
def test_an_upsert_needs_a_usable_external_id(account, contact, external_id):
    upsert, _model, data, _change, _event = payloads(account, contact)["nps"]
    with pytest.raises(ValidationError) as exc:
        upsert(actor=None, external_id=external_id, data=data, source=FEED)
    assert "external_id" in exc.value.message_dict


def test_external_ids_are_unique_per_kind_not_across_kinds(account, contact):
    data = payloads(account, contact)
    for kind in KINDS:
        upsert, _model, fields, _change, _event = data[kind]
        assert upsert(actor=None, external_id="SAME", data=fields, source=FEED)[1] == "created"


def test_a_manual_record_cannot_take_an_external_id_already_used(org, account, contact):
    upsert, _model, data, _change, _event = payloads(account, contact)["nps"]
    upsert(actor=None, external_id="N-1", data=data, source=FEED)
    with pytest.raises(ValidationError) as exc:
        services.nps_create(
            actor=org.rep_a,
            account=account,
            score=5,
            responded_on=dt.date(2026, 3, 2),
            external_id="N-1",
        )
    assert "external_id" in exc.value.message_dict


def test_fields_left_out_keep_their_values(account, contact):
    upsert, _model, data, _change, _event = payloads(account, contact)["complaint"]
    complaint, _ = upsert(actor=None, external_id="C-7", data=data, source=FEED)
    _, outcome = upsert(
        actor=None,
        external_id="C-7",
        data={"account": account, "details": "现场已处理"},
        source=FEED,
    )
    complaint.refresh_from_db()
    assert outcome == "updated"
    assert (complaint.summary, complaint.details) == ("设备故障", "现场已处理")
    assert complaint.contact == contact
