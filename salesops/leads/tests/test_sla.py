"""The first-contact SLA and the escalation chain (SPEC L6, L7) as default rules of the
automation engine, driven by ``salesops tick --now`` across a lunch break, a night, a
Chinese holiday and a make-up workday."""

from io import StringIO

import pytest
from django.core.management import call_command

from salesops.automation.models import Rule, RuleFiring
from salesops.core import clock
from salesops.leads import services
from salesops.leads.models import Lead, RoutingRule
from salesops.notifications.models import Notification

from .conftest import at
from .factories import intake, make_rule

pytestmark = pytest.mark.django_db


def tick(moment):
    call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


def routed_lead(org, moment, rep=None):
    rep = rep or org.rep_a
    RoutingRule.objects.all().delete()
    make_rule(members=[{"user_id": rep.pk, "weight": 1}], name=f"to {rep.username} {moment}")
    with clock.frozen(moment):
        lead = intake().lead
    assert lead.owner == rep
    return lead


def titles(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_default_rules_are_ordinary_editable_rules(lead_rules):
    assert set(lead_rules) == {
        "lead-sla-reminder",
        "lead-sla-breach",
        "lead-escalation",
        "lead-dwell-top10",
        "lead-pool-digest",
    }
    breach = Rule.objects.get(code="lead-sla-breach")
    assert breach.current_version.trigger["minutes"] == 60
    assert breach.current_version.trigger["unit"] == "working"
    escalation = Rule.objects.get(code="lead-escalation").current_version.trigger
    assert (escalation["minutes"], escalation["repeat_every"]) == (120, 120)
    # installing again changes nothing
    from salesops.leads.defaults import install_rules

    assert install_rules() == []


def test_sla_across_the_lunch_break(org, lead_rules, lunch_break):
    # given a lead assigned at 11:30 with a 12:00–13:30 lunch break
    lead = routed_lead(org, at("2026-11-24", "11:30"))
    # then the first contact is due after 30 minutes before and 30 after lunch
    assert lead.sla_due_at == at("2026-11-24", "14:00")
    assert lead.sla_state == "running"
    tick(at("2026-11-24", "13:44"))
    assert not RuleFiring.objects.filter(entity="lead").exists()
    # the reminder comes 15 working minutes before the deadline
    tick(at("2026-11-24", "13:45"))
    lead.refresh_from_db()
    assert lead.sla_state == "due_soon"
    assert any("within 15 minutes" in t for t in titles(org.rep_a))
    # the breach tells the owner and their manager and turns the badge red
    tick(at("2026-11-24", "14:00"))
    lead.refresh_from_db()
    assert lead.sla_state == "breached"
    assert any("overdue" in t for t in titles(org.rep_a))
    assert any("overdue" in t for t in titles(org.manager_east))


def test_sla_across_the_night(org, lead_rules):
    lead = routed_lead(org, at("2026-11-24", "17:30"))
    assert lead.sla_due_at == at("2026-11-25", "09:30")
    tick(at("2026-11-24", "23:59"))
    assert not RuleFiring.objects.filter(entity="lead").exists()
    tick(at("2026-11-25", "09:15"))
    assert RuleFiring.objects.filter(rule__code="lead-sla-reminder").count() == 1
    assert not RuleFiring.objects.filter(rule__code="lead-sla-breach").exists()


def test_sla_across_national_day_and_the_make_up_workday(org, lead_rules):
    # assigned on the eve of the 10-01..10-07 holiday: due on 10-08 at 09:30
    before = routed_lead(org, at("2026-09-30", "17:30"))
    assert before.sla_due_at == at("2026-10-08", "09:30")
    # assigned on Friday 10-09 at 17:30: Saturday 10-10 is a make-up workday
    friday = routed_lead(org, at("2026-10-09", "17:30"), rep=org.rep_b)
    assert friday.sla_due_at == at("2026-10-10", "09:30")
    tick(at("2026-10-07", "18:00"))
    assert not RuleFiring.objects.filter(entity="lead").exists()
    tick(at("2026-10-08", "09:30"))
    before.refresh_from_db()
    assert before.sla_state == "breached"
    tick(at("2026-10-10", "09:30"))
    friday.refresh_from_db()
    assert friday.sla_state == "breached"


def test_escalation_climbs_three_levels_of_the_manager_chain(org, lead_rules):
    # rep_c's chain: manager_sh → manager_east → director
    lead = routed_lead(org, at("2026-11-24", "10:00"), rep=org.rep_c)
    tick(at("2026-11-24", "11:59"))
    assert not RuleFiring.objects.filter(rule__code="lead-escalation").exists()
    tick(at("2026-11-24", "12:00"))
    assert any("level 0" in t for t in titles(org.manager_sh))
    lead.refresh_from_db()
    assert lead.escalation_level == 1
    tick(at("2026-11-24", "14:00"))
    assert any("level 1" in t for t in titles(org.manager_east))
    tick(at("2026-11-24", "16:00"))
    assert any("level 2" in t for t in titles(org.director))
    lead.refresh_from_db()
    assert lead.escalation_level == 3
    firings = RuleFiring.objects.filter(rule__code="lead-escalation", object_id=lead.pk)
    assert firings.count() == 3
    # a sweep run again fires nothing more
    tick(at("2026-11-24", "16:00"))
    assert firings.count() == 3


def test_the_first_check_in_stops_the_clock(org, lead_rules):
    lead = routed_lead(org, at("2026-11-24", "10:00"))
    services.record_contact(lead_id=lead.pk, at=at("2026-11-24", "10:30"))
    lead.refresh_from_db()
    assert lead.first_contact_at == at("2026-11-24", "10:30")
    assert (lead.status, lead.sla_state) == ("contacted", "met")
    for moment in ("10:45", "11:00", "12:00", "18:00"):
        tick(at("2026-11-24", moment))
    assert not RuleFiring.objects.filter(object_id=lead.pk, entity="lead").exists()
    # a later contact does not move the first-contact time
    services.record_contact(lead_id=lead.pk, at=at("2026-11-24", "15:00"))
    lead.refresh_from_db()
    assert lead.first_contact_at == at("2026-11-24", "10:30")


def test_a_late_first_contact_is_recorded_as_late(org, lead_rules):
    lead = routed_lead(org, at("2026-11-24", "10:00"))
    tick(at("2026-11-24", "11:00"))
    services.record_contact(lead_id=lead.pk, at=at("2026-11-24", "11:10"))
    lead.refresh_from_db()
    assert lead.sla_state == "late"


def test_reassignment_restarts_the_clock(org, lead_rules):
    lead = routed_lead(org, at("2026-11-24", "10:00"))
    tick(at("2026-11-24", "11:00"))
    assert RuleFiring.objects.filter(rule__code="lead-sla-breach").count() == 1
    with clock.frozen(at("2026-11-24", "11:05")):
        services.lead_reassign(
            actor=org.manager_east, lead=lead, owner=org.rep_b, reason="换人跟进"
        )
    lead.refresh_from_db()
    assert lead.sla_due_at == at("2026-11-24", "12:05")
    assert lead.sla_state == "running"
    tick(at("2026-11-24", "12:05"))
    breaches = RuleFiring.objects.filter(rule__code="lead-sla-breach", object_id=lead.pk)
    assert breaches.count() == 2
    assert any("overdue" in t for t in titles(org.rep_b))


def test_switching_the_sla_rule_off_stops_the_badge(org, lead_rules):
    from salesops.automation import services as automation_services

    automation_services.rule_set_active(
        actor=org.admin, rule=Rule.objects.get(code="lead-sla-breach"), active=False
    )
    lead = routed_lead(org, at("2026-11-24", "10:00"))
    assert (lead.sla_due_at, lead.sla_state) == (None, "")
    assert Lead.objects.get(pk=lead.pk).sla_state == ""


@pytest.mark.usefixtures("config_cache_on")
def test_an_edit_of_the_sla_minutes_reaches_the_next_lead_with_caching_on(
    org, lead_rules, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesops.automation import services as automation_services
    from salesops.leads import sla

    # given the production cache, and a lead whose due time read the 60-minute policy
    first = routed_lead(org, at("2026-11-24", "10:00"))
    assert first.sla_due_at == at("2026-11-24", "11:00")
    with CaptureQueriesContext(connection) as read:
        assert sla.sla_policy() == (60, "working")
    assert not read.captured_queries  # served from the cache
    # when an admin shortens the SLA rule to 30 working minutes (no restart)
    breach = Rule.objects.get(code="lead-sla-breach")
    trigger = {**breach.current_version.trigger, "minutes": 30}
    automation_services.rule_update(actor=org.admin, rule=breach, trigger=trigger)
    # then the next lead's first contact is due 30 minutes after its assignment
    second = routed_lead(org, at("2026-11-24", "10:00"), rep=org.rep_b)
    assert second.sla_due_at == at("2026-11-24", "10:30")
    assert sla.sla_policy() == (30, "working")
