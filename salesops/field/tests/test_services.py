"""The outbox replay: idempotent by the device's UUID, in order, through the owning apps'
services (visibility, dedup, validation, audit), conflicts kept, never overwritten."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.activities.models import Activity
from salesops.field import services
from salesops.field.models import ConflictStatus, FieldPolicy, SyncConflict, SyncItem
from salesops.leads.models import Inquiry, Lead
from salesops.leads.tests.factories import lead_data

from .conftest import item


def sync(user, *items):
    return services.sync_batch(actor=user, items=list(items))


def test_an_offline_lead_is_created_once_and_the_same_uuid_again_writes_nothing(org):
    # Given a lead typed offline
    entry = item("lead.create", lead_data(company="宁波海曙精密机械有限公司"))
    # When the outbox is sent, and then sent again (the answer was lost)
    [first] = sync(org.rep_a, entry)
    [again] = sync(org.rep_a, entry)
    # Then one lead exists, kept with the rep, and the second answer is the first one
    lead = Lead.objects.get(company="宁波海曙精密机械有限公司")
    assert first["status"] == "applied"
    assert first["record"] == {"type": "lead", "id": lead.pk, "url": lead.get_absolute_url()}
    assert lead.owner == org.rep_a and lead.created_by == org.rep_a
    assert again["status"] == "replayed" and again["first_status"] == "applied"
    assert again["record"] == first["record"]
    assert Lead.objects.count() == 1 and Inquiry.objects.filter(lead=lead).count() == 1
    assert SyncItem.objects.get().record_id == lead.pk


def test_the_whole_outbox_replayed_twice_makes_no_duplicates(org, lead_a):
    items = [
        item("lead.create", lead_data(company="温州鹿城鞋业有限公司")),
        item(
            "checkin.create",
            {"lead": str(lead_a.pk), "kind": "visit", "tag": "demo_booked", "note": "上门"},
        ),
    ]
    first = sync(org.rep_a, *items)
    second = sync(org.rep_a, *items)
    assert [a["status"] for a in first] == ["applied", "applied"]
    assert [a["status"] for a in second] == ["replayed", "replayed"]
    assert Lead.objects.filter(company="温州鹿城鞋业有限公司").count() == 1
    assert Activity.objects.filter(lead=lead_a).count() == 1


def test_items_are_applied_in_order_and_a_checkin_may_name_a_lead_made_offline(org):
    made = item("lead.create", lead_data(company="嘉兴南湖纺织有限公司"))
    checkin = item(
        "checkin.create",
        {"lead_uuid": made["uuid"], "kind": "call", "tag": "demo_booked", "minutes": "3"},
    )
    answers = sync(org.rep_a, made, checkin)
    assert [a["uuid"] for a in answers] == [made["uuid"], checkin["uuid"]]
    lead = Lead.objects.get(company="嘉兴南湖纺织有限公司")
    activity = Activity.objects.get()
    assert activity.lead == lead and activity.duration_seconds == 180
    assert activity.owner == org.rep_a


def test_a_bad_item_leaves_nothing_and_does_not_hold_back_the_next(org):
    bad = item("lead.create", {"contact_name": "", "phone": "", "company": "", "need": ""})
    good = item("lead.create", lead_data(company="台州椒江模具有限公司"))
    answers = sync(org.rep_a, bad, good)
    assert answers[0]["status"] == "error"
    fields = {e["field"] for e in answers[0]["errors"]}
    assert {"phone", "company"} <= fields
    assert answers[1]["status"] == "applied"
    assert Lead.objects.count() == 1


def test_a_checkin_without_a_result_is_an_error_by_field(org, lead_a):
    [answer] = sync(org.rep_a, item("checkin.create", {"lead": lead_a.pk, "kind": "call"}))
    assert answer["status"] == "error"
    assert [e["field"] for e in answer["errors"]] == ["tag"]
    assert not Activity.objects.exists()


def test_an_item_about_a_lead_the_rep_may_no_longer_see_is_refused(org, lead_b):
    payload = {"lead": lead_b.pk, "kind": "call", "tag": "demo_booked"}
    [answer] = sync(org.rep_a, item("checkin.create", payload))
    assert answer["status"] == "refused"
    assert answer["message"] == "You may no longer see this lead."
    assert not Activity.objects.exists()
    edit = {"lead": lead_b.pk, "changes": {"need": {"base": lead_b.need, "value": "改了"}}}
    [answer] = sync(org.rep_a, item("lead.update", edit))
    assert answer["status"] == "refused"
    lead_b.refresh_from_db()
    assert lead_b.need != "改了"


def test_an_offline_lead_matching_one_created_meanwhile_is_the_normal_duplicate(org, lead_b):
    # rep_b registered this phone number while rep_a was offline
    data = lead_data(company="另一个名字有限公司", phone=lead_b.phone)
    [answer] = sync(org.rep_a, item("lead.create", data))
    assert answer["status"] == "duplicate"
    assert answer["matched_by"] == "phone"
    assert answer["record"]["id"] == lead_b.pk and "url" not in answer["record"]
    assert org.rep_b.label in answer["message"]
    assert Lead.objects.count() == 1
    lead_b.refresh_from_db()
    assert lead_b.touches == 2  # the inquiry counted on the existing lead, as online


def test_an_edit_applies_unchanged_fields_and_keeps_a_conflict_for_a_changed_one(org, lead_a):
    from salesops.leads import services as lead_services

    seen_need, seen_city = lead_a.need, lead_a.city
    # Meanwhile the manager changes the need on the server
    lead_services.lead_update(actor=org.manager_east, lead=lead_a, need="只要报价")
    edit = {
        "lead": lead_a.pk,
        "changes": {
            "need": {"base": seen_need, "value": "要上门演示"},
            "city": {"base": seen_city, "value": "宁波"},
        },
    }
    [answer] = sync(org.rep_a, item("lead.update", edit))
    assert answer["status"] == "conflict"
    assert answer["applied_fields"] == ["city"]
    lead_a.refresh_from_db()
    assert lead_a.need == "只要报价" and lead_a.city == "宁波"  # nothing overwritten
    conflict = SyncConflict.objects.get()
    assert (conflict.field, conflict.base_value) == ("need", seen_need)
    assert (conflict.server_value, conflict.client_value) == ("只要报价", "要上门演示")
    # The history says it came from the offline sync
    reasons = [h.history_change_reason for h in lead_a.history.all()]
    assert any(r and "offline sync" in r for r in reasons)

    # The rep keeps theirs: applied through the service, all three values stay
    services.conflict_resolve(actor=org.rep_a, conflict=conflict, choice="mine")
    lead_a.refresh_from_db()
    conflict.refresh_from_db()
    assert lead_a.need == "要上门演示"
    assert conflict.status == ConflictStatus.RESOLVED and conflict.chosen_value == "要上门演示"
    assert conflict.server_value == "只要报价" and conflict.resolved_by == org.rep_a
    with pytest.raises(ValidationError) as exc:
        services.conflict_resolve(actor=org.rep_a, conflict=conflict, choice="theirs")
    assert "already resolved" in str(exc.value)


def test_keep_theirs_and_an_edited_value(org, lead_a):
    from salesops.leads import services as lead_services

    seen = lead_a.need
    lead_services.lead_update(actor=org.manager_east, lead=lead_a, need="服务器上的")
    sync(
        org.rep_a,
        item("lead.update", {"lead": lead_a.pk, "changes": {"need": {"base": seen, "value": "A"}}}),
    )
    sync(
        org.rep_a,
        item("lead.update", {"lead": lead_a.pk, "changes": {"need": {"base": seen, "value": "B"}}}),
    )
    first, second = SyncConflict.objects.order_by("id")
    services.conflict_resolve(actor=org.rep_a, conflict=first, choice="theirs")
    lead_a.refresh_from_db()
    assert lead_a.need == "服务器上的"
    services.conflict_resolve(actor=org.rep_a, conflict=second, choice="edited", value="合并后的")
    lead_a.refresh_from_db()
    assert lead_a.need == "合并后的"
    with pytest.raises(PermissionDenied):
        services.conflict_resolve(actor=org.rep_b, conflict=first, choice="mine")


def test_same_value_on_both_sides_is_no_conflict(org, lead_a):
    from salesops.leads import services as lead_services

    seen = lead_a.need
    lead_services.lead_update(actor=org.manager_east, lead=lead_a, need="一样")
    edit = {"lead": lead_a.pk, "changes": {"need": {"base": seen, "value": "一样"}}}
    [answer] = sync(org.rep_a, item("lead.update", edit))
    assert answer["status"] == "applied" and not SyncConflict.objects.exists()


def test_the_uuid_is_per_user(org, lead_a, lead_b):
    uid = uuid.uuid4()
    sync(org.rep_a, item("checkin.create", {"lead": lead_a.pk, "tag": "demo_booked"}, uid))
    [answer] = sync(
        org.rep_b, item("checkin.create", {"lead": lead_b.pk, "tag": "demo_booked"}, uid)
    )
    assert answer["status"] == "applied"
    assert Activity.objects.count() == 2


def test_malformed_items_and_batches(org):
    [answer] = sync(org.rep_a, {"uuid": "nope", "kind": "lead.delete", "payload": []})
    assert answer["status"] == "error"
    assert {e["field"] for e in answer["errors"]} == {"uuid", "kind", "payload"}
    assert not SyncItem.objects.exists()
    with pytest.raises(PermissionDenied):
        sync(org.finance, item("lead.create", lead_data()))
    FieldPolicy.objects.create(max_batch=10)
    with pytest.raises(ValidationError) as exc:
        sync(org.rep_a, *[item("lead.create", lead_data()) for _ in range(11)])
    assert "items" in exc.value.message_dict
    assert not Lead.objects.exists()


def test_a_follow_up_note_finishes_an_open_activity(org, lead_a):
    from salesops.activities import services as activity_services

    open_call = activity_services.activity_log(actor=org.rep_a, kind="call", lead=lead_a)
    payload = {"activity": open_call.pk, "tag": "demo_booked", "note": "下周再打", "minutes": "2"}
    [answer] = sync(org.rep_a, item("note.create", payload))
    assert answer["status"] == "applied"
    open_call.refresh_from_db()
    assert open_call.note == "下周再打" and open_call.tag.code == "demo_booked"
    [answer] = sync(org.rep_b, item("note.create", {**payload, "note": "x"}))
    assert answer["status"] == "refused"


def test_the_policy_is_saved_by_an_admin_only(org):
    with pytest.raises(PermissionDenied):
        services.policy_save(actor=org.rep_a, max_batch=20)
    with pytest.raises(ValidationError) as exc:
        services.policy_save(actor=org.admin, max_batch=1, max_leads="x")
    assert set(exc.value.message_dict) == {"max_batch", "max_leads"}
    services.policy_save(actor=org.admin, max_batch=20)
    assert FieldPolicy.current().max_batch == 20


def test_the_same_uuid_twice_in_one_batch_is_applied_once(org):
    entry = item("lead.create", lead_data(company="丽水莲都竹木制品有限公司"))
    first, second = sync(org.rep_a, entry, dict(entry))
    assert (first["status"], second["status"]) == ("applied", "replayed")
    assert second["record"] == first["record"]
    assert Lead.objects.filter(company="丽水莲都竹木制品有限公司").count() == 1
