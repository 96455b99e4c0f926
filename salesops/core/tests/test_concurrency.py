"""Optimistic concurrency (issue 11, item 10b): every PATCH endpoint answers GETs with an
ETag and refuses a stale If-Match with 409; every edit form carries a version and shows a
stale edit as a conflict, keeping the user's input. One mechanism (core.concurrency)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from salesops.aftersales.tests.factories import (
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.automation import services as automation_services
from salesops.core.concurrency import ConflictError, claim, version_of
from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account, make_contact
from salesops.leads import services as lead_services
from salesops.leads.tests.factories import lead_data
from salesops.notifications import services as notify_services
from salesops.org.services import api_token_create
from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment
from salesops.todos import services as todo_services

API = "/api/v1"


def client_for(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def _lead(org):
    return lead_services.quick_entry(actor=org.rep_a, data=lead_data()).lead


def _contract(org):
    return make_contract(owner=org.rep_a, milestones=[{"name": "上线", "planned_week": "2026-W40"}])


def _rule(org):
    return automation_services.rule_create(
        actor=org.admin,
        name="Tell the owner",
        trigger_type="event",
        entity="account",
        trigger={"event": "account.created"},
        actions=[{"kind": "notify", "to": ["owner"], "title": "New account {name}"}],
    )


# (path, who edits, how to make the record, a change, another change)
ENDPOINTS = [
    ("accounts", "rep_a", lambda org: make_account(org.rep_a), {"city": "苏州"}, {"city": "无锡"}),
    (
        "contacts",
        "rep_a",
        lambda org: make_contact(make_account(org.rep_a)),
        {"title": "CTO"},
        {"title": "CEO"},
    ),
    ("leads", "rep_a", _lead, {"need": "报价"}, {"need": "演示"}),
    ("contracts", "rep_a", _contract, {"product_line": "ERP"}, {"product_line": "MES"}),
    (
        "payments",
        "finance",
        lambda org: make_payment(_contract(org), actor=org.finance),
        {"reference": "B-1"},
        {"reference": "B-2"},
    ),
    (
        "invoices",
        "finance",
        lambda org: make_invoice(_contract(org), actor=org.finance),
        {"note": "a"},
        {"note": "b"},
    ),
    (
        "deliveries",
        "rep_a",
        lambda org: _contract(org).deliveries.get(),
        {"note": "a"},
        {"note": "b"},
    ),
    (
        "complaints",
        "rep_a",
        lambda org: make_complaint(make_account(org.rep_a)),
        {"details": "a"},
        {"details": "b"},
    ),
    (
        "nps-responses",
        "rep_a",
        lambda org: make_nps(make_account(org.rep_a)),
        {"comment": "a"},
        {"comment": "b"},
    ),
    (
        "service-tickets",
        "rep_a",
        lambda org: make_ticket(make_account(org.rep_a)),
        {"details": "a"},
        {"details": "b"},
    ),
    (
        "renewals",
        "rep_a",
        lambda org: make_renewal(make_account(org.rep_a)),
        {"amount": "13000.00"},
        {"amount": "14000.00"},
    ),
    (
        "tasks",
        "rep_a",
        lambda org: todo_services.task_create(title="回访", assignee=org.rep_a, actor=org.rep_a),
        {"title": "回访 1"},
        {"title": "回访 2"},
    ),
    ("automation/rules", "admin", _rule, {"description": "a"}, {"description": "b"}),
    (
        "notification-channels",
        "admin",
        lambda org: notify_services.channel_create(
            actor=org.admin, kind="email", name="Sales mailbox", email_to="sales@example.com"
        ),
        {"name": "Sales mailbox 1"},
        {"name": "Sales mailbox 2"},
    ),
]
IDS = [e[0] for e in ENDPOINTS]


def patch(client, url, data, **headers):
    return client.patch(url, data=data, content_type="application/json", headers=headers)


@pytest.mark.parametrize(("path", "who", "make", "mine", "theirs"), ENDPOINTS, ids=IDS)
def test_a_stale_patch_is_refused_with_409(org, path, who, make, mine, theirs):
    record = make(org)
    url = f"{API}/{path}/{record.pk}"
    me, colleague = client_for(getattr(org, who)), client_for(getattr(org, who))
    # given: I read the record and keep its ETag
    read = me.get(url)
    assert read.status_code == 200
    etag = read["ETag"]
    assert etag == f'"{version_of(type(record).objects.get(pk=record.pk))}"'
    # and someone saves it after I read it
    saved = patch(colleague, url, theirs, If_Match=etag)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != etag
    # when: I send my change with the ETag I read
    response = patch(me, url, mine, If_Match=etag)
    # then: 409, saying who changed it and when, and their change stays
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict" and body["field"] is None
    assert body["changed_by"] == getattr(org, who).label
    assert body["changed_at"] and body["etag"] == saved["ETag"]
    assert "changed" in body["message"]
    after = me.get(url)
    assert after["ETag"] == saved["ETag"]
    key, value = next(iter(theirs.items()))
    assert str(after.json()[key]) == value
    # with the current ETag (or none at all) the change goes through
    assert patch(me, url, mine, If_Match=saved["ETag"]).status_code == 200
    assert patch(me, url, theirs).status_code == 200


def test_a_refused_patch_writes_nothing_and_keeps_the_etag(org):
    account = make_account(org.rep_a)
    client = client_for(org.rep_a)
    etag = client.get(f"{API}/accounts/{account.pk}")["ETag"]
    response = patch(client, f"{API}/accounts/{account.pk}", {"name": ""}, If_Match=etag)
    assert response.status_code == 422
    assert client.get(f"{API}/accounts/{account.pk}")["ETag"] == etag


def test_if_match_on_a_record_you_cannot_see_is_a_404(org):
    account = make_account(org.rep_a)
    response = patch(
        client_for(org.rep_b), f"{API}/accounts/{account.pk}", {"city": "x"}, If_Match='"1"'
    )
    assert response.status_code == 404 and "changed_by" not in response.json()
    account.refresh_from_db()
    assert account.city != "x"


@pytest.mark.parametrize("path", ["automation/rules", "notification-channels"])
def test_if_match_on_configuration_you_may_not_manage_is_a_403_naming_no_one(org, path):
    record = _rule(org) if path.startswith("automation") else ENDPOINTS[-1][2](org)
    response = patch(
        client_for(org.rep_a), f"{API}/{path}/{record.pk}", {"name": "x"}, If_Match='"1"'
    )
    assert response.status_code == 403 and "changed_by" not in response.json()
    record.refresh_from_db()
    assert record.name != "x"


def test_a_malformed_if_match_is_a_conflict(org):
    account = make_account(org.rep_a)
    client = client_for(org.rep_a)
    response = patch(client, f"{API}/accounts/{account.pk}", {"city": "x"}, If_Match="yesterday")
    assert response.status_code == 409
    assert Account.objects.get(pk=account.pk).city != "x"


def test_every_patch_endpoint_documents_if_match_and_409(client):
    schema = client.get(f"{API}/openapi.json").json()
    wanted = {f"{API}/{path}/{{" for path in IDS} | {f"{API}/result-tags/{{"}
    seen = set()
    for path, operations in schema["paths"].items():
        prefix = path.split("{")[0] + "{"
        if prefix not in wanted or "patch" not in operations:
            continue
        seen.add(prefix)
        patch_op = operations["patch"]
        assert "409" in patch_op["responses"], path
        assert any(p["name"] == "If-Match" for p in patch_op["parameters"]), path
        assert "ETag" in patch_op["responses"]["200"]["headers"], path
        if "get" in operations:
            assert "ETag" in operations["get"]["responses"]["200"]["headers"], path
    assert seen == wanted


def test_claim_is_a_conditional_update_inside_the_transaction(org):
    from django.db import transaction

    account = make_account(org.rep_a)
    version = version_of(account)
    with transaction.atomic():
        claim(Account, account.pk, version)
    Account.objects.get(pk=account.pk).save()
    with transaction.atomic(), pytest.raises(ConflictError):
        claim(Account, account.pk, version)


def test_every_save_moves_the_version_even_with_a_frozen_clock(org, time_machine):
    time_machine.move_to(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    account = make_account(org.rep_a)
    before = version_of(account)
    account.save()
    assert version_of(account) != before


# --- edit forms ---------------------------------------------------------------------------


VERSION_RE = re.compile(r'name="version" value="(\d+)"')


def version_in(response) -> str:
    match = VERSION_RE.search(response.content.decode())
    assert match, "the edit form carries the record's version"
    return match.group(1)


def test_a_stale_account_edit_shows_a_conflict_and_keeps_my_input(client, org):
    account = make_account(org.rep_a, city="上海")
    client.force_login(org.rep_a)
    url = f"/customers/accounts/{account.pk}/edit/"
    page = client.get(url)
    form = page.context["form"]
    data = {
        name: value
        for name, value in ((f.html_name, f.value()) for f in form)
        if value not in (None, "")
    }
    data["version"] = version_in(page)
    # someone else saves the account meanwhile
    client_for(org.manager_east).patch(
        f"{API}/accounts/{account.pk}", data={"city": "杭州"}, content_type="application/json"
    )
    data["city"] = "南京"
    response = client.post(url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "changed by" in text and org.manager_east.label in text
    assert 'value="南京"' in text  # my input is still there
    assert Account.objects.get(pk=account.pk).city == "杭州"  # theirs was not overwritten
    # saving again, having seen the conflict, is a deliberate overwrite
    data["version"] = version_in(response)
    assert client.post(url, data).status_code == 302
    assert Account.objects.get(pk=account.pk).city == "南京"


def test_a_stale_task_edit_is_refused(client, org):
    task = todo_services.task_create(title="回访", assignee=org.rep_a, actor=org.rep_a)
    client.force_login(org.rep_a)
    url = f"/tasks/{task.pk}/"
    version = version_in(client.get(url))
    todo_services.task_update(actor=org.rep_a, task=task, title="回访客户")
    response = client.post(url, {"title": "我的标题", "version": version})
    assert response.status_code == 200
    assert "我的标题" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "回访客户"


def test_a_stale_revenue_policy_edit_is_refused(client, org):
    from salesops.revenue.models import RevenuePolicy
    from salesops.revenue.policy import policy_update

    client.force_login(org.admin)
    version = version_in(client.get("/revenue/policy/"))
    policy_update(actor=org.admin, payment_over_contract="reject")
    response = client.post(
        "/revenue/policy/",
        {"billing_roles": ["finance"], "payment_over_contract": "flag", "version": version},
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert RevenuePolicy.objects.get().payment_over_contract == "reject"


def test_payment_amounts_stay_decimal(org):  # the ETag plumbing keeps the payload intact
    payment = make_payment(_contract(org), actor=org.finance)
    body = client_for(org.finance).get(f"{API}/payments/{payment.pk}").json()
    assert Decimal(body["amount"]) == Decimal("30000.00")


@pytest.mark.django_db(transaction=True)
def test_two_edits_read_at_the_same_version_cannot_both_win(org):
    """The race itself, on PostgreSQL: B claims the version A already claimed and waits
    for A's transaction; when A commits, B finds the version moved on."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("needs a database with concurrent writers (DATABASE_URL=postgres://…)")
    account = make_account(org.rep_a, city="上海")
    version = version_of(account)
    outcome = {}

    def second_writer():
        try:
            with transaction.atomic():
                claim(Account, account.pk, version)
                Account.objects.filter(pk=account.pk).update(city="B")
            outcome["b"] = "saved"
        except ConflictError:
            outcome["b"] = "conflict"
        finally:
            connections.close_all()

    with transaction.atomic():
        claim(Account, account.pk, version)
        thread = threading.Thread(target=second_writer)
        thread.start()
        # wait until B is blocked on A's row (a lock not granted), however long it takes
        with connections["default"].cursor() as cursor:
            while thread.is_alive():
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
        stored = Account.objects.get(pk=account.pk)
        stored.city = "A"
        stored.save()
    thread.join()
    assert outcome["b"] == "conflict"
    assert Account.objects.get(pk=account.pk).city == "A"


def _edit_pages(org):
    from salesops.activities.models import ResultTag
    from salesops.leads.tests.factories import make_channel, make_rule

    account = make_account(org.rep_a)
    task = todo_services.task_create(title="回访", assignee=org.rep_a, actor=org.rep_a)
    return [
        ("rep_a", f"/customers/accounts/{account.pk}/edit/"),
        ("rep_a", f"/customers/contacts/{make_contact(account).pk}/edit/"),
        ("rep_a", f"/leads/{_lead(org).pk}/edit/"),
        ("rep_a", f"/aftersales/complaints/{make_complaint(account).pk}/edit/"),
        ("rep_a", f"/aftersales/nps/{make_nps(account).pk}/edit/"),
        ("rep_a", f"/aftersales/tickets/{make_ticket(account).pk}/edit/"),
        ("rep_a", f"/aftersales/renewals/{make_renewal(account).pk}/edit/"),
        ("rep_a", f"/tasks/{task.pk}/"),
        ("admin", f"/leads/channels/{make_channel().pk}/edit/"),
        ("admin", f"/leads/routing/{make_rule(team=org.east).pk}/edit/"),
        ("admin", f"/activities/tags/{ResultTag.objects.first().pk}/"),
        ("admin", "/revenue/policy/"),
    ]


def test_every_edit_form_carries_the_records_version(client, org):
    for who, url in _edit_pages(org):
        client.force_login(getattr(org, who))
        response = client.get(url)
        assert response.status_code == 200, url
        assert version_in(response), url


def test_a_stale_complaint_edit_keeps_the_input_and_the_other_change(client, org):
    from salesops.aftersales import services as aftersales_services
    from salesops.aftersales.models import Complaint

    complaint = make_complaint(make_account(org.rep_a), details="原始")
    client.force_login(org.rep_a)
    url = f"/aftersales/complaints/{complaint.pk}/edit/"
    page = client.get(url)
    data = {
        f.html_name: f.value()
        for f in page.context["form"]
        if f.value() not in (None, "") and not f.html_name.startswith("custom.")
    }
    aftersales_services.complaint_update(
        actor=org.manager_east, complaint=complaint, details="经理改的"
    )
    data["details"] = "我改的"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "我改的" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).details == "经理改的"
