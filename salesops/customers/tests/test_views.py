"""The account and contact pages, driven through Django's test client as a user would."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salesops.core.history import history_entries
from salesops.customers import services
from salesops.customers.models import Account, Contact

from .factories import credit_code, make_account, make_contact, mobile

ROW_RE = {
    "account": re.compile(r'data-testid="account-row" data-id="(\d+)"'),
    "contact": re.compile(r'data-testid="contact-row" data-id="(\d+)"'),
}


def row_ids(response, kind="account") -> list[int]:
    assert response.status_code == 200
    return [int(i) for i in ROW_RE[kind].findall(response.content.decode())]


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def accounts(org):
    """One account per rep, each with one contact."""
    made = {
        name: make_account(getattr(org, name), name=f"{name} Co")
        for name in ("rep_a", "rep_b", "rep_c", "rep_d")
    }
    for account in made.values():
        make_contact(account, name=f"{account.name} contact")
    return made


@pytest.fixture
def page_size(settings):
    def set_size(n):
        settings.SALESOPS = {**settings.SALESOPS, "PAGE_SIZE": n}

    return set_size


# --- visibility ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("rep_a", {"rep_a"}),
        ("rep_d", {"rep_d"}),
        ("manager_east", {"rep_a", "rep_b", "rep_c"}),
        ("manager_sh", {"rep_c"}),
        ("manager_south", {"rep_d"}),
        ("director", {"rep_a", "rep_b", "rep_c", "rep_d"}),
        ("admin", {"rep_a", "rep_b", "rep_c", "rep_d"}),
        ("finance", {"rep_a", "rep_b", "rep_c", "rep_d"}),
    ],
)
def test_lists_show_only_the_records_the_user_may_see(client, org, accounts, user, sees):
    login(client, getattr(org, user))
    expected = {accounts[name].pk for name in sees}
    assert set(row_ids(client.get("/customers/accounts/"))) == expected
    contacts = set(row_ids(client.get("/customers/contacts/"), "contact"))
    assert contacts == set(
        Contact.objects.filter(account_id__in=expected).values_list("pk", flat=True)
    )


def test_pages_need_a_login(client, accounts):
    account = accounts["rep_a"]
    for url in (
        "/customers/accounts/",
        account.get_absolute_url(),
        "/customers/accounts/export.csv",
        "/customers/contacts/new/",
        f"/customers/accounts/{account.pk}/history/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def _record_pages(kind, pk):
    return [
        ("get", f"customers:{kind}_detail"),
        ("get", f"customers:{kind}_history"),
        ("get", f"customers:{kind}_edit"),
        ("post", f"customers:{kind}_edit"),
        ("get", f"customers:{kind}_delete"),
        ("post", f"customers:{kind}_delete"),
    ]


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_another_reps_record_is_404_on_every_page_and_nothing_changes(client, org, accounts, kind):
    # given rep_a and a record of rep_d's
    account = accounts["rep_d"]
    record = account if kind == "account" else account.contacts.get()
    login(client, org.rep_a)
    post = {"name": "taken over", "level": "A", "decision_role": "other", "account": account.pk}
    for method, route in _record_pages(kind, record.pk):
        url = reverse(route, args=[record.pk])
        response = getattr(client, method)(url, post if method == "post" else None)
        assert response.status_code == 404, (method, route)
    record.refresh_from_db()
    assert record.name != "taken over"
    assert Account.objects.filter(pk=account.pk).exists()
    assert Contact.objects.filter(account=account).count() == 1


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_finance_reads_everything_but_cannot_change_anything(client, org, accounts, kind):
    account = accounts["rep_b"]
    record = account if kind == "account" else account.contacts.get()
    login(client, org.finance)
    detail = client.get(record.get_absolute_url())
    assert detail.status_code == 200
    assert (
        b'data-testid="edit"' not in detail.content
        and b'data-testid="delete"' not in detail.content
    )
    assert client.get(reverse(f"customers:{kind}_history", args=[record.pk])).status_code == 200
    for method, route in _record_pages(kind, record.pk)[2:]:
        response = getattr(client, method)(reverse(route, args=[record.pk]), {"name": "x"})
        assert response.status_code == 404, (method, route)
    assert client.get(reverse(f"customers:{kind}_create")).status_code == 403
    assert client.post(reverse(f"customers:{kind}_create"), {"name": "x"}).status_code == 403
    record.refresh_from_db()
    assert record.name != "x"


def test_a_manager_opens_and_edits_records_of_the_team_subtree(client, org, accounts):
    login(client, org.manager_east)
    rep_c_account = accounts["rep_c"]
    assert client.get(rep_c_account.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("customers:account_edit", args=[rep_c_account.pk]),
        {"name": "Renamed by manager", "level": "B", "owner": org.rep_c.pk},
    )
    assert response.status_code == 302
    rep_c_account.refresh_from_db()
    assert rep_c_account.name == "Renamed by manager"
    assert client.get(accounts["rep_d"].get_absolute_url()).status_code == 404


# --- search, filters, sort, pagination --------------------------------------------------------


def test_search_filters_and_sort(client, org):
    alpha = make_account(
        org.rep_a, name="Alpha 精密制造", industry="manufacturing", level="A", province="江苏省"
    )
    beta = make_account(org.rep_a, name="Beta Software", industry="software", level="B")
    gamma = make_account(org.rep_a, name="Gamma Software", industry="software", level="A")
    make_account(org.rep_d, name="Delta Software", industry="software")  # not visible
    login(client, org.rep_a)
    url = "/customers/accounts/"
    assert row_ids(client.get(url, {"q": "software"})) == [gamma.pk, beta.pk]
    assert row_ids(client.get(url, {"q": "精密"})) == [alpha.pk]
    assert set(row_ids(client.get(url, {"industry": "software", "level": "A"}))) == {gamma.pk}
    assert row_ids(client.get(url, {"province": "江苏省"})) == [alpha.pk]
    assert row_ids(client.get(url, {"sort": "name"})) == [alpha.pk, beta.pk, gamma.pk]
    assert row_ids(client.get(url, {"sort": "-name"})) == [gamma.pk, beta.pk, alpha.pk]
    # a bad filter value is reported, not silently ignored
    response = client.get(url, {"industry": "bogus"})
    assert row_ids(response) == [] and b"is-invalid" in response.content
    response = client.get(url, {"sort": "password"})
    assert row_ids(response) == [] and b'data-testid="filter-errors"' in response.content
    assert b"Sort:" in response.content


def test_sort_headers_keep_the_filters_and_toggle_direction(client, org):
    make_account(org.rep_a, industry="software")
    login(client, org.rep_a)
    html = client.get(
        "/customers/accounts/", {"industry": "software", "sort": "name"}
    ).content.decode()
    link = re.search(r'data-testid="sort-name"\s+href="([^"]+)"', html).group(1)
    assert "industry=software" in link and "sort=-name" in link


def test_manager_filters_by_owner_and_contacts_by_decision_role(client, org, accounts):
    make_contact(accounts["rep_b"], name="Boss", decision_role="signatory")
    login(client, org.manager_east)
    assert row_ids(client.get("/customers/accounts/", {"owner": org.rep_b.pk})) == [
        accounts["rep_b"].pk
    ]
    signatories = row_ids(
        client.get("/customers/contacts/", {"decision_role": "signatory"}), "contact"
    )
    assert signatories == [Contact.objects.get(name="Boss").pk]
    # a rep gets no owner filter at all
    assert b'name="owner"' not in login(client, org.rep_a).get("/customers/accounts/").content


def test_pagination_keeps_the_filters(client, org, page_size):
    page_size(2)
    software = [make_account(org.rep_a, name=f"Soft {i}", industry="software") for i in range(5)]
    make_account(org.rep_a, name="Bank", industry="finance")
    login(client, org.rep_a)
    first = client.get("/customers/accounts/", {"industry": "software", "sort": "name"})
    html = first.content.decode()
    next_link = re.search(r'rel="next" data-testid="page-next"\s+href="([^"]+)"', html).group(1)
    assert "industry=software" in next_link and "sort=name" in next_link and "page=2" in next_link
    seen = row_ids(first)
    for page in (2, 3):
        seen += row_ids(
            client.get(
                "/customers/accounts/", {"industry": "software", "sort": "name", "page": page}
            )
        )
    assert seen == [a.pk for a in software]
    # out of range falls back to the last page rather than failing
    assert row_ids(client.get("/customers/accounts/", {"industry": "software", "page": 99}))


def test_empty_state(client, org):
    login(client, org.rep_a)
    response = client.get("/customers/accounts/")
    assert b'data-testid="empty-state"' in response.content
    assert b'data-testid="new-account"' in response.content
    filtered = client.get("/customers/accounts/", {"q": "nothing"})
    assert b"No accounts match these filters." in filtered.content


def test_list_query_count_does_not_grow_with_the_page_size(client, org, page_size):
    for i in range(30):
        account = make_account([org.rep_a, org.rep_b, org.rep_c][i % 3], industry="software")
        make_contact(account)
    login(client, org.manager_east)
    counts = {}
    for size in (10, 50):
        page_size(size)
        for path, kind in (
            ("/customers/accounts/", "account"),
            ("/customers/contacts/", "contact"),
        ):
            with CaptureQueriesContext(connection) as ctx:
                ids = row_ids(
                    client.get(path, {"industry": "software"} if kind == "account" else {}), kind
                )
            assert len(ids) == min(size, 30)
            counts[(size, kind)] = len(ctx.captured_queries)
    assert counts[(10, "account")] == counts[(50, "account")]
    assert counts[(10, "contact")] == counts[(50, "contact")]


# --- exports -----------------------------------------------------------------------------------


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_holds_exactly_the_filtered_visible_rows(client, org, accounts):
    make_account(org.rep_a, name="上海软件有限公司", industry="software", credit_code=credit_code())
    make_account(org.rep_b, name="Other Soft", industry="software")
    make_account(org.rep_d, name="Invisible Soft", industry="software")
    login(client, org.rep_a)
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        response = client.get("/customers/accounts/export.csv", {"industry": "software", "page": 3})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="accounts-20261123.csv"' in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][0] == "Company name" and "Owner" in rows[0]
    assert [r[0] for r in rows[1:]] == ["上海软件有限公司"]
    assert rows[1][rows[0].index("Industry")] == "Software & internet"


def test_xlsx_export_matches_the_list(client, org, accounts):
    a = make_account(org.rep_b, name="Xlsx Soft", industry="software")
    make_contact(a, name="张三", decision_role="signatory", phone=mobile(77))
    login(client, org.manager_east)
    response = client.get("/customers/contacts/export.xlsx", {"decision_role": "signatory"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Name", "Account", "Phone")
    assert [r[:2] for r in rows[1:]] == [("张三", "Xlsx Soft")]
    assert rows[1][6] == "Signatory"

    everything = client.get("/customers/accounts/export.xlsx")
    names = {
        r[0]
        for r in openpyxl.load_workbook(
            io.BytesIO(b"".join(everything.streaming_content))
        ).active.iter_rows(min_row=2, values_only=True)
    }
    assert names == {"rep_a Co", "rep_b Co", "rep_c Co", "Xlsx Soft"}


def test_export_cannot_smuggle_a_formula(client, org):
    make_account(org.rep_a, name='=HYPERLINK("http://evil")')
    login(client, org.rep_a)
    rows = _csv_rows(client.get("/customers/accounts/export.csv"))
    assert rows[1][0].startswith("'=")
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get("/customers/accounts/export.xlsx").streaming_content))
    ).active
    assert sheet.cell(2, 1).data_type == "s"


def test_export_unknown_format_and_too_many_rows(client, org, settings):
    make_account(org.rep_a)
    make_account(org.rep_a)
    login(client, org.rep_a)
    assert client.get("/customers/accounts/export.pdf").status_code == 404
    settings.SALESOPS = {**settings.SALESOPS, "EXPORT_MAX_ROWS": 1}
    response = client.get("/customers/accounts/export.xlsx", {"level": "C"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("/customers/accounts/?level=C")
    assert b"exports are limited to 1" in response.content


# --- create, edit, delete ------------------------------------------------------------------------


def test_rep_creates_an_account_for_themselves(client, org):
    login(client, org.rep_a)
    form = client.get("/customers/accounts/new/")
    assert b'name="owner"' not in form.content
    assert b'class="form-label required" for="id_name"' in form.content
    response = client.post(
        "/customers/accounts/new/",
        {
            "name": "新客户",
            "credit_code": credit_code(4242).lower(),
            "level": "B",
            "industry": "retail",
        },
        follow=True,
    )
    account = Account.objects.get(name="新客户")
    assert response.redirect_chain[-1][0] == account.get_absolute_url()
    assert account.owner == org.rep_a and account.credit_code == credit_code(4242)
    assert "Account “新客户” created." in response.content.decode()


def test_manager_assigns_an_owner_from_the_team_only(client, org):
    login(client, org.manager_east)
    html = client.get("/customers/accounts/new/").content.decode()
    assert f'value="{org.manager_east.pk}" selected' in html
    assert (
        client.post(
            "/customers/accounts/new/",
            {
                "name": "For rep C",
                "level": "C",
                "owner": org.rep_c.pk,
            },
        ).status_code
        == 302
    )
    assert Account.objects.get(name="For rep C").owner == org.rep_c
    response = client.post(
        "/customers/accounts/new/", {"name": "For rep D", "level": "C", "owner": org.rep_d.pk}
    )
    assert response.status_code == 200 and response.context["form"].errors["owner"]
    assert not Account.objects.filter(name="For rep D").exists()


def test_an_empty_owner_keeps_the_default(client, org):
    login(client, org.manager_east)
    response = client.post(
        "/customers/accounts/new/", {"name": "No owner chosen", "level": "C", "owner": ""}
    )
    assert response.status_code == 302
    assert Account.objects.get(name="No owner chosen").owner == org.manager_east


def test_invalid_credit_code_is_shown_on_its_field_and_nothing_is_saved(client, org):
    login(client, org.rep_a)
    bad = credit_code(5)[:-1] + ("0" if credit_code(5)[-1] != "0" else "1")
    response = client.post(
        "/customers/accounts/new/", {"name": "Bad code", "credit_code": bad, "level": "C"}
    )
    assert response.status_code == 200
    assert "check digit" in response.context["form"].errors["credit_code"][0]
    assert b'data-testid="error-credit_code"' in response.content
    assert not Account.objects.filter(name="Bad code").exists()


def test_every_bad_field_is_reported_in_one_answer(client, org):
    login(client, org.rep_a)
    response = client.post(
        "/customers/accounts/new/", {"name": "  ", "credit_code": "123", "level": "C"}
    )
    errors = response.context["form"].errors
    assert set(errors) == {"name", "credit_code"}
    assert "18 characters" in errors["credit_code"][0]
    assert not Account.objects.exists()


def test_duplicate_credit_code_links_to_the_visible_record(client, org):
    code = credit_code()
    existing = make_account(org.rep_b, name="First Registration", credit_code=code)
    login(client, org.manager_east)
    response = client.post(
        "/customers/accounts/new/",
        {
            "name": "Again",
            "credit_code": code,
            "level": "C",
            "owner": org.rep_a.pk,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'href="{existing.get_absolute_url()}"' in html and 'data-testid="duplicate-link"' in html
    )
    assert Account.objects.filter(credit_code=code).count() == 1


def test_duplicate_of_an_invisible_record_names_the_owner_but_gives_no_link(client, org):
    code = credit_code()
    existing = make_account(org.rep_d, name="Secret Customer", credit_code=code)
    login(client, org.rep_a)
    response = client.post(
        "/customers/accounts/new/", {"name": "Mine now", "credit_code": code, "level": "C"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert existing.get_absolute_url() not in html and "Secret Customer" not in html
    assert (
        'data-testid="duplicate-alert"' in html
        and "Rep D" in html
        and "ask them or your manager" in html
    )
    assert not Account.objects.filter(name="Mine now").exists()


def test_duplicate_phone_on_a_contact(client, org, accounts):
    taken = accounts["rep_d"].contacts.get()
    login(client, org.rep_a)
    response = client.post(
        "/customers/contacts/new/",
        {
            "account": accounts["rep_a"].pk,
            "name": "Copy",
            "phone": taken.phone,
            "decision_role": "user",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["phone"]
    assert taken.get_absolute_url() not in response.content.decode()
    assert not Contact.objects.filter(name="Copy").exists()


def test_contact_create_preselects_the_account_and_refuses_foreign_accounts(client, org, accounts):
    mine, theirs = accounts["rep_a"], accounts["rep_d"]
    login(client, org.rep_a)
    html = client.get("/customers/contacts/new/", {"account": mine.pk}).content.decode()
    assert f'<option value="{mine.pk}" selected>' in html
    assert theirs.name not in html
    forged = client.post(
        "/customers/contacts/new/", {"account": theirs.pk, "name": "Spy", "decision_role": "user"}
    )
    assert forged.status_code == 200 and forged.context["form"].errors["account"]
    ok = client.post(
        "/customers/contacts/new/",
        {
            "account": mine.pk,
            "name": "李四",
            "phone": "137 0000 1111",
            "decision_role": "it_lead",
        },
    )
    contact = Contact.objects.get(name="李四")
    assert ok["Location"] == contact.get_absolute_url()
    assert contact.phone == "+8613700001111" and contact.account == mine


def test_account_picker_search_returns_matching_options(client, org):
    make_account(org.rep_a, name="Findable Ltd")
    make_account(org.rep_a, name="Other Ltd")
    login(client, org.rep_a)
    response = client.get(
        "/customers/contacts/new/", {"account_q": "findable"}, HTTP_HX_REQUEST="true"
    )
    assert (
        "Findable Ltd" in response.content.decode() and "Other Ltd" not in response.content.decode()
    )


def test_edit_then_history_shows_before_and_after(client, org):
    account = make_account(org.rep_a, name="Before Name", level="C")
    login(client, org.rep_a)
    form = client.get(reverse("customers:account_edit", args=[account.pk]))
    assert 'value="Before Name"' in form.content.decode()
    response = client.post(
        reverse("customers:account_edit", args=[account.pk]),
        {"name": "After Name", "level": "A", "province": "上海市", "city": "上海市"},
    )
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    history = client.get(reverse("customers:account_history", args=[account.pk]))
    html = history.content.decode()
    entries = history.context["entries"]
    assert [e["type"] for e in entries] == ["changed", "created"]
    changes = {c["field"]: (c["old"], c["new"]) for c in entries[0]["changes"]}
    assert changes == {
        "name": ("Before Name", "After Name"),
        "level": ("C – normal", "A – key account"),
    }
    assert "<del>Before Name</del> → <ins>After Name</ins>" in html
    assert "<del>C – normal</del> → <ins>A – key account</ins>" in html
    assert entries[0]["user"] == org.rep_a and "Rep A" in html
    # the tab loaded by htmx is just the partial
    partial = client.get(
        reverse("customers:account_history", args=[account.pk]), HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in partial.content and b"history-change" in partial.content


def test_history_is_one_query_for_the_rows(client, org):
    account = make_account(org.rep_a, level="C")
    for level in ("B", "A", "D", "C", "B"):
        services.account_update(actor=org.rep_a, account=account, level=level)
    services.account_update(actor=org.manager_east, account=account, owner=org.rep_b)
    with CaptureQueriesContext(connection) as ctx:
        entries = history_entries(account)
    # one for the rows with the users, one to name the owners the last change moved between
    assert len(ctx.captured_queries) == 2
    assert entries[0]["changes"] == [
        {"field": "owner", "label": "owner", "old": "Rep A", "new": "Rep B"}
    ]
    assert len(entries) == 7


def test_contact_edit_and_history(client, org, accounts):
    contact = accounts["rep_a"].contacts.get()
    login(client, org.rep_a)
    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {
            "account": contact.account_id,
            "name": contact.name,
            "phone": contact.phone,
            "decision_role": "finance_approver",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("customers:contact_history", args=[contact.pk])).content.decode()
    assert "<del>Other</del> → <ins>Finance approver</ins>" in html


def test_delete_needs_a_post_and_takes_the_contacts_along(client, org, accounts):
    account = accounts["rep_a"]
    login(client, org.rep_a)
    url = reverse("customers:account_delete", args=[account.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Its 1 contact will be deleted too." in confirm.content
    assert Account.objects.filter(pk=account.pk).exists()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == "/customers/accounts/"
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.filter(account_id=account.pk).exists()
    assert client.get(account.get_absolute_url()).status_code == 404


def test_contact_delete_returns_to_the_account(client, org, accounts):
    contact = accounts["rep_a"].contacts.get()
    login(client, org.rep_a)
    response = client.post(reverse("customers:contact_delete", args=[contact.pk]))
    assert response["Location"] == accounts["rep_a"].get_absolute_url()
    assert not Contact.objects.filter(pk=contact.pk).exists()


# --- detail pages ----------------------------------------------------------------------------------


def test_account_detail_shows_fields_contacts_and_decision_chain(client, org):
    account = make_account(org.rep_a, name="Chain Co", industry="energy", size_band="200-999")
    make_contact(account, name="Sig", decision_role="signatory")
    make_contact(account, name="IT", decision_role="it_lead")
    make_contact(account, name="IT 2", decision_role="it_lead")
    login(client, org.rep_a)
    html = client.get(account.get_absolute_url()).content.decode()
    assert "Energy" in html and "200–999 employees" in html and "Rep A" in html
    assert "2 of 5 roles reached" in html
    assert html.count('data-testid="contact-row"') == 3
    assert f'href="/customers/contacts/new/?account={account.pk}"' in html
    assert 'data-testid="edit"' in html


def test_contact_detail_links_to_its_account(client, org, accounts):
    contact = accounts["rep_c"].contacts.get()
    login(client, org.manager_sh)
    html = client.get(contact.get_absolute_url()).content.decode()
    assert f'href="{accounts["rep_c"].get_absolute_url()}" data-testid="account-link"' in html
