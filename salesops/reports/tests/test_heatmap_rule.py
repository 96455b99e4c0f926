"""The morning heatmap message (issue 15 item 1): the default rule ``team-heatmap-morning``
fires at 08:15 on working days for every manager, with a link to their team's heatmap of
the previous working day and a one-line summary; nothing on holidays; editable."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from salesops.activities import services
from salesops.activities.tests.conftest import account_for
from salesops.activities.tests.factories import ResultTagFactory
from salesops.automation import services as automation_services
from salesops.automation.models import Rule
from salesops.core import clock
from salesops.notifications.models import Notification
from salesops.reports import defaults, heatmap_digest

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def at(day: str, hhmm: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hhmm}"), TZ)


def tick(moment: dt.datetime) -> None:
    call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


@pytest.fixture
def rule(db):
    """The shipped rule, installed as after migrate (before the test's instants)."""
    with clock.frozen(at("2026-07-15", "08:00")):
        (installed,) = defaults.install_rules("en")
    assert defaults.install_rules("en") == []  # installing again changes nothing
    return installed


@pytest.fixture
def touches(org):
    reached = ResultTagFactory(code="reached", counts_as_contact=True)
    for rep, hour in ((org.rep_a, 9), (org.rep_a, 10), (org.rep_c, 11), (org.rep_d, 9)):
        services.activity_log(
            actor=rep,
            kind="call",
            account=account_for(rep, name=f"杭州{rep.username}{hour}科技有限公司"),
            started_at=at("2026-07-14", f"{hour:02d}:00"),
            duration_seconds=60,
            tag=reached,
        )


def morning(user):
    return Notification.objects.filter(recipient=user, kind=heatmap_digest.NOTIFICATION_KIND)


def test_every_manager_gets_their_team_heatmap_at_0815_on_a_workday(org, rule, touches, client):
    tick(at("2026-07-15", "08:14"))
    assert not Notification.objects.filter(kind=heatmap_digest.NOTIFICATION_KIND).exists()
    tick(at("2026-07-15", "08:15"))  # Wednesday: reports Tuesday
    for manager, team in (
        (org.manager_east, org.east),
        (org.manager_sh, org.shanghai),
        (org.manager_south, org.south),
        (org.director, org.company),
    ):
        (message,) = morning(manager)
        assert team.name in message.title and "2026-07-14" in message.title
        assert message.link == f"/reports/heatmap/?team={team.pk}&day=2026-07-14"
    east = morning(org.manager_east).get()
    assert east.body.startswith("3 effective touches")  # rep A twice, rep C (Shanghai)
    assert "Rep B" in east.body and "Rep A" not in east.body and "Rep D" not in east.body
    assert morning(org.manager_sh).get().body.startswith("1 effective touches; every rep")
    assert not morning(org.rep_a).exists()
    # once per morning, however often the sweep runs
    tick(at("2026-07-15", "08:30"))
    assert morning(org.manager_east).count() == 1
    # the link opens the manager's heatmap of that day
    client.force_login(org.manager_east)
    page = client.get(east.link)
    assert page.status_code == 200 and page.context["heatmap"].effective == 3


def test_nothing_on_a_holiday_and_the_first_workday_after_reports_the_last_before(
    org, rule, touches
):
    tick(at("2026-10-01", "08:15"))  # National Day
    tick(at("2026-10-05", "08:15"))
    assert not Notification.objects.filter(kind=heatmap_digest.NOTIFICATION_KIND).exists()
    tick(at("2026-10-08", "08:15"))  # back at work: Wednesday 30 September
    (message,) = morning(org.manager_east)
    assert "2026-09-30" in message.title
    assert "day=2026-09-30" in message.link
    # a weekend sends nothing, a make-up Saturday does (it is a working day)
    tick(at("2026-10-10", "08:15"))
    assert morning(org.manager_east).count() == 2
    tick(at("2026-10-11", "08:15"))
    assert morning(org.manager_east).count() == 2


def test_the_rule_is_editable_like_any_rule(org, rule, touches):
    assert rule.is_active and rule.code == heatmap_digest.RULE_CODE
    version = rule.current_version
    assert version.trigger["cron"] == "15 8 * * *" and version.condition == "is_workday"
    with clock.frozen(at("2026-07-15", "08:01")):
        automation_services.rule_update(
            actor=org.admin, rule=rule, trigger={"every": "daily", "at": "07:45"}
        )
    tick(at("2026-07-16", "07:44"))
    assert not morning(org.manager_east).exists()
    tick(at("2026-07-16", "07:45"))
    (message,) = morning(org.manager_east)
    assert "2026-07-15" in message.title
    tick(at("2026-07-16", "08:15"))
    assert morning(org.manager_east).count() == 1
    # switched off: nothing the next morning
    Rule.objects.filter(pk=rule.pk).update(is_active=False)
    tick(at("2026-07-17", "07:45"))
    assert morning(org.manager_east).count() == 1


def test_the_action_belongs_on_a_schedule_without_an_entity(org):
    definition = defaults.heatmap_rule_definition("en")
    definition.update(code="heatmap-on-leads", trigger_type="event", entity="lead")
    definition["trigger"] = {"event": "lead.created"}
    definition["condition"] = ""
    with pytest.raises(Exception) as excinfo:
        automation_services.rule_create(actor=org.admin, **definition)
    assert "schedule rule without an entity" in str(excinfo.value)
