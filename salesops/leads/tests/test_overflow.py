"""Overflow leads (issue 11, item 13): when every rep of the matching rule is at the daily
cap the lead waits in that team's pool (not a team-less pool), nobody gets a message per
lead, and the pool digest (the default schedule rule ``lead-pool-digest``) tells the
team's manager once per interval how many wait, with a link to the pool filtered by the
team; the manager sees them there and can claim one."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from salesops.automation import services as automation_services
from salesops.automation.models import Rule
from salesops.core import clock
from salesops.leads import pool_digest
from salesops.leads.defaults import rule_definitions
from salesops.leads.models import Assignment, Lead
from salesops.notifications.models import Notification

from .factories import intake, make_channel, make_rule

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-23"


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{DAY}T{hhmm}").replace(tzinfo=SH)


def tick(moment: dt.datetime) -> str:
    out = StringIO()
    call_command("tick", "--now", moment.isoformat(), stdout=out)
    return out.getvalue()


@pytest.fixture
def digest_rule(db):
    """The shipped digest rule, installed as after migrate (before the test's instants)."""
    (definition,) = [d for d in rule_definitions() if d["code"] == pool_digest.RULE_CODE]
    with clock.frozen(at("08:00")):
        return automation_services.rule_create(actor=None, **definition)


@pytest.fixture
def east_full(org):
    """The East rule (rep A, rep B and rep C of its Shanghai group), one lead a day each."""
    for rep in (org.rep_a, org.rep_b, org.rep_c):
        rep.daily_lead_cap = 1
        rep.save()
    make_rule(team=org.east)
    return make_channel()  # a public web form: the channel has no team


def intake_at(moment, channel, n, capture):
    with capture(execute=True), clock.frozen(moment):
        return [intake(channel).lead for _ in range(n)]


def test_full_caps_pool_the_lead_with_its_team_and_one_digest_goes_to_its_manager(
    org, digest_rule, east_full, client, django_capture_on_commit_callbacks
):
    # when 8 leads arrive for the East rule, whose three reps take one each
    got = intake_at(at("09:05"), east_full, 8, django_capture_on_commit_callbacks)
    pooled = [lead for lead in got if lead.owner is None]
    assert len(pooled) == 5
    # then the 5 others wait in East's pool, with the cap as the reason
    assert {lead.team_id for lead in pooled} == {org.east.pk}
    assert all("daily cap" in Assignment.objects.get(lead=lead).reason for lead in pooled)
    # and nobody got a message per lead: not the director, not the manager
    assert not Notification.objects.filter(
        recipient__in=[org.director, org.manager_east, org.manager_sh]
    ).exists()
    # when the digest's instant comes (every 30 minutes)
    tick(at("09:30"))
    # then East's manager gets one message with the count and a link to East's pool
    digest = Notification.objects.get(recipient=org.manager_east)
    assert "5" in digest.title and "East" in digest.title
    assert digest.kind == pool_digest.NOTIFICATION_KIND
    assert digest.link == f"/leads/?owner=none&team={org.east.pk}"
    assert not Notification.objects.filter(recipient=org.director).exists()
    # and nothing more while nothing new arrives
    tick(at("09:30"))
    tick(at("10:00"))
    assert Notification.objects.filter(recipient=org.manager_east).count() == 1
    # the next interval's overflow gets its own digest, counting only the new leads
    intake_at(at("10:10"), east_full, 2, django_capture_on_commit_callbacks)
    tick(at("10:30"))
    latest = Notification.objects.filter(recipient=org.manager_east).order_by("-pk").first()
    assert "2" in latest.title
    assert Notification.objects.filter(recipient=org.manager_east).count() == 2
    assert "7" in latest.body  # 5 earlier + 2 new still wait in East's pool

    # the manager opens the link: the pool of East lists the pooled leads
    client.force_login(org.manager_east)
    page = client.get(digest.link)
    assert page.status_code == 200
    for lead in pooled:
        assert lead.company in page.content.decode()
    # and takes one
    lead = pooled[0]
    response = client.post(f"/leads/{lead.pk}/claim/")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == org.manager_east and lead.team_id == org.east.pk
    # a rep of East sees East's pool too, a rep of another region does not
    assert Lead.objects.visible_to(org.rep_b).filter(pk=pooled[1].pk).exists()
    assert not Lead.objects.visible_to(org.rep_d).filter(pk=pooled[1].pk).exists()


def test_the_interval_is_the_rule_schedule_an_admin_edits(
    org, digest_rule, east_full, django_capture_on_commit_callbacks
):
    # given the admin makes the digest hourly at minute 0
    with clock.frozen(at("08:30")):
        automation_services.rule_update(
            actor=org.admin, rule=digest_rule, trigger={"cron": "0 * * * *"}
        )
    tick(at("09:00"))
    intake_at(at("09:05"), east_full, 5, django_capture_on_commit_callbacks)
    for moment in ("09:15", "09:30"):
        tick(at(moment))
    intake_at(at("09:35"), east_full, 1, django_capture_on_commit_callbacks)
    tick(at("09:45"))
    # then nothing is sent before the hour
    assert not Notification.objects.filter(recipient=org.manager_east).exists()
    tick(at("10:00"))
    (digest,) = Notification.objects.filter(recipient=org.manager_east)
    assert "3" in digest.title  # 6 leads, 3 reps with a cap of 1


def test_leads_no_rule_matched_go_to_the_director_in_one_digest(
    org, digest_rule, django_capture_on_commit_callbacks
):
    make_rule(condition="province == '西藏自治区'", members=[{"user_id": org.rep_a.pk}])
    got = intake_at(at("09:05"), make_channel(), 4, django_capture_on_commit_callbacks)
    assert all(lead.owner is None and lead.team_id is None for lead in got)
    assert not Notification.objects.filter(recipient=org.director).exists()
    tick(at("09:30"))
    (digest,) = Notification.objects.filter(recipient=org.director)
    assert "4" in digest.title and digest.link == "/leads/?owner=none"


def test_the_digest_rule_is_shipped_switchable_and_checked(org, digest_rule, client):
    assert Rule.objects.get(code="lead-pool-digest").is_active
    # an admin finds it at /automation/ with its schedule, and may edit it there
    client.force_login(org.admin)
    for url in (
        f"/automation/rules/{digest_rule.pk}/",
        f"/automation/rules/{digest_rule.pk}/edit/",
    ):
        page = client.get(url)
        assert page.status_code == 200 and "*/30 * * * *" in page.content.decode()
    preview = automation_services.rule_preview(actor=org.admin, rule=digest_rule)
    assert preview["actions"][0]["kind"] == pool_digest.ACTION_KIND
    # the action only makes sense on a schedule without an entity
    with pytest.raises(Exception) as err:
        automation_services.rule_create(
            actor=org.admin,
            name="wrong",
            trigger_type="timer",
            entity="lead",
            trigger={"field": "created_at", "minutes": 5},
            actions=[{"kind": pool_digest.ACTION_KIND}],
        )
    assert "actions.0.kind" in str(err.value)


def test_a_rule_listing_reps_without_a_team_pools_with_the_first_rep_team(org):
    org.rep_c.daily_lead_cap = 0
    org.rep_c.save()
    make_rule(members=[{"user_id": org.rep_c.pk}])
    lead = intake(make_channel()).lead
    assert lead.owner is None and lead.team_id == org.shanghai.pk
    assert Lead.objects.visible_to(org.manager_sh).filter(pk=lead.pk).exists()
