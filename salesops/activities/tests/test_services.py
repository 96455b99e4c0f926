"""Logging activities and checking in: the tag, the note, the effective touch, the
lead's first contact, visibility — through the real services and database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.activities import services
from salesops.activities.models import Activity, ResultTag
from salesops.core import clock
from salesops.leads.tests.factories import intake, make_rule

from .conftest import NOON, account_for, lead_for


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_finishing_needs_a_tag_and_nothing_is_saved_without_one(org, lead_a):
    # When rep_a logs a 2-minute call but picks no result
    with pytest.raises(ValidationError) as exc:
        services.activity_log(actor=org.rep_a, kind="call", lead=lead_a, duration_seconds=120)
    # Then the tag is named, and nothing is stored
    assert "without a tag" in errors_of(exc)["tag"][0]
    assert not Activity.objects.exists()


def test_unknown_or_inactive_tag_is_refused(org, lead_a):
    ResultTag.objects.filter(code="price_sensitive").update(is_active=False)
    for tag in ("no_such_tag", "price_sensitive"):
        with pytest.raises(ValidationError) as exc:
            services.activity_log(actor=org.rep_a, kind="call", lead=lead_a, tag=tag)
        assert "tag" in errors_of(exc)
    assert not Activity.objects.exists()


def test_a_note_over_20_characters_is_refused_and_nothing_saved(org, lead_a):
    note = "客户想要下周五之前拿到正式报价单并安排现场演示"  # 23 characters
    assert len(note) > 20
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", note=note
        )
    assert "at most 20 characters" in errors_of(exc)["note"][0]
    assert not Activity.objects.exists()
    lead_a.refresh_from_db()
    assert lead_a.first_contact_at is None


def test_a_note_of_exactly_20_characters_is_kept(org, lead_a):
    note = "一二三四五六七八九十一二三四五六七八九十"
    activity = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", note=note
    )
    assert activity.note == note


@pytest.mark.parametrize(("seconds", "effective"), [(0, False), (29, False), (30, True)])
def test_effective_touch_needs_a_tag_and_30_seconds(org, lead_a, seconds, effective):
    activity = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="budget_unclear", duration_seconds=seconds
    )
    activity.refresh_from_db()
    assert activity.duration_seconds == seconds
    assert activity.effective is effective


def test_duration_comes_from_the_two_instants(org, lead_a):
    start = NOON
    activity = services.activity_log(
        actor=org.rep_a,
        kind="visit",
        lead=lead_a,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=25, seconds=3),
        duration_seconds=5,  # ignored: the instants win
        tag="needs_tech",
    )
    assert activity.duration_seconds == 25 * 60 + 3
    assert activity.effective is True


def test_instants_in_the_wrong_order_and_negative_durations_are_refused(org, lead_a):
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a,
            kind="call",
            lead=lead_a,
            started_at=NOON,
            ended_at=NOON - dt.timedelta(minutes=1),
            tag="demo_booked",
        )
    assert "ended_at" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a, kind="call", lead=lead_a, duration_seconds=-5, tag="demo_booked"
        )
    assert "duration_seconds" in errors_of(exc)
    assert not Activity.objects.exists()


def test_every_bad_field_is_reported_at_once(org, lead_a):
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a, kind="fax", lead=lead_a, duration_seconds=60, note="x" * 21
        )
    assert {"kind", "tag", "note"} <= set(errors_of(exc))


def test_an_activity_must_be_about_something(org):
    with pytest.raises(ValidationError) as exc:
        services.activity_log(actor=org.rep_a, kind="call", tag="demo_booked")
    assert "lead" in errors_of(exc)


def test_first_check_in_sets_first_contact_and_meets_the_sla(
    org, lead_rules, events_seen, django_capture_on_commit_callbacks
):
    with clock.frozen(NOON):
        lead = lead_for(org.rep_a)
    assert lead.sla_state == "running" and lead.first_contact_at is None
    # Twenty minutes later rep_a calls and books a demo
    later = NOON + dt.timedelta(minutes=20)
    with clock.frozen(later), django_capture_on_commit_callbacks(execute=True):
        activity = services.activity_log(
            actor=org.rep_a, kind="call", lead=lead, tag="demo_booked", duration_seconds=95
        )
    lead.refresh_from_db()
    assert lead.first_contact_at == later
    assert lead.status == "contacted"
    assert lead.sla_state == "met"
    assert activity.owner == org.rep_a and activity.created_by == org.rep_a
    assert activity.checked_in_at == later and activity.ended_at == later
    assert events_seen and events_seen[-1] | {"event_id": None} == {
        "id": activity.pk,
        "owner_id": org.rep_a.pk,
        "kind": "call",
        "lead_id": lead.pk,
        "account_id": None,
        "tag": "demo_booked",
        "effective": True,
        "event_id": None,
    }
    # A second check-in does not move the first contact
    with clock.frozen(later + dt.timedelta(hours=2)):
        services.activity_log(actor=org.rep_a, kind="wechat", lead=lead, tag="materials_sent")
    lead.refresh_from_db()
    assert lead.first_contact_at == later


def test_no_answer_does_not_count_as_first_contact(org, lead_rules):
    with clock.frozen(NOON):
        lead = lead_for(org.rep_a)
        services.activity_log(
            actor=org.rep_a, kind="call", lead=lead, tag="no_answer", duration_seconds=40
        )
    lead.refresh_from_db()
    assert lead.first_contact_at is None
    assert lead.status == "new"
    assert lead.sla_state == "running"
    # The next call gets through
    with clock.frozen(NOON + dt.timedelta(minutes=5)):
        services.activity_log(actor=org.rep_a, kind="call", lead=lead, tag="call_back")
    lead.refresh_from_db()
    assert lead.first_contact_at == NOON + dt.timedelta(minutes=5)


def test_routed_lead_can_be_checked_in_by_its_owner(org):
    make_rule(team=org.rep_a.team)
    lead = intake().lead
    owner = lead.owner
    assert owner is not None and owner.team == org.rep_a.team
    activity = services.activity_log(actor=owner, kind="call", lead=lead, tag="demo_booked")
    assert activity.lead == lead


def test_a_rep_cannot_log_on_another_reps_lead(org, lead_b):
    with pytest.raises(PermissionDenied):
        services.activity_log(actor=org.rep_a, kind="call", lead=lead_b, tag="demo_booked")
    assert not Activity.objects.exists()
    lead_b.refresh_from_db()
    assert lead_b.first_contact_at is None


def test_a_rep_cannot_log_on_another_reps_account(org):
    account = account_for(org.rep_b)
    with pytest.raises(PermissionDenied):
        services.activity_log(actor=org.rep_a, kind="visit", account=account, tag="demo_booked")


def test_the_manager_may_log_on_the_teams_lead_and_owns_the_activity(org, lead_a):
    activity = services.activity_log(
        actor=org.manager_east, kind="visit", lead=lead_a, tag="needs_tech"
    )
    assert activity.owner == org.manager_east


def test_finance_reads_but_cannot_log(org, lead_a):
    with pytest.raises(PermissionDenied):
        services.activity_log(actor=org.finance, kind="call", lead=lead_a, tag="demo_booked")


def test_a_contact_brings_its_account(org):
    from salesops.customers import services as customer_services

    account = account_for(org.rep_a)
    contact = customer_services.contact_create(
        actor=org.rep_a, account=account, name="王芳", phone="13800138000"
    )
    activity = services.activity_log(
        actor=org.rep_a, kind="meeting", contact=contact, tag="demo_booked"
    )
    assert activity.account == account
    other = account_for(org.rep_a, name="另一家公司")
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a, kind="meeting", account=other, contact=contact, tag="demo_booked"
        )
    assert "contact" in errors_of(exc)


def test_open_call_then_check_in(org, lead_rules, events_seen, django_capture_on_commit_callbacks):
    with clock.frozen(NOON), django_capture_on_commit_callbacks(execute=True):
        lead = lead_for(org.rep_a)
        activity = services.activity_log(actor=org.rep_a, kind="call", lead=lead)
    assert activity.tag is None and activity.ended_at is None and not activity.effective
    assert events_seen == []
    lead.refresh_from_db()
    assert lead.first_contact_at is None
    # Finishing without a tag is refused
    with clock.frozen(NOON + dt.timedelta(seconds=50)):
        with pytest.raises(ValidationError) as exc:
            services.check_in(actor=org.rep_a, activity=activity, tag=None)
        assert "tag" in errors_of(exc)
        with django_capture_on_commit_callbacks(execute=True):
            done = services.check_in(
                actor=org.rep_a, activity=activity, tag="demo_booked", note="好"
            )
    assert done.duration_seconds == 50 and done.effective
    assert done.ended_at == NOON + dt.timedelta(seconds=50)
    lead.refresh_from_db()
    assert lead.first_contact_at == NOON + dt.timedelta(seconds=50)
    assert lead.sla_state == "met"
    assert [e["id"] for e in events_seen] == [activity.pk]
    # It cannot be checked in twice
    with pytest.raises(ValidationError):
        services.check_in(actor=org.rep_a, activity=done, tag="no_interest")


def test_only_the_owner_side_may_check_in(org, lead_a):
    activity = services.activity_log(actor=org.rep_a, kind="call", lead=lead_a)
    with pytest.raises(PermissionDenied):
        services.check_in(actor=org.rep_b, activity=activity, tag="demo_booked")
    done = services.check_in(
        actor=org.manager_east, activity=activity, tag="demo_booked", duration_seconds=10
    )
    assert done.duration_seconds == 10 and not done.effective


# --- result tags ------------------------------------------------------------------------------
def test_admins_manage_result_tags(org):
    tag = services.result_tag_create(
        actor=org.admin,
        code="wrong_number",
        label_zh="号码错误",
        label_en="Wrong number",
        counts_as_contact=False,
    )
    assert tag.order > ResultTag.objects.exclude(pk=tag.pk).order_by("-order").first().order
    tag = services.result_tag_update(actor=org.director, tag=tag, label_en="Wrong phone number")
    assert tag.label_en == "Wrong phone number"
    services.result_tag_deactivate(actor=org.admin, tag=tag)
    tag.refresh_from_db()
    assert tag.is_active is False
    ordered = services.result_tag_reorder(actor=org.admin, codes=["no_answer", "demo_booked"])
    assert [t.code for t in ordered[:2]] == ["no_answer", "demo_booked"]
    assert list(ResultTag.objects.values_list("code", flat=True)[:2]) == [
        "no_answer",
        "demo_booked",
    ]


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "finance"])
def test_others_cannot_manage_result_tags(org, who):
    user = getattr(org, who)
    with pytest.raises(PermissionDenied):
        services.result_tag_create(actor=user, code="x", label_zh="x", label_en="x")
    with pytest.raises(PermissionDenied):
        services.result_tag_deactivate(actor=user, tag=ResultTag.objects.first())


def test_result_tag_validation(org):
    with pytest.raises(ValidationError) as exc:
        services.result_tag_create(actor=org.admin, code="demo_booked", label_zh="", label_en="")
    assert {"code", "label_zh", "label_en"} <= set(errors_of(exc))
    with pytest.raises(ValidationError) as exc:
        services.result_tag_create(actor=org.admin, code="Bad Code!", label_zh="甲", label_en="A")
    assert "code" in errors_of(exc)
    tag = ResultTag.objects.get(code="demo_booked")
    with pytest.raises(ValidationError) as exc:
        services.result_tag_update(actor=org.admin, tag=tag, code="renamed")
    assert "code" in errors_of(exc)


def test_the_last_active_tag_cannot_be_deactivated(org):
    last = ResultTag.objects.order_by("order").last()
    ResultTag.objects.exclude(pk=last.pk).update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.result_tag_deactivate(actor=org.admin, tag=last)
    assert "is_active" in errors_of(exc)
