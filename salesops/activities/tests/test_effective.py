"""SPEC A3: an effective touch needs real interaction, and a typed duration is kept apart
from one the call timer measured — services, the data migration, the API and the pages."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesops.activities import services
from salesops.activities.models import Activity, ResultTag, effective_seconds
from salesops.core import clock

from .conftest import NOON
from .test_api import post, token_client

CHECK_IN = reverse("activities:check_in")


@pytest.mark.parametrize("seconds", [0, 29, 30, 600, 3600])
def test_a_result_that_does_not_count_as_contact_is_never_effective(org, lead_a, seconds):
    activity = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="no_answer", duration_seconds=seconds
    )
    activity.refresh_from_db()
    assert activity.effective is False


def test_the_threshold_is_read_through_one_function(org, lead_a):
    n = effective_seconds()
    short = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", duration_seconds=n - 1
    )
    enough = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", duration_seconds=n
    )
    assert (short.effective, enough.effective) == (False, True)


def test_an_open_call_checked_in_later_is_measured_by_the_timer(org, lead_a):
    with clock.frozen(NOON):
        activity = services.activity_log(actor=org.rep_a, kind="call", lead=lead_a)
    assert activity.duration_source == "none"
    with clock.frozen(NOON + dt.timedelta(seconds=95)):
        done = services.check_in(actor=org.rep_a, activity=activity, tag="no_answer")
    assert done.duration_seconds == 95 and done.duration_source == "timer"
    assert done.effective is False  # nobody answered, however long it rang


def test_a_typed_duration_is_marked_typed(org, lead_a):
    typed = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", duration_seconds=300
    )
    timed = services.activity_log(
        actor=org.rep_a,
        kind="call",
        lead=lead_a,
        tag="demo_booked",
        duration_seconds=300,
        duration_source="timer",
    )
    none = services.activity_log(actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked")
    assert (typed.duration_source, timed.duration_source, none.duration_source) == (
        "typed",
        "timer",
        "none",
    )
    assert typed.effective and timed.effective and not none.effective
    assert typed.duration_typed and not timed.duration_typed


def test_a_bad_source_or_a_timer_without_a_duration_is_refused(org, lead_a):
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a,
            kind="call",
            lead=lead_a,
            tag="demo_booked",
            duration_seconds=40,
            duration_source="guessed",
        )
    assert "duration_source" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.activity_log(
            actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", duration_source="timer"
        )
    assert "duration_source" in exc.value.message_dict
    assert not Activity.objects.exists()


def test_changing_counts_as_contact_recounts_the_tags_activities(org, lead_a):
    long_call = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="call_back", duration_seconds=120
    )
    tag = ResultTag.objects.get(code="call_back")
    services.result_tag_update(actor=org.admin, tag=tag, counts_as_contact=False)
    long_call.refresh_from_db()
    assert long_call.effective is False
    services.result_tag_update(actor=org.admin, tag=tag, counts_as_contact=True)
    long_call.refresh_from_db()
    assert long_call.effective is True


def test_the_data_migration_recounts_rows_and_marks_old_durations_typed(org, lead_a):
    no_answer = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="no_answer", duration_seconds=90
    )
    real = services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", duration_seconds=90
    )
    empty = services.activity_log(actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked")
    # As the first build stored them: 无人接听 for 90 s counted, nothing said where a
    # duration came from
    Activity.objects.update(effective=True, duration_source="none")
    Activity.objects.filter(pk=empty.pk).update(effective=False)
    migration = importlib.import_module("salesops.activities.migrations.0003_duration_source")
    migration.forwards(apps, None)
    rows = {a.pk: a for a in Activity.objects.all()}
    assert rows[no_answer.pk].effective is False
    assert rows[real.pk].effective is True and rows[real.pk].duration_source == "typed"
    assert rows[empty.pk].duration_source == "none"


def test_api_keeps_the_source_and_refuses_a_bad_one(org, lead_a):
    api = token_client(org.rep_a)
    body = {"kind": "call", "lead_id": lead_a.pk, "tag": "demo_booked", "duration_seconds": 40}
    typed = post(api, "/activities", body)
    assert typed.status_code == 201 and typed.json()["duration_source"] == "typed"
    timed = post(api, "/activities", {**body, "duration_source": "timer"})
    assert timed.status_code == 201 and timed.json()["duration_source"] == "timer"
    bad = post(api, "/activities", {**body, "duration_source": "guessed"})
    assert bad.status_code == 422 and "duration_source" in str(bad.json())
    rang = post(api, "/activities", {**body, "tag": "no_answer", "duration_seconds": 300})
    assert rang.status_code == 201 and rang.json()["effective"] is False
    started = post(api, "/activities", {"kind": "call", "lead_id": lead_a.pk, "start": True})
    pk = started.json()["id"]
    done = post(api, f"/activities/{pk}/check-in", {"tag": "demo_booked"})
    assert done.status_code == 200 and done.json()["duration_source"] == "timer"
    assert Activity.objects.count() == 4


def test_check_in_page_keeps_timer_and_typed_apart(client, org, lead_a):
    client.force_login(org.rep_a)
    page = client.get(f"{CHECK_IN}?lead={lead_a.pk}").content.decode()
    assert 'name="duration_source"' in page
    url = f"{CHECK_IN}?lead={lead_a.pk}"
    client.post(url, {"kind": "call", "tag": "demo_booked", "minutes": "2", "seconds": "0"})
    client.post(
        url,
        {
            "kind": "call",
            "tag": "demo_booked",
            "minutes": "1",
            "seconds": "5",
            "duration_source": "timer",
        },
    )
    client.post(url, {"kind": "call", "tag": "no_answer", "minutes": "5"})
    sources = sorted(Activity.objects.values_list("duration_source", "effective"))
    assert sources == [("timer", True), ("typed", False), ("typed", True)]
    html = client.get(reverse("activities:activity_list")).content.decode()
    assert html.count('data-testid="duration-typed"') == 2
    # No duration at all and no result: refused, nothing saved
    response = client.post(url, {"kind": "call"})
    assert "Pick a result to finish the check-in" in response.content.decode()
    assert Activity.objects.count() == 3
