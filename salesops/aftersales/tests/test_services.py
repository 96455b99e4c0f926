"""Create and update services: validation naming every field, audit rows, events after
commit, derived values (NPS category, response times in working and wall-clock time)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesops.aftersales import services
from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
from salesops.aftersales.tests.factories import (
    at,
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.core import clock
from salesops.customers.tests.factories import make_account, make_contact
from salesops.customization.tests.factories import make_definition

TODAY = at("2026-03-10", "11:00")


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def counts():
    """Rows and audit rows of every after-sales model: what a refused write must not touch."""
    return tuple(
        n
        for model in (Complaint, NpsResponse, ServiceTicket, Renewal)
        for n in (model.objects.count(), model.history.count())
    )


# --- complaints -------------------------------------------------------------------------------


def test_a_complaint_is_handled_by_the_account_owner_audited_and_announced_after_commit(
    org, account, contact, seen, django_capture_on_commit_callbacks
):
    # given rep_a's account; when cs records a major complaint about it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complaint = services.complaint_create(
            actor=org.cs,
            account=account,
            contact=contact,
            severity="major",
            summary="  交付延期  ",
            raised_on=dt.date(2026, 3, 2),
        )
        # then nothing is announced before the transaction commits
        assert seen == []
    for callback in callbacks:
        callback()
    # then the account owner handles it, the text is trimmed, cs is on the audit row
    assert complaint.owner == org.rep_a
    assert complaint.summary == "交付延期"
    assert complaint.source == "manual"
    assert complaint.history.get().history_user == org.cs
    # and complaint.created was emitted exactly once with the record's facts
    assert [name for name, _ in seen] == ["complaint.created"]
    payload = seen[0][1]
    assert payload["id"] == complaint.pk and payload["severity"] == "major"
    assert payload["owner_id"] == org.rep_a.pk and payload["actor_id"] == org.cs.pk


def test_resolving_a_complaint_stamps_today_and_announces_it_once(
    org, account, seen, django_capture_on_commit_callbacks
):
    complaint = make_complaint(account)
    with clock.frozen(TODAY), django_capture_on_commit_callbacks(execute=True):
        services.complaint_update(actor=org.rep_a, complaint=complaint, status="resolved")
        # saving it again, or closing it, is not a second resolution
        services.complaint_update(actor=org.rep_a, complaint=complaint, status="closed")
    complaint.refresh_from_db()
    assert complaint.resolved_on == dt.date(2026, 3, 10)
    assert [name for name, _ in seen] == [
        "complaint.updated",
        "complaint.resolved",
        "complaint.updated",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"raised_on": dt.date(2026, 3, 5), "resolved_on": dt.date(2026, 3, 1)}, "resolved_on"),
        ({"status": "open", "resolved_on": dt.date(2026, 3, 5)}, "resolved_on"),
        ({"raised_on": dt.date(2026, 4, 1)}, "raised_on"),
        ({"severity": "terrible"}, "severity"),
        ({"summary": ""}, "summary"),
    ],
)
def test_a_bad_complaint_names_the_field_and_writes_nothing(org, account, data, field):
    before = counts()
    payload = {"summary": "质量问题", "severity": "minor", "raised_on": dt.date(2026, 3, 2)}
    payload.update(data)
    if "resolved_on" in data and "status" not in data:
        payload["status"] = "resolved"
    with clock.frozen(TODAY), pytest.raises(ValidationError) as exc:
        services.complaint_create(actor=org.rep_a, account=account, **payload)
    assert field in errors_of(exc)
    assert counts() == before


def test_every_bad_field_is_reported_at_once(org, account):
    with pytest.raises(ValidationError) as exc:
        services.complaint_create(
            actor=org.rep_a, account=account, summary="", severity="x", raised_on="yesterday"
        )
    assert {"summary", "severity", "raised_on"} <= set(errors_of(exc))


def test_a_contact_of_another_account_is_refused(org, accounts):
    stranger = make_contact(accounts["rep_b"])
    with pytest.raises(ValidationError) as exc:
        make_complaint(accounts["rep_a"], contact=stranger)
    assert "another account" in errors_of(exc)["contact"][0]


def test_an_update_that_changes_nothing_writes_no_history_and_emits_nothing(
    org, account, seen, django_capture_on_commit_callbacks
):
    complaint = make_complaint(account, summary="发票错误")
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_update(actor=org.rep_a, complaint=complaint, summary=" 发票错误 ")
    assert complaint.history.count() == 1
    assert seen == []


def test_custom_fields_are_validated_and_kept(org, account):
    make_definition(org.admin, entity="complaint", key="channel", type="text", required=True)
    with pytest.raises(ValidationError) as exc:
        make_complaint(account)
    assert "custom.channel" in errors_of(exc)
    complaint = make_complaint(account, custom={"channel": "热线"})
    assert complaint.custom == {"channel": "热线"}


# --- NPS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (10, "promoter"),
        (9, "promoter"),
        (8, "passive"),
        (7, "passive"),
        (6, "detractor"),
        (0, "detractor"),
    ],
)
def test_nps_category_follows_the_score(account, score, category):
    assert make_nps(account, score=score).category == category


def test_changing_the_score_changes_the_category(org, account):
    response = make_nps(account, score=10)
    services.nps_update(actor=org.rep_a, response=response, score="3")
    response.refresh_from_db()
    assert (response.score, response.category) == (3, "detractor")


@pytest.mark.parametrize("score", [11, -1, "nine", None])
def test_a_score_outside_0_to_10_is_refused(org, account, score):
    with pytest.raises(ValidationError) as exc:
        make_nps(account, score=score)
    assert "score" in errors_of(exc)
    assert NpsResponse.objects.count() == 0


def test_nps_received_is_emitted(org, account, seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = make_nps(account, score=4, survey="Q1 回访")
    assert seen == [
        (
            "nps.received",
            {
                "id": response.pk,
                "account_id": account.pk,
                "score": 4,
                "category": "detractor",
                "actor_id": org.rep_a.pk,
                "source": "manual",
                "event_id": seen[0][1]["event_id"],
            },
        )
    ]


# --- service tickets ----------------------------------------------------------------------------


def test_ticket_response_times_count_working_minutes_and_wall_clock_hours(account):
    # given a ticket opened 30 minutes before closing on Monday, answered 30 minutes after
    # opening on Tuesday, resolved at 17:00 on Tuesday
    ticket = make_ticket(
        account,
        opened_at=at("2026-03-02", "17:30"),
        first_response_at=at("2026-03-03", "09:30"),
        resolved_at=at("2026-03-03", "17:00"),
    )
    # then the first response took 60 working minutes but 16 hours on the clock
    assert ticket.response_working_minutes == 60
    assert ticket.response_hours == Decimal("16.00")
    assert ticket.resolution_working_minutes == 30 + 8 * 60
    assert ticket.resolution_hours == Decimal("23.50")
    assert ticket.state == "resolved"


def test_a_weekend_and_a_holiday_do_not_count(account):
    # 2026-04-03 is a Friday before the Qingming holiday (4–6 April)
    ticket = make_ticket(
        account, opened_at=at("2026-04-03", "17:00"), first_response_at=at("2026-04-07", "10:00")
    )
    assert ticket.response_working_minutes == 60 + 60


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_response_at": at("2026-03-02", "09:00")}, "first_response_at"),
        ({"resolved_at": at("2026-03-01", "12:00")}, "resolved_at"),
        (
            {
                "first_response_at": at("2026-03-02", "15:00"),
                "resolved_at": at("2026-03-02", "14:00"),
            },
            "resolved_at",
        ),
        ({"priority": "whenever"}, "priority"),
    ],
)
def test_ticket_instants_in_the_wrong_order_are_refused(org, account, data, field):
    with pytest.raises(ValidationError) as exc:
        make_ticket(account, opened_at=at("2026-03-02", "10:00"), **data)
    assert field in errors_of(exc)
    assert ServiceTicket.objects.count() == 0


def test_a_naive_time_is_taken_in_the_organisation_time_zone(account):
    ticket = make_ticket(
        account, opened_at="2026-03-02T10:00", first_response_at="2026-03-02T10:45"
    )
    ticket.refresh_from_db()
    assert ticket.opened_at == at("2026-03-02", "10:00")
    assert ticket.response_working_minutes == 45


def test_resolving_a_ticket_emits_ticket_resolved_once(
    org, account, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(account)
        services.ticket_update(
            actor=org.rep_a, ticket=ticket, first_response_at=at("2026-03-02", "10:20")
        )
        services.ticket_update(
            actor=org.rep_a, ticket=ticket, resolved_at=at("2026-03-02", "11:00")
        )
        services.ticket_update(actor=org.rep_a, ticket=ticket, subject="已处理")
    names = [name for name, _ in seen]
    assert names == [
        "ticket.opened",
        "ticket.updated",
        "ticket.updated",
        "ticket.resolved",
        "ticket.updated",
    ]
    resolved = dict(seen)["ticket.resolved"]
    assert resolved["response_working_minutes"] == 20
    assert resolved["resolution_working_minutes"] == 60
    # the derived times are not part of the audited change list
    assert ticket.history.count() == 4


# --- renewals -----------------------------------------------------------------------------------


def test_a_lost_renewal_needs_a_reason(org, account):
    renewal = make_renewal(account)
    with pytest.raises(ValidationError) as exc:
        services.renewal_update(actor=org.rep_a, renewal=renewal, status="lost")
    assert "lost_reason" in errors_of(exc)
    renewal.refresh_from_db()
    assert renewal.status == "pending" and renewal.history.count() == 1


@pytest.mark.parametrize("amount", ["-1", Decimal("-0.01"), -5])
def test_a_negative_amount_is_refused_with_a_clear_message(account, amount):
    with pytest.raises(ValidationError) as exc:
        make_renewal(account, amount=amount)
    assert errors_of(exc)["amount"] == ["The amount cannot be negative; enter 0 or more."]


def test_a_float_amount_is_refused(account):
    with pytest.raises(ValidationError) as exc:
        make_renewal(account, amount=12.5)
    assert "amount" in errors_of(exc)


def test_a_pending_renewal_has_no_closing_date(account):
    with pytest.raises(ValidationError) as exc:
        make_renewal(account, closed_on=dt.date(2026, 3, 1))
    assert "closed_on" in errors_of(exc)


def test_closing_a_renewal_stamps_the_date_and_announces_it(
    org, account, seen, django_capture_on_commit_callbacks
):
    renewal = make_renewal(account, amount="9800.5")
    assert renewal.amount == Decimal("9800.50")
    with clock.frozen(TODAY), django_capture_on_commit_callbacks(execute=True):
        services.renewal_update(actor=org.rep_a, renewal=renewal, status="renewed")
    renewal.refresh_from_db()
    assert renewal.closed_on == dt.date(2026, 3, 10)
    closed = [p for name, p in seen if name == "renewal.closed"]
    assert len(closed) == 1
    assert closed[0]["status"] == "renewed" and closed[0]["amount"] == "9800.50"


def test_an_account_with_after_sales_records_cannot_be_deleted(org):
    from django.db.models import ProtectedError

    from salesops.customers import services as customer_services

    account = make_account(org.rep_a)
    make_renewal(account)
    with pytest.raises(ProtectedError):
        customer_services.account_delete(actor=org.rep_a, account=account)
