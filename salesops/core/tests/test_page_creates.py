"""Double-submitting a page's "new" form creates one record (issue 11, item 10c): every
new form carries a one-time token (core.forms.PageFormMixin); the second POST with it
opens the record the first one created."""

import datetime as dt
import re

import pytest

from salesops.aftersales.models import Complaint
from salesops.core.models import FormSubmission
from salesops.customers.tests.factories import make_account
from salesops.revenue.models import Payment
from salesops.revenue.tests.factories import make_contract
from salesops.todos.models import Task

TOKEN_RE = re.compile(r'name="form_token" value="([0-9a-f]{32})"')


def token_in(response) -> str:
    assert response.status_code == 200
    match = TOKEN_RE.search(response.content.decode())
    assert match, "the new form carries a one-time token"
    return match.group(1)


def test_the_task_form_sent_twice_creates_one_task(client, org):
    client.force_login(org.rep_a)
    token = token_in(client.get("/tasks/new/"))
    data = {"title": "回访报价", "form_token": token}
    first = client.post("/tasks/new/", data)
    second = client.post("/tasks/new/", data)
    assert first.status_code == second.status_code == 302
    assert Task.objects.filter(title="回访报价").count() == 1
    # a fresh form is a new task
    data["form_token"] = token_in(client.get("/tasks/new/"))
    assert client.post("/tasks/new/", data).status_code == 302
    assert Task.objects.filter(title="回访报价").count() == 2


def test_a_refused_submission_does_not_use_up_its_token(client, org):
    client.force_login(org.rep_a)
    token = token_in(client.get("/tasks/new/"))
    response = client.post("/tasks/new/", {"title": "", "form_token": token})
    assert response.status_code == 200 and Task.objects.count() == 0
    assert token_in(response) == token  # the corrected form is still the same submission
    assert client.post("/tasks/new/", {"title": "好了", "form_token": token}).status_code == 302
    assert Task.objects.count() == 1


def test_tokens_are_per_user(client, org):
    client.force_login(org.rep_a)
    token = token_in(client.get("/tasks/new/"))
    client.post("/tasks/new/", {"title": "A", "form_token": token})
    client.force_login(org.rep_b)
    client.post("/tasks/new/", {"title": "B", "form_token": token})
    assert sorted(Task.objects.values_list("title", flat=True)) == ["A", "B"]
    assert FormSubmission.objects.count() == 2


def test_without_a_token_the_form_still_works(client, org):
    client.force_login(org.rep_a)
    assert client.post("/tasks/new/", {"title": "旧页面"}).status_code == 302
    assert Task.objects.count() == 1


def test_the_complaint_form_sent_twice_records_one_complaint(client, org):
    account = make_account(org.rep_a)
    client.force_login(org.rep_a)
    url = "/aftersales/complaints/new/"
    data = {
        "account": account.pk,
        "summary": "发货延迟",
        "severity": "minor",
        "raised_on": "2026-03-02",
        "status": "open",
        "form_token": token_in(client.get(url)),
    }
    first = client.post(url, data)
    assert first.status_code == 302, first.context["form"].errors if first.context else ""
    second = client.post(url, data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Complaint.objects.count() == 1


def test_the_payment_form_sent_twice_records_one_payment(client, org):
    contract = make_contract(owner=org.rep_a)
    client.force_login(org.finance)
    url = f"/revenue/contracts/{contract.pk}/payments/new/"
    data = {"amount": "100", "received_on": "2026-03-20", "form_token": token_in(client.get(url))}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/customers/accounts/new/",
        "/customers/contacts/new/",
        "/leads/new/",
        "/aftersales/complaints/new/",
        "/aftersales/nps/new/",
        "/aftersales/tickets/new/",
        "/aftersales/renewals/new/",
        "/tasks/new/",
    ],
)
def test_every_new_form_carries_a_token(client, org, url):
    client.force_login(org.rep_a)
    token_in(client.get(url))


@pytest.mark.parametrize(
    "url", ["/leads/channels/new/", "/leads/routing/new/", "/activities/tags/new/"]
)
def test_every_settings_new_form_carries_a_token(client, org, url):
    client.force_login(org.admin)
    token_in(client.get(url))


def test_the_check_in_sent_twice_logs_one_activity(client, org):
    from salesops.activities.models import Activity

    account = make_account(org.rep_a)
    client.force_login(org.rep_a)
    url = f"/activities/check-in/?account={account.pk}"
    data = {"kind": "visit", "tag": "needs_tech", "seconds": "20"}
    data["form_token"] = token_in(client.get(url))
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Activity.objects.count() == 1


def test_form_tokens_are_forgotten_after_a_day(org):
    from salesops.core import clock
    from salesops.core.sweeps import forget_form_tokens

    now = clock.now()
    old = FormSubmission.objects.create(user=org.rep_a, token="a" * 32)
    FormSubmission.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=2))
    FormSubmission.objects.create(user=org.rep_a, token="b" * 32)
    assert forget_form_tokens(now) == "forgot 1 form token(s)"
    assert list(FormSubmission.objects.values_list("token", flat=True)) == ["b" * 32]
