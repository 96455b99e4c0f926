"""The activity rollup equals a recount of the raw activities after inserts, check-ins,
edits, moves and deletes (issue 15, item 1)."""

import datetime as dt

import pytest
from django.utils import timezone

from salesops.activities import rollup, selectors, services
from salesops.activities.models import Activity, ActivityRollup
from salesops.activities.tests.conftest import account_for, lead_for
from salesops.activities.tests.factories import ResultTagFactory

TZ = timezone.get_default_timezone()


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, minute), TZ)


def stored() -> dict:
    return {
        (r.owner_id, r.day, r.hour): (r.activities, r.effective)
        for r in ActivityRollup.objects.all()
        if r.activities or r.effective
    }


def assert_equal_to_recount():
    assert stored() == rollup.recount()


@pytest.fixture
def tags(db):
    return {
        "reached": ResultTagFactory(code="reached", counts_as_contact=True),
        "no_answer": ResultTagFactory(code="no_answer_x", counts_as_contact=False),
    }


def log(owner, tag=None, start=None, seconds=None, **links):
    links = links or {
        "account": account_for(owner, name=f"杭州{owner.pk}{Activity.objects.count()}科技有限公司")
    }
    return services.activity_log(
        actor=owner,
        kind="call",
        started_at=start or at(24, 10, 5),
        duration_seconds=seconds,
        tag=tag,
        **links,
    )


def test_logging_counts_in_the_local_hour(org, tags):
    log(org.rep_a, tags["reached"], at(24, 10, 5), 60)
    log(org.rep_a, tags["reached"], at(24, 10, 50), 5)  # too short: not effective
    log(org.rep_a, tags["no_answer"], at(24, 11, 0), 300)  # not reached: not effective
    log(org.rep_b, tags["reached"], at(24, 23, 30), 60)  # late evening, still the 24th
    assert stored()[(org.rep_a.pk, dt.date(2026, 11, 24), 10)] == (2, 1)
    assert stored()[(org.rep_a.pk, dt.date(2026, 11, 24), 11)] == (1, 0)
    assert stored()[(org.rep_b.pk, dt.date(2026, 11, 24), 23)] == (1, 1)
    assert_equal_to_recount()


def test_check_in_moves_an_open_activity_to_effective(org, tags):
    activity = log(org.rep_a, start=at(24, 9, 0))
    assert stored()[(org.rep_a.pk, dt.date(2026, 11, 24), 9)] == (1, 0)
    services.check_in(actor=org.rep_a, activity=activity, tag="reached", duration_seconds=120)
    assert stored()[(org.rep_a.pk, dt.date(2026, 11, 24), 9)] == (1, 1)
    assert_equal_to_recount()


def test_edits_that_move_the_bucket_or_owner(org, tags):
    activity = log(org.rep_a, tags["reached"], at(24, 9, 0), 60)
    activity = Activity.objects.get(pk=activity.pk)
    activity.started_at = at(25, 14, 0)
    activity.save()
    activity.owner = org.rep_b
    activity.save()
    activity.effective = False
    activity.save(update_fields=["effective"])
    assert stored() == {(org.rep_b.pk, dt.date(2026, 11, 25), 14): (1, 0)}
    assert_equal_to_recount()


def test_deletes_direct_and_by_cascade(org, tags):
    lead = lead_for(org.rep_a)
    log(org.rep_a, tags["reached"], at(24, 9, 0), 60, lead=lead)
    log(org.rep_a, tags["reached"], at(24, 9, 30), 60, lead=lead)
    kept = log(org.rep_a, tags["reached"], at(24, 9, 40), 60)
    other = log(org.rep_a, tags["reached"], at(24, 16, 0), 60)
    Activity.objects.get(pk=other.pk).delete()
    lead.delete()  # its two activities go with it
    assert stored() == {(org.rep_a.pk, dt.date(2026, 11, 24), 9): (1, 1)}
    assert Activity.objects.get().pk == kept.pk
    assert_equal_to_recount()


def test_a_tag_that_stops_counting_recounts_its_reps(org, tags):
    admin = org.admin
    log(org.rep_a, tags["reached"], at(24, 9, 0), 60)
    log(org.rep_b, tags["reached"], at(24, 10, 0), 60)
    services.result_tag_update(actor=admin, tag=tags["reached"], counts_as_contact=False)
    assert selectors.effective_touch_counts(dt.date(2026, 11, 24)) == {}
    assert_equal_to_recount()
    services.result_tag_update(actor=admin, tag=tags["reached"], counts_as_contact=True)
    assert selectors.effective_touch_counts(dt.date(2026, 11, 24)) == {
        org.rep_a.pk: 1,
        org.rep_b.pk: 1,
    }
    assert_equal_to_recount()


def test_rebuild_repairs_a_damaged_rollup(org, tags):
    log(org.rep_a, tags["reached"], at(24, 9, 0), 60)
    log(org.rep_b, tags["reached"], at(25, 9, 0), 60)
    ActivityRollup.objects.update(activities=7, effective=3)
    rollup.rebuild(owner_ids=[org.rep_a.pk])
    assert stored()[(org.rep_a.pk, dt.date(2026, 11, 24), 9)] == (1, 1)
    assert stored()[(org.rep_b.pk, dt.date(2026, 11, 25), 9)] == (7, 3)
    rollup.rebuild()
    assert_equal_to_recount()


def test_touch_counts_follow_visibility(org, tags):
    log(org.rep_a, tags["reached"], at(24, 9, 0), 60)
    log(org.rep_d, tags["reached"], at(24, 9, 0), 60)
    day = dt.date(2026, 11, 24)
    assert selectors.effective_touch_counts(day, user=org.rep_a) == {org.rep_a.pk: 1}
    assert selectors.effective_touch_counts(day, user=org.manager_south) == {org.rep_d.pk: 1}
    assert selectors.effective_touch_counts(day, user=org.director) == {
        org.rep_a.pk: 1,
        org.rep_d.pk: 1,
    }
