"""The demo organisation (``salesops demo``): logins, data quality, determinism, audit."""

import datetime as dt
from collections import Counter

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from stdnum.cn import uscc

from salesops import demo
from salesops.core import clock
from salesops.core.tests.shareddata import shared_data
from salesops.customers.models import Account, Contact, DecisionRole
from salesops.demo.build import DemoExists, build, fingerprint
from salesops.org.models import Role, Team, TeamKind, User

pytestmark = pytest.mark.django_db

STAFF_LOGINS = {"director", "admin", "finance", "cs"}
MANAGER_LOGINS = {"manager_east", "manager_south", "manager_north", "manager_west"}
SMALL_REPS = {f"rep{n:02d}" for n in range(1, 21)}


@pytest.fixture(scope="class")
def small_once(django_db_setup, django_db_blocker):
    """The small demo, built once for the class below (in an outer transaction rolled
    back after its last test: salesops/core/tests/shareddata.py)."""
    with shared_data(django_db_blocker):
        yield build("small")


@pytest.fixture
def small(small_once, db):
    return small_once


def _build_and_fingerprint(size="small") -> str:
    """Build into the test database, take the digest, roll the build back."""
    with transaction.atomic():
        build(size)
        digest = fingerprint()
        transaction.set_rollback(True)
    return digest


def test_two_builds_give_identical_data(db):
    first = _build_and_fingerprint()
    assert not Account.objects.exists()  # rolled back: the second build starts empty
    second = _build_and_fingerprint()
    assert first == second
    # and another seed gives other data
    with transaction.atomic():
        build("small", seed=demo.SEED + 1)
        other = fingerprint()
        transaction.set_rollback(True)
    assert other != first


def test_build_refuses_when_the_demo_logins_exist(org):
    with pytest.raises(DemoExists, match="director"):
        build("small")
    assert not Account.objects.exists()


def test_if_empty_does_nothing_on_a_populated_database(org, capsys):
    users_before = User.objects.count()
    call_command("demo", "--size", "small", "--if-empty")
    assert User.objects.count() == users_before
    assert not Account.objects.exists()
    assert capsys.readouterr().out == ""


def test_command_builds_into_an_empty_database_and_prints_the_logins(db, capsys):
    call_command("demo", "--size", "small", "--if-empty")
    out = capsys.readouterr().out
    assert Account.objects.count() == 500
    assert "500 accounts" in out and "1,500 contacts" in out
    assert "director" in out and "rep01…rep20" in out and demo.PASSWORD in out
    # and the accounts with contracts have their lifetime value for the 360 page
    from salesops.reports.models import AccountValue

    with_contracts = Account.objects.filter(contracts__isnull=False).distinct().count()
    assert with_contracts and AccountValue.objects.count() == with_contracts
    assert f"lifetime values: {with_contracts} accounts" in out


def test_the_demo_runs_its_rules_once_so_reps_with_overdue_leads_have_messages(db, client):
    """Issue 13: a rep with overdue first contacts never sees an empty inbox."""
    from salesops.automation.models import RuleFiring
    from salesops.leads.defaults import install_rules
    from salesops.leads.models import Lead
    from salesops.notifications.models import Notification

    install_rules()  # as after migrate (the test database has none)
    result = build("small")
    assert result.counts["rule firings"] > 0
    waiting = Lead.objects.filter(
        owner__isnull=False, first_contact_at__isnull=True, status="new"
    ).select_related("owner")
    # overdue: past the working-time deadline (on a weekend, Friday's leads are still running)
    overdue = waiting.filter(sla_due_at__lte=clock.now()).order_by("pk")
    assert overdue.exists()
    for lead in waiting.exclude(pk__in=overdue):
        assert lead.sla_state == "running", lead
    for lead in overdue[:20]:
        titles = Notification.objects.filter(recipient=lead.owner).values_list("title", flat=True)
        assert any(lead.company in t for t in titles), lead
        assert RuleFiring.objects.filter(object_id=lead.pk, rule__code="lead-sla-breach").exists()
        lead.refresh_from_db()
        assert lead.sla_state == "breached"
    rep = overdue[0].owner
    client.force_login(rep)
    page = client.get("/").content.decode()
    assert 'data-testid="empty-waiting"' not in page


class TestTheSmallDemo:
    """Checks that only read the small demo: it is built once for all of them (in an outer
    transaction, rolled back after the last one; each test still runs in its own)."""

    def test_small_demo_has_the_documented_logins_and_teams(self, small, client):
        # given the small demo
        # then exactly the documented logins exist, with their roles
        users = {u.username: u for u in User.objects.select_related("team")}
        assert set(users) == STAFF_LOGINS | MANAGER_LOGINS | SMALL_REPS
        assert users["director"].role == Role.DIRECTOR
        assert users["finance"].role == Role.FINANCE
        assert users["cs"].role == Role.CUSTOMER_SUCCESS
        assert users["admin"].role == Role.ADMIN
        assert users["admin"].is_staff and users["admin"].is_superuser
        assert not users["director"].is_superuser
        assert {users[m].role for m in MANAGER_LOGINS} == {Role.MANAGER}
        assert {users[r].role for r in SMALL_REPS} == {Role.REP}
        # every display name is a Chinese name
        assert all(u.display_name and not u.display_name.isascii() for u in users.values())
        # and the team tree is 总部 → four regions, each led by its manager
        company = Team.objects.get(parent=None)
        assert (company.name, company.kind, company.manager.username) == (
            "总部",
            TeamKind.COMPANY,
            "director",
        )
        regions = {t.name: t for t in Team.objects.filter(parent=company)}
        assert set(regions) == {"华东", "华南", "华北", "西南"}
        for name, (manager, _share) in demo.REGIONS.items():
            team = regions[name]
            assert team.kind == TeamKind.REGION and team.manager.username == manager
            assert team.path.startswith(company.path) and users[manager].team == team
        # reps are spread over all four regions
        assert {users[r].team.name for r in SMALL_REPS} == set(regions)
        # when a rep and the admin log in with the documented password, it works
        assert client.login(username="rep07", password=demo.PASSWORD)
        assert client.login(username="admin", password=demo.PASSWORD)
        assert client.get("/admin/").status_code == 200

    def test_small_demo_counts(self, small):
        assert Account.objects.count() == 500
        assert Contact.objects.count() == 1500
        per_account = Counter(Contact.objects.values_list("account_id", flat=True))
        assert set(per_account.values()) == {3}
        assert small.counts["accounts"] == 500 and small.counts["contacts"] == 1500

    def test_small_demo_has_the_knowledge_base_and_its_use(self, small):
        from salesops.knowledge import selectors as knowledge
        from salesops.knowledge.models import KnowledgeItem, KnowledgeUsage

        assert small.counts["knowledge items"] == KnowledgeItem.objects.count() >= 40
        search = KnowledgeUsage.objects.filter(action="searched").first()
        assert search.account.owner_id == search.user_id
        assert search in knowledge.searches_for_account(search.user, search.account)
        assert knowledge.match(search.query, search.user)  # the demo's searches find items

    def test_reps_wrote_daily_reports_over_the_last_two_weeks(self, small):
        from salesops.activities.models import DailyReport
        from salesops.core import calendar

        reports = DailyReport.objects.select_related("owner")
        today = clock.today()
        assert small.counts["daily reports"] == reports.count() > 0
        days = set(reports.values_list("day", flat=True))
        assert all(today - dt.timedelta(days=14) <= d < today for d in days)
        assert all(calendar.is_workday(d) for d in days)
        assert {r.owner.role for r in reports} == {Role.REP}
        assert all(r.done and r.plans and "activities" in r.snapshot for r in reports[:50])

    def test_credit_codes_are_valid_and_unique(self, small):
        codes = list(Account.objects.values_list("credit_code", flat=True))
        assert len(codes) == len(set(codes)) == 500
        for code in codes:
            assert uscc.validate(code) == code
        names = list(Account.objects.values_list("name", flat=True))
        assert len(set(names)) == len(names)

    def test_phones_are_unique_valid_mobiles_in_e164(self, small):
        phones = list(Contact.objects.values_list("phone", flat=True))
        assert len(phones) == len(set(phones)) == 1500
        for phone in phones:
            number = phonenumbers.parse(phone, None)
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE

    def test_every_account_belongs_to_a_rep_of_its_region(self, small):
        rows = Account.objects.values_list("province", "city", "owner__role", "owner__team__name")
        for province, city, role, team in rows:
            region = demo.region_of_province(province)
            assert role == Role.REP
            assert region == team, f"{province} is not in {team}"
            assert city in {c for c, _code, _w in demo.GEOGRAPHY[region][province]}
        # and the credit code's area code is the city's
        for account in Account.objects.all()[:50]:
            cities = demo.GEOGRAPHY[demo.region_of_province(account.province)][account.province]
            assert account.credit_code[2:8] == {c: code for c, code, _ in cities}[account.city]

    def test_dates_span_the_past_eighteen_months(self, small):
        now = clock.now()
        oldest = Account.objects.earliest("created_at").created_at
        newest = Account.objects.latest("created_at").created_at
        assert now - dt.timedelta(days=560) <= oldest <= now - dt.timedelta(days=365)
        assert newest <= now and newest >= now - dt.timedelta(days=30)
        # a contact is never older than its account
        for contact in Contact.objects.select_related("account")[:300]:
            assert contact.account.created_at <= contact.created_at <= now

    def test_decision_chains_vary(self, small):
        roles = Counter(Contact.objects.values_list("decision_role", flat=True))
        assert set(roles) == set(DecisionRole.values)
        chains = {}
        for account_id, role in Contact.objects.values_list("account_id", "decision_role"):
            chains.setdefault(account_id, set()).add(role)
        shapes = Counter(frozenset(chain) for chain in chains.values())
        assert len(shapes) > 20
        assert any(DecisionRole.SIGNATORY not in chain for chain in chains.values())

    def test_history_rows_record_the_creation(self, small):
        for model, total in ((Account, 500), (Contact, 1500)):
            history = model.history.model.objects
            assert history.count() == total
            assert set(history.values_list("history_type", "history_change_reason")) == {
                ("+", "demo")
            }
            assert not history.filter(history_user__isnull=False).exists()
        account = Account.objects.order_by("?").first()
        record = account.history.get()
        assert record.history_date == account.created_at
        assert (record.name, record.credit_code, record.owner_id) == (
            account.name,
            account.credit_code,
            account.owner_id,
        )

    def test_build_refuses_a_database_with_accounts(self, small):
        with pytest.raises(DemoExists, match="already has accounts"):
            build("small")
        with pytest.raises(CommandError, match="already has accounts"):
            call_command("demo", "--size", "small")
        assert Account.objects.count() == 500

    def test_small_demo_has_contracts_with_plans_payments_and_after_sales(self, small):
        from decimal import Decimal

        from salesops.aftersales.models import NpsResponse, Renewal, ServiceTicket, nps_category
        from salesops.revenue.models import Contract, Invoice, Payment

        # given the small demo, about a third of the accounts have contracts
        contracts = list(Contract.objects.prefetch_related("instalments", "deliveries"))
        with_contracts = {c.account_id for c in contracts}
        assert 100 <= len(with_contracts) <= 250
        assert small.counts["contracts"] == len(contracts)
        for contract in contracts:
            # each payment plan adds up to 100 % and to the contract amount exactly
            plan = contract.instalments.all()
            assert len(plan) in (2, 3)
            assert sum(i.percent for i in plan) == Decimal("100")
            assert sum(i.amount for i in plan) == contract.amount
            assert Decimal("50000") <= contract.amount <= Decimal("800000")
            assert 2 <= len(contract.deliveries.all()) <= 4
        # payments settle instalments, each with its invoice; a few past-due ones stay open
        assert (
            Payment.objects.filter(instalment__isnull=False).count() == Payment.objects.count() > 0
        )
        assert Invoice.objects.count() == Payment.objects.count()
        today = clock.today()
        overdue = [
            i
            for c in contracts
            for i in c.instalments.all()
            if c.signed_on and i.due_on < today and not i.payments.exists()
        ]
        assert overdue
        # tickets carry their derived response times, NPS answers their category
        ticket = ServiceTicket.objects.filter(first_response_at__isnull=False).first()
        stored = (ticket.response_working_minutes, ticket.response_hours)
        ticket.derive_times()
        assert (ticket.response_working_minutes, ticket.response_hours) == stored
        assert NpsResponse.objects.exists()
        for score, category in NpsResponse.objects.values_list("score", "category"):
            assert category == nps_category(score)
        assert Renewal.objects.filter(due_on__gt=today, status="pending").exists()
        # and the new records have their "created" history rows
        assert Contract.history.count() == len(contracts)

    def test_an_account_360_page_renders_for_its_owner(self, small, client):
        from salesops.revenue.models import Contract

        # given a demo account with a contract
        contract = Contract.objects.filter(payments__isnull=False).select_related("account__owner")[
            0
        ]
        account = contract.account
        # when its owner opens the Account 360 page
        client.force_login(account.owner)
        response = client.get(f"/customers/accounts/{account.pk}/360/")
        # then it shows the contract
        assert response.status_code == 200
        assert contract.number in response.content.decode()

    def test_small_demo_change_log_shows_the_admins_recent_cap_changes(self, small, client):
        from salesops.org.models import UserChange

        changes = list(UserChange.objects.filter(created=False).order_by("changed_at"))
        assert len(changes) == 3
        assert {c.field for c in changes} == {"daily_lead_cap"}
        assert all(c.changed_by.username == "admin" and c.changed_at < clock.now() for c in changes)
        client.force_login(User.objects.get(username="director"))
        page = client.get("/me/user-changes/")
        assert page.status_code == 200 and page.context["page_obj"].paginator.count == 3

    def test_demo_customer_success_has_a_book_and_a_filled_account_picker(self, small, client):
        from salesops.customers.models import Account, AccountLevel
        from salesops.revenue.models import SIGNED_STATUSES, Contract

        # given the small demo's customer-success login
        cs = User.objects.get(username="cs")
        customers = set(
            Contract.objects.filter(status__in=SIGNED_STATUSES).values_list("account_id", flat=True)
        )
        assigned = set(Account.objects.filter(success_owner=cs).values_list("pk", flat=True))
        assert assigned == set(
            Account.objects.filter(level=AccountLevel.A).values_list("pk", flat=True)
        )
        # then they see exactly the customers and their assigned key accounts
        seen = set(Account.objects.visible_to(cs).values_list("pk", flat=True))
        assert customers and assigned and seen == customers | assigned
        # and the complaint form offers those accounts
        client.force_login(cs)
        page = client.get("/aftersales/complaints/new/").content.decode()
        assert page.count("<option value=") > 50
