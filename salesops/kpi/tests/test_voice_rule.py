"""The default rules of the growth area: ``kpi-voice-quarterly`` samples the previous
quarter on the first working day of a quarter's first month and does nothing in the other
months; ``kpi-gap-quarterly`` is installed on the same schedule (its action needs
``radar.store_quarter`` from feat/kpi-me: tested by the integrator)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from salesops.automation.triggers import nth_workday
from salesops.core import clock
from salesops.kpi import growth_actions
from salesops.kpi.models import VoiceRound

from .factories_growth import at, closed_accounts

pytestmark = pytest.mark.django_db


def tick(moment):
    call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


@pytest.fixture
def rules(db):
    with clock.frozen(at(dt.date(2026, 6, 25), "08:00")):
        installed = growth_actions.install_rules("en")
    assert growth_actions.install_rules("en") == []  # idempotent
    return installed


def test_both_rules_run_on_the_first_working_day(rules):
    assert sorted(r.code for r in rules) == ["kpi-gap-quarterly", "kpi-voice-quarterly"]
    for rule in rules:
        trigger = rule.current_version.trigger
        assert rule.is_active and trigger["every"] == "monthly_workday" and trigger["workday"] == 1


def test_the_voice_rule_samples_the_previous_quarter_in_its_first_month(org, rules):
    with clock.frozen(at(dt.date(2026, 6, 20))):
        closed_accounts(org.rep_a, 2, dt.date(2026, 5, 5))
    july = nth_workday(2026, 7, 1)
    with clock.frozen(at(july, "09:00")):
        tick(at(july, "09:00"))
    round_ = VoiceRound.objects.get()
    assert (round_.period_start, round_.period_end) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert round_.sampled == 2 and round_.samples.exclude(sent_at=None).count() == 2
    august = nth_workday(2026, 8, 1)
    with clock.frozen(at(august, "09:00")):
        tick(at(august, "09:00"))
    assert VoiceRound.objects.count() == 1


def test_previous_quarter_only_in_a_quarters_first_month():
    assert growth_actions.previous_quarter(dt.date(2026, 1, 2)) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )
    assert growth_actions.previous_quarter(dt.date(2026, 5, 4)) is None
