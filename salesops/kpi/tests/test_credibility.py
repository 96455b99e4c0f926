"""Data-credibility lists (K9): source accuracy from the leads' history, level timeliness
from the accounts' history, the red/black thresholds at their edges, the monthly rule, and
the black list reaching reviewers only (page HTML and API)."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from salesops.automation.triggers import nth_workday
from salesops.core import clock
from salesops.core.tests.visibility_matrix import api_client
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account
from salesops.kpi import credibility, review_actions
from salesops.kpi.models import CredibilityEntry, CredibilityList, GrowthPolicy
from salesops.leads import services as lead_services
from salesops.leads.tests.factories import LeadFactory, make_channel
from salesops.revenue.tests.factories import make_contract

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)


def at(day: dt.date, hhmm: str = "10:00") -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day.isoformat()}T{hhmm}"))


@pytest.fixture
def channels(db):
    return make_channel(name="官网"), make_channel(name="展会")


def leads_for(rep, channel, count: int, day: dt.date):
    with clock.frozen(at(day)):
        return [LeadFactory(owner=rep, channel=channel) for _ in range(count)]


def correct(lead, channel, actor, day: dt.date):
    with clock.frozen(at(day, "15:00")):
        lead_services.lead_update(actor=actor, lead=lead, channel=channel.pk)


def signed(account, day: dt.date):
    with clock.frozen(at(day, "09:00")):
        plan = [{"due_on": day + dt.timedelta(days=30), "percent": "100"}]
        return make_contract(account, signed_on=day, instalments=plan)


def backdate(instance, moment: dt.datetime) -> None:
    """simple-history stamps rows with the real time, not the frozen clock: give the
    newest history row of ``instance`` the moment the test means."""
    rows = type(instance).history.filter(id=instance.pk)
    rows.filter(pk=rows.order_by("-history_id").first().pk).update(history_date=moment)


def account_of(rep, day: dt.date):
    with clock.frozen(at(day)):
        account = make_account(rep, level="C")
    backdate(account, at(day))
    return account


def set_level(account, level: str, day: dt.date):
    with clock.frozen(at(day, "16:00")):
        customer_services.account_update(actor=account.owner, account=account, level=level)
    backdate(account, at(day, "16:00"))


def compute(as_of: dt.date = dt.date(2026, 4, 3)) -> None:
    with clock.frozen(at(as_of, "08:00")):
        credibility.compute_month(MARCH)


# --- the figures -------------------------------------------------------------------------


def test_accuracy_counts_leads_whose_channel_was_changed(org, channels):
    web, fair = channels
    leads = leads_for(org.rep_a, web, 5, dt.date(2026, 3, 4))
    correct(leads[0], fair, org.manager_east, dt.date(2026, 3, 6))
    correct(leads[1], fair, org.rep_a, dt.date(2026, 4, 1))  # later, still a correction
    lead_services.lead_update(actor=org.rep_a, lead=leads[2], need="只是改了需求")  # not a source
    leads_for(org.rep_a, web, 1, dt.date(2026, 2, 27))  # February: not counted
    compute()
    entry = CredibilityEntry.objects.get(user=org.rep_a, month=MARCH)
    assert (entry.leads, entry.corrected) == (5, 2)
    assert entry.source_accuracy == Decimal("60.00")
    corrected = {row["id"]: row for row in entry.inputs["corrected"]}
    assert set(corrected) == {leads[0].pk, leads[1].pk}
    assert corrected[leads[0].pk]["from"] == web.pk and corrected[leads[0].pk]["to"] == fair.pk
    assert sorted(entry.inputs["lead_ids"]) == sorted(lead.pk for lead in leads)


def test_a_rep_without_leads_has_no_accuracy_and_no_list(org):
    compute()
    entry = CredibilityEntry.objects.get(user=org.rep_b, month=MARCH)
    assert entry.leads == 0 and entry.source_accuracy is None and entry.listed == ""
    # only reps get entries
    assert not CredibilityEntry.objects.filter(user=org.manager_east).exists()


def test_level_days_until_the_next_level_change_or_still_counting(org):
    quick = account_of(org.rep_a, dt.date(2026, 2, 1))
    slow = account_of(org.rep_a, dt.date(2026, 2, 1))
    other = account_of(org.rep_b, dt.date(2026, 2, 1))
    set_level(quick, "B", dt.date(2026, 2, 20))  # before the contract: not the update
    signed(quick, dt.date(2026, 3, 5))
    set_level(quick, "A", dt.date(2026, 3, 7))  # 2 days later
    set_level(quick, "B", dt.date(2026, 3, 9))  # only the next change counts
    signed(slow, dt.date(2026, 3, 20))  # never updated: open, counted to the computation day
    signed(other, dt.date(2026, 3, 10))  # rep_b's account
    signed(quick, dt.date(2026, 4, 2))  # April: not this month
    compute(as_of=dt.date(2026, 4, 3))
    entry = CredibilityEntry.objects.get(user=org.rep_a, month=MARCH)
    assert entry.level_events == 2
    events = sorted(entry.inputs["events"], key=lambda e: e["signed_on"])
    assert [(e["days"], e["open"], e["level"]) for e in events] == [
        (2, False, "A"),
        (14, True, ""),
    ]
    assert entry.level_days == Decimal("8.00")
    # recomputed later: the open event is still counting
    compute(as_of=dt.date(2026, 4, 10))
    entry.refresh_from_db()
    assert entry.level_days == Decimal("11.50")


def test_an_open_event_counts_at_least_to_the_month_end(org):
    account = account_of(org.rep_a, dt.date(2026, 2, 1))
    signed(account, dt.date(2026, 3, 25))
    compute(as_of=dt.date(2026, 3, 28))  # computed early: still to the 31st
    entry = CredibilityEntry.objects.get(user=org.rep_a, month=MARCH)
    assert entry.inputs["events"][0]["days"] == 6 and entry.inputs["events"][0]["open"]


def test_recomputing_updates_the_same_entry(org, channels):
    leads_for(org.rep_a, channels[0], 2, dt.date(2026, 3, 4))
    compute()
    compute()
    assert CredibilityEntry.objects.filter(user=org.rep_a, month=MARCH).count() == 1


# --- the thresholds ----------------------------------------------------------------------


@pytest.fixture
def policy(db):
    policy = GrowthPolicy.current()
    policy.red_min_accuracy, policy.red_max_days = 95, 3
    policy.black_max_accuracy, policy.black_min_days = 80, 14
    policy.credibility_min_leads = 5
    policy.save()
    return policy


D = Decimal
EDGES = [
    (5, D("95.00"), D("3.00"), CredibilityList.RED),  # both at the red edge
    (5, D("95.00"), None, CredibilityList.RED),  # no qualifying event: nothing late
    (5, D("94.99"), D("1.00"), CredibilityList.NONE),
    (5, D("100.00"), D("3.01"), CredibilityList.NONE),
    (4, D("100.00"), D("0.00"), CredibilityList.NONE),  # too few leads
    (5, D("79.99"), D("0.00"), CredibilityList.BLACK),
    (5, D("80.00"), D("5.00"), CredibilityList.NONE),  # at the black line: not below
    (5, D("100.00"), D("14.00"), CredibilityList.BLACK),  # days at the black line
    (5, D("100.00"), D("13.99"), CredibilityList.NONE),
    (4, D("10.00"), D("30.00"), CredibilityList.NONE),  # too few leads for either list
]


@pytest.mark.parametrize(("leads", "accuracy", "days", "expected"), EDGES)
def test_list_edges(policy, leads, accuracy, days, expected):
    assert credibility.listed(policy, leads, accuracy, days) == expected


def test_computed_lists_use_the_settings(org, channels, policy):
    web, fair = channels
    good = leads_for(org.rep_a, web, 5, dt.date(2026, 3, 2))
    bad = leads_for(org.rep_b, web, 5, dt.date(2026, 3, 2))
    for lead in bad[:2]:
        correct(lead, fair, org.manager_east, dt.date(2026, 3, 3))
    compute()
    entries = {e.user_id: e for e in CredibilityEntry.objects.filter(month=MARCH)}
    assert entries[org.rep_a.pk].listed == CredibilityList.RED
    assert entries[org.rep_b.pk].listed == CredibilityList.BLACK  # 60% < 80%
    assert entries[org.rep_a.pk].inputs["thresholds"]["red_min_accuracy"] == 95
    policy.black_max_accuracy = 50
    policy.save()
    compute()
    assert CredibilityEntry.objects.get(user=org.rep_b, month=MARCH).listed == ""
    assert len(good) == 5


# --- the monthly rule ----------------------------------------------------------------------


def test_the_rule_computes_last_month_on_the_third_working_day(org, channels):
    with clock.frozen(at(dt.date(2026, 3, 1), "07:00")):
        rules = review_actions.install_rules("en")
    assert {r.code for r in rules} == {"kpi-credibility-monthly", "kpi-compliance-nightly"}
    assert review_actions.install_rules("en") == []
    leads_for(org.rep_a, channels[0], 2, dt.date(2026, 3, 4))
    third = nth_workday(2026, 4, 3)
    call_command(
        "tick", "--now", at(third - dt.timedelta(days=1), "08:00").isoformat(), stdout=StringIO()
    )
    assert not CredibilityEntry.objects.filter(month=MARCH).exists()
    call_command("tick", "--now", at(third, "08:00").isoformat(), stdout=StringIO())
    assert CredibilityEntry.objects.get(user=org.rep_a, month=MARCH).leads == 2


# --- who sees the lists ------------------------------------------------------------------


@pytest.fixture
def listed_month(org):
    def entry(user, listed, accuracy):
        return CredibilityEntry.objects.create(
            user=user,
            team=user.team,
            month=MARCH,
            leads=10,
            corrected=0,
            source_accuracy=Decimal(accuracy),
            listed=listed,
        )

    return {
        "red": entry(org.rep_c, CredibilityList.RED, "100"),
        "black": entry(org.rep_b, CredibilityList.BLACK, "40"),
        "own_black": entry(org.rep_a, CredibilityList.BLACK, "50"),
        "south": entry(org.rep_d, CredibilityList.BLACK, "30"),
    }


def page(client, user):
    client.force_login(user)
    response = client.get("/kpi/credibility/?month=2026-03")
    assert response.status_code == 200
    return response.content.decode()


def test_a_rep_sees_the_red_list_and_nothing_of_the_black_list(client, org, listed_month):
    html = page(client, org.rep_a)
    assert 'data-testid="red-list"' in html and "Rep C" in html
    assert 'data-testid="black-list"' not in html
    assert "Rep B" not in html and "Rep D" not in html
    assert "Black list" not in html and "black" not in html.lower().replace("blacklist", "")
    # their own row is there, without the black label
    assert 'data-testid="figure-row" data-user="rep_a"' in html


def test_a_manager_sees_the_black_list_of_their_team(client, org, listed_month):
    html = page(client, org.manager_east)
    assert 'data-testid="black-list"' in html
    assert 'data-testid="black-row" data-user="rep_b"' in html
    assert 'data-testid="black-row" data-user="rep_a"' in html
    assert 'data-user="rep_d"' not in html  # South is not theirs
    html = page(client, org.director)
    assert 'data-testid="black-row" data-user="rep_d"' in html


def test_the_api_leaves_the_black_list_out_for_a_rep(org, listed_month):
    body = api_client(org.rep_a).get("/api/v1/kpi/credibility?month=2026-03-01").json()
    assert "black" not in body
    assert [row["user"]["id"] for row in body["red"]] == [org.rep_c.pk]
    assert [(row["user"]["id"], row["listed"]) for row in body["figures"]] == [(org.rep_a.pk, "")]
    assert "black" not in str(body)
    body = api_client(org.manager_east).get("/api/v1/kpi/credibility?month=2026-03-01").json()
    assert {row["user"]["id"] for row in body["black"]} == {org.rep_a.pk, org.rep_b.pk}


def test_drill_down_for_visible_owners_only(client, org, listed_month):
    entry = listed_month["black"]
    client.force_login(org.rep_a)
    assert client.get(f"/kpi/credibility/{entry.pk}/").status_code == 404
    assert api_client(org.rep_a).get(f"/api/v1/kpi/credibility/{entry.pk}").status_code == 404
    client.force_login(org.manager_east)
    assert client.get(f"/kpi/credibility/{entry.pk}/").status_code == 200
    own = listed_month["own_black"]
    client.force_login(org.rep_a)
    html = client.get(f"/kpi/credibility/{own.pk}/").content.decode()
    assert "Black list" not in html


def test_export_is_for_reviewers(client, org, listed_month):
    client.force_login(org.rep_a)
    assert client.get("/kpi/credibility/export/csv/?month=2026-03").status_code == 403
    client.force_login(org.manager_east)
    response = client.get("/kpi/credibility/export/csv/?month=2026-03")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Rep B" in text and "Rep D" not in text


def test_a_bad_month_names_the_field(client, org, listed_month):
    client.force_login(org.rep_a)
    html = client.get("/kpi/credibility/?month=March").content.decode()
    assert "Month: Enter the month as YYYY-MM" in html
