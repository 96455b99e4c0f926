"""The home page per role (issue 13 item 1): what each role sees, visibility, the query
count of the team board, and its reassign action within the daily cap (L5). The clock
stands at 2026-07-15 10:00 Shanghai (conftest)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from salesops.aftersales.tests.factories import make_complaint, make_renewal, make_ticket
from salesops.core import calendar, clock, orgsettings
from salesops.customers.tests.factories import make_account
from salesops.leads.models import Assignment, DailyLeadCount, Lead
from salesops.leads.tests.factories import LeadFactory, intake, make_rule
from salesops.org.tests.factories import UserFactory
from salesops.reports.home import board, director, queues, rep
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.todos.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def overdue_lead(owner, minutes_ago=90):
    """A lead of ``owner`` assigned ``minutes_ago``, its first contact already due."""
    lead = LeadFactory(owner=owner)
    Lead.objects.filter(pk=lead.pk).update(
        assigned_at=clock.now() - dt.timedelta(minutes=minutes_ago),
        sla_due_at=clock.now() - dt.timedelta(minutes=minutes_ago - 60),
        sla_state="breached",
    )
    return Lead.objects.get(pk=lead.pk)


def running_lead(owner, minutes_left=30):
    lead = LeadFactory(owner=owner)
    Lead.objects.filter(pk=lead.pk).update(
        assigned_at=clock.now(),
        sla_due_at=clock.now() + dt.timedelta(minutes=minutes_left),
        sla_state="running",
    )
    return Lead.objects.get(pk=lead.pk)


# --- rep ------------------------------------------------------------------------------------
def test_rep_today_lists_overdue_first_and_only_their_own(org):
    later = running_lead(org.rep_a, 30)
    late = overdue_lead(org.rep_a, 150)
    overdue_lead(org.rep_b)  # someone else's
    data = rep.today(org.rep_a)
    assert [lead.pk for lead in data["waiting"]] == [late.pk, later.pk]
    assert (data["waiting_count"], data["overdue_count"]) == (2, 1)
    assert data["waiting"][0].overdue and not data["waiting"][1].overdue
    assert "late" in data["waiting"][0].sla_left
    assert "left" in data["waiting"][1].sla_left


def test_rep_today_escalations_tasks_and_checkins(org):
    escalated = overdue_lead(org.rep_a, 200)
    Lead.objects.filter(pk=escalated.pk).update(escalation_level=1)
    TaskFactory(assignee=org.rep_a, due_at=clock.now() - dt.timedelta(hours=1), title="回电")
    TaskFactory(assignee=org.rep_a, due_at=clock.now() + dt.timedelta(days=3), title="later")
    TaskFactory(assignee=org.rep_b, due_at=clock.now(), title="not mine")
    from salesops.activities.tests.factories import ActivityFactory

    ActivityFactory(owner=org.rep_a, lead=escalated)  # no tag: unfinished
    data = rep.today(org.rep_a)
    assert [lead.pk for lead in data["escalations"]] == [escalated.pk]
    assert [t.title for t in data["tasks"]] == ["回电"]
    assert data["checkin_count"] == 1
    assert data["touches"]["today"] == 0


def test_rep_home_page_and_its_empty_states(client, org):
    client.force_login(org.rep_a)
    page = client.get("/").content.decode()
    for empty in ("empty-waiting", "empty-escalations", "empty-tasks", "empty-checkins"):
        assert f'data-testid="{empty}"' in page
    late = overdue_lead(org.rep_a)
    page = client.get("/").content.decode()
    assert 'data-testid="empty-waiting"' not in page
    assert late.company in page
    assert 'data-overdue="1"' in page
    assert "?owner=me&amp;status=open&amp;sla=breached" in page


def test_rep_home_in_chinese(client, org):
    org.rep_a.language = "zh-hans"
    org.rep_a.save(update_fields=["language"])
    overdue_lead(org.rep_a)
    client.force_login(org.rep_a)
    page = client.get("/").content.decode()
    assert "待首次联系" in page and "已超时" in page


def test_sla_breach_reaches_the_owners_inbox(org):
    """The default breach rule notifies the owner in the app: a rep with an overdue
    first contact never has an empty inbox."""
    from salesops.automation import engine
    from salesops.leads.defaults import install_rules
    from salesops.notifications.models import Notification

    with clock.frozen(clock.now() - dt.timedelta(days=2)):
        install_rules()
    make_rule(members=[{"user_id": org.rep_a.pk}], name="to rep a")
    with clock.frozen(clock.now() - dt.timedelta(hours=3)):
        lead = intake().lead
    assert lead.owner == org.rep_a
    engine.run_timers(clock.now())
    titles = list(Notification.objects.filter(recipient=org.rep_a).values_list("title", flat=True))
    assert any("overdue" in t for t in titles), titles
    assert any("within 15 minutes" in t for t in titles), titles


# --- manager --------------------------------------------------------------------------------
def test_team_board_shows_only_the_managers_subtree(org):
    overdue_lead(org.rep_a)
    overdue_lead(org.rep_d)
    rows = board.rep_rows(org.manager_east)
    assert {r["rep"].username for r in rows} == {"rep_a", "rep_b", "rep_c"}
    row_a = next(r for r in rows if r["rep"] == org.rep_a)
    assert (row_a["open"], row_a["overdue"], row_a["cap"]) == (1, 1, 15)
    south = board.rep_rows(org.manager_south)
    assert [r["rep"].username for r in south] == ["rep_d"]


def test_team_board_counts_today_against_the_cap(org):
    org.rep_a.daily_lead_cap = 2
    org.rep_a.save(update_fields=["daily_lead_cap"])
    make_rule(members=[{"user_id": org.rep_a.pk}], name="to rep a")
    intake()
    intake()
    row = next(r for r in board.rep_rows(org.manager_east) if r["rep"] == org.rep_a)
    assert (row["today"], row["cap"], row["full"]) == (2, 2, True)


def test_team_board_query_count_does_not_grow_with_reps(org, django_assert_max_num_queries):
    for i in range(12):
        UserFactory(username=f"east_{i}", display_name=f"East {i}", team=org.east)
    for r in list(board.team_reps(org.manager_east))[:6]:
        overdue_lead(r)
    org.manager_east._subordinate_ids = None
    with django_assert_max_num_queries(12):
        data = board.team_board(org.manager_east, {})
    assert len(data["rows"]) == 15
    for i in range(20):
        UserFactory(username=f"more_{i}", team=org.east)
    fresh = type(org.manager_east).objects.get(pk=org.manager_east.pk)
    with django_assert_max_num_queries(12):
        assert len(board.team_board(fresh, {})["rows"]) == 35


def test_team_board_filters_pool_escalated_breached(org):
    pooled = LeadFactory()
    Lead.objects.filter(pk=pooled.pk).update(owner=None, team=org.east)
    late = overdue_lead(org.rep_a)
    escalated = overdue_lead(org.rep_b)
    Lead.objects.filter(pk=escalated.pk).update(escalation_level=2)
    overdue_lead(org.rep_d)  # South: not manager_east's
    pks = lambda show: {lead.pk for lead in board.board_leads(org.manager_east, show)}  # noqa: E731
    assert pks("pool") == {pooled.pk}
    assert pks("escalated") == {escalated.pk}
    assert pks("breached") == {late.pk, escalated.pk}


def test_manager_home_page_renders_the_board(client, org):
    overdue_lead(org.rep_a)
    client.force_login(org.manager_east)
    page = client.get("/?show=breached").content.decode()
    assert 'data-testid="home-manager"' in page
    assert page.count('data-testid="rep-row"') == 3
    assert page.count('data-testid="board-lead"') == 1
    assert 'data-testid="board-override"' in page


def test_board_reassign_over_the_cap_needs_the_override(client, org):
    org.rep_b.daily_lead_cap = 0
    org.rep_b.save(update_fields=["daily_lead_cap"])
    lead = overdue_lead(org.rep_a)
    client.force_login(org.manager_east)
    url = reverse("team_reassign", args=[lead.pk])
    response = client.post(url, {"owner": org.rep_b.pk, "reason": "busy"}, follow=True)
    page = response.content.decode()
    assert "New owner" in page and "Rep B" in page and "daily cap is 0" in page
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_a
    response = client.post(url, {"owner": org.rep_b.pk, "reason": ""}, follow=True)
    assert "Say why the lead is reassigned." in response.content.decode()
    response = client.post(
        url, {"owner": org.rep_b.pk, "reason": "busy", "override_cap": "on", "show": "breached"}
    )
    assert response.status_code == 302 and response["Location"] == "/?show=breached"
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_b
    assert Assignment.objects.filter(lead=lead).last().over_cap is True
    assert DailyLeadCount.objects.get(user=org.rep_b, day=clock.today()).count == 1


def test_board_reassign_is_for_managers_and_their_leads(client, org):
    lead = overdue_lead(org.rep_d)
    client.force_login(org.manager_east)
    url = reverse("team_reassign", args=[lead.pk])
    assert client.post(url, {"owner": org.rep_a.pk, "reason": "x"}).status_code == 404
    client.force_login(org.rep_d)
    assert client.post(url, {"owner": org.rep_a.pk, "reason": "x"}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_d


# --- director, finance, customer success, admin ---------------------------------------------
def test_director_figures_by_team_roll_up_the_subtree(org, client):
    overdue_lead(org.rep_a)
    overdue_lead(org.rep_c)
    overdue_lead(org.rep_d)
    contract = make_contract(
        owner=org.rep_a,
        signed_on=dt.date(2026, 7, 2),
        instalments=[{"due_on": dt.date(2026, 7, 10), "percent": "100"}],
    )
    make_payment(contract, amount="30000.00", received_on=dt.date(2026, 7, 10))
    rows = {row["team"].name: row for row in director.by_team(org.director)["rows"]}
    assert rows["East"]["overdue"] == 2  # East and its Shanghai group
    assert rows["Shanghai"]["overdue"] == 1
    assert rows["South"]["overdue"] == 1
    assert rows["Company"]["overdue"] == 3
    assert rows["East"]["signed"] == 1 and rows["South"]["signed"] == 0
    assert rows["East"]["paid"] == Decimal("30000.00")
    client.force_login(org.director)
    page = client.get("/").content.decode()
    assert page.count('data-testid="team-row"') == 4


def test_finance_queue_overdue_and_due_soon(org, client):
    late = make_contract(owner=org.rep_a)  # 30/60/10: the 60 % of 06-30 is overdue
    make_payment(late, amount="30000.00")
    soon = make_contract(
        owner=org.rep_b,
        instalments=[
            {"due_on": dt.date(2026, 7, 20), "percent": "50"},
            {"due_on": dt.date(2026, 12, 20), "percent": "50"},
        ],
    )
    data = queues.finance(org.finance)
    assert [(i.contract_id, i.sequence, i.open_amount) for i in data["overdue"]] == [
        (late.pk, 2, Decimal("60000.00"))
    ]
    assert [(i.contract_id, i.sequence) for i in data["soon"]] == [(soon.pk, 1)]
    client.force_login(org.finance)
    page = client.get("/").content.decode()
    assert 'data-testid="home-finance"' in page and late.number in page


def test_customer_success_queue(org, client):
    account = make_account(org.rep_a)
    complaint = make_complaint(account, summary="发货延迟")
    make_ticket(account, subject="无法登录")
    make_renewal(account, due_on=dt.date(2026, 8, 1))
    data = queues.customer_success(org.director)
    assert [c.pk for c in data["complaints"]] == [complaint.pk]
    assert data["ticket_count"] == 1 and data["renewal_count"] == 1
    client.force_login(org.cs)
    assert client.get("/").status_code == 200


def test_admin_configuration_health(org, client):
    pooled = LeadFactory()
    Lead.objects.filter(pk=pooled.pk).update(owner=None)
    data = queues.admin(org.admin)
    assert data["pool_count"] == 1
    # the workday calendar's gap: a year neither chinese-calendar nor the admin knows
    today = clock.today()
    missing = [y for y in (today.year, today.year + 1) if not calendar.library_knows(y)]
    assert data["calendar_missing_years"] == missing
    client.force_login(org.admin)
    page = client.get("/").content.decode()
    assert 'data-testid="home-admin"' in page and 'data-testid="health-pool"' in page
    assert ('data-testid="calendar-warning"' in page) == bool(missing)
    # once the admin enters that year's holidays, the warning goes
    orgsettings.calendar_days_update(
        actor=org.admin,
        holidays={dt.date(y, 1, 1): "元旦" for y in missing},
        workdays={},
    )
    assert queues.admin(org.admin)["calendar_missing_years"] == []
    assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()


def test_every_role_gets_its_page(client, org):
    expected = {
        "rep_a": "home-rep",
        "manager_east": "home-manager",
        "director": "home-director",
        "finance": "home-finance",
        "cs": "home-cs",
        "admin": "home-admin",
    }
    for username, testid in expected.items():
        client.force_login(getattr(org, username))
        response = client.get("/")
        assert response.status_code == 200, username
        assert f'data-testid="{testid}"' in response.content.decode(), username


def test_dashboard_keeps_the_figures_and_charts(client, org):
    client.force_login(org.rep_a)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200 and "account_count" in response.context


def test_lead_list_filters_escalated_for_the_home_links(client, org):
    escalated = overdue_lead(org.rep_a)
    Lead.objects.filter(pk=escalated.pk).update(escalation_level=1)
    other = overdue_lead(org.rep_a)
    client.force_login(org.rep_a)
    page = client.get(reverse("leads:lead_list") + "?owner=me&status=open&escalated=1")
    body = page.content.decode()
    assert escalated.company in body and other.company not in body


def test_rep_home_query_count_is_bounded(org, django_assert_max_num_queries):
    for _ in range(5):
        overdue_lead(org.rep_a)
    fresh = type(org.rep_a).objects.get(pk=org.rep_a.pk)
    with django_assert_max_num_queries(12):
        rep.today(fresh)
