"""Custom fields on the account and contact pages: forms, detail, list, export."""

import csv
import io
import re

import openpyxl
from django.utils import translation

from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account, make_contact


def login(client, user):
    client.force_login(user)
    return client


def field_block(html: str, name: str) -> str:
    """The markup of one form field (its label, input and messages)."""
    match = re.search(
        rf'<div class="mb-3">\s*<label[^>]*for="id_{re.escape(name)}".*?</div>\s*(?=<div class="mb-3">|</div>)',
        html,
        re.S,
    )
    assert match, f"no field {name}"
    return match.group(0)


def test_form_shows_typed_inputs_for_custom_fields(client, org, define):
    define("budget", "money", label_en="Budget", required=True, help_en="Yearly, in CNY")
    define("closing", "date")
    define("meeting", "datetime")
    define("temp", "choice", default="warm")
    define("tags", "multi_choice")
    define("advisor", "user")
    define("vip", "boolean")
    define("story", "long_text")
    html = login(client, org.rep_a).get("/customers/accounts/new/").content.decode()
    assert 'data-testid="custom-fields"' in html
    budget = field_block(html, "custom.budget")
    assert 'inputmode="decimal"' in budget and "required" in budget and "Yearly, in CNY" in budget
    assert 'type="date"' in field_block(html, "custom.closing")
    assert 'type="datetime-local"' in field_block(html, "custom.meeting")
    assert '<option value="warm" selected>' in field_block(html, "custom.temp")  # the default
    assert "multiple" in field_block(html, "custom.tags")
    assert "Rep A" in field_block(html, "custom.advisor")
    assert "<textarea" in field_block(html, "custom.story")


def test_form_errors_are_shown_on_the_custom_field(client, org, define):
    define("budget", "money", label_en="Budget")
    define("temp", "choice", required=True)
    login(client, org.rep_a)
    response = client.post(
        "/customers/accounts/new/", {"name": "", "custom.budget": "lots", "custom.temp": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Budget: Enter a number" in field_block(html, "custom.budget")
    assert "is-invalid" in field_block(html, "custom.budget")
    assert "Temp is required" in field_block(html, "custom.temp")
    assert 'data-testid="error-name"' in html  # reported together with the model's fields
    assert not Account.objects.exists()


def test_form_saves_and_edits_custom_values(client, org, define):
    define("budget", "money")
    define("tags", "multi_choice")
    define("vip", "boolean")
    define("meeting", "datetime")
    login(client, org.rep_a)
    response = client.post(
        "/customers/accounts/new/",
        {
            "name": "Form Co",
            "level": "C",
            "custom.budget": "2,000",
            "custom.tags": ["hot", "cold"],
            "custom.vip": "true",
            "custom.meeting": "2026-05-01T09:30",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    account = Account.objects.get(name="Form Co")
    assert account.custom == {
        "budget": "2000.00",
        "tags": ["hot", "cold"],
        "vip": True,
        "meeting": "2026-05-01T01:30:00+00:00",
    }
    # The edit form shows the values as entered (local time for the meeting) …
    html = client.get(f"/customers/accounts/{account.pk}/edit/").content.decode()
    assert 'value="2026-05-01T09:30"' in field_block(html, "custom.meeting")
    assert 'value="2000.00"' in field_block(html, "custom.budget")
    # … and clearing a value removes it.
    response = client.post(
        f"/customers/accounts/{account.pk}/edit/",
        {
            "name": "Form Co",
            "level": "C",
            "custom.budget": "",
            "custom.tags": ["hot"],
            "custom.vip": "false",
            "custom.meeting": "2026-05-01T09:30",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.custom == {"tags": ["hot"], "vip": False, "meeting": "2026-05-01T01:30:00+00:00"}


def test_contact_form_has_custom_fields(client, org, define):
    define("hobby", "text", entity="contact", required=True)
    account = make_account(org.rep_a)
    login(client, org.rep_a)
    base = {"account": account.pk, "name": "王五", "decision_role": "other"}
    response = client.post("/customers/contacts/new/", base)
    assert "Hobby is required" in field_block(response.content.decode(), "custom.hobby")
    response = client.post("/customers/contacts/new/", {**base, "custom.hobby": "篮球"})
    assert response.status_code == 302
    assert account.contacts.get().custom == {"hobby": "篮球"}


def test_detail_page_shows_more_fields_with_display_values(client, org, define):
    define("budget", "money", label_en="Budget")
    define("temp", "choice", label_en="Temperature")
    define("vip", "boolean", label_en="VIP")
    define("advisor", "user", label_en="Advisor")
    define("closing", "date", label_en="Closing")
    define("notes2", "text", label_en="Empty one")
    account = make_account(
        org.rep_a,
        custom={
            "budget": "1234567.8",
            "temp": "hot",
            "vip": False,
            "advisor": org.manager_east.pk,
            "closing": "2026-03-31",
        },
    )
    html = login(client, org.rep_a).get(f"/customers/accounts/{account.pk}/").content.decode()
    section = html.split('data-testid="custom-fields"')[1].split("</dl>")[0]
    assert "Budget" in section and "¥1,234,567.80" in section
    assert ">Hot<" in section and ">No<" in section and "Manager East" in section
    assert "Empty one" in section and "—" in section
    assert "2026" in section


def test_contact_detail_shows_more_fields(client, org, define):
    define("hobby", "text", entity="contact", label_en="Hobby")
    contact = make_contact(make_account(org.rep_a), custom={"hobby": "围棋"})
    html = login(client, org.rep_a).get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert 'data-testid="cf-hobby">围棋<' in html


def test_no_more_fields_section_without_definitions(client, org):
    account = make_account(org.rep_a)
    html = login(client, org.rep_a).get(f"/customers/accounts/{account.pk}/").content.decode()
    assert 'data-testid="custom-fields"' not in html


ROW = re.compile(r'data-testid="account-row" data-id="(\d+)"')


def test_list_filters_by_custom_fields(client, org, define):
    define("temp", "choice", show_in_list=True)
    define("vip", "boolean", show_in_list=True)
    define("region_code", "text")
    define("tags", "multi_choice")
    define("budget", "money")
    define("meeting", "datetime")
    a = make_account(
        org.rep_a,
        custom={
            "temp": "hot",
            "vip": True,
            "region_code": "East-1",
            "tags": ["hot", "cold"],
            "budget": "1200",
            "meeting": "2026-05-01T16:30:00+00:00",  # 2 May 00:30 in Shanghai
        },
    )
    b = make_account(org.rep_a, custom={"temp": "cold", "vip": False, "tags": ["cold"]})
    login(client, org.rep_a)

    def ids(**params):
        response = client.get("/customers/accounts/", params)
        assert response.status_code == 200
        return {int(i) for i in ROW.findall(response.content.decode())}

    assert ids(cf_temp="hot") == {a.pk}
    assert ids(cf_temp="Cold") == {b.pk}  # the label works too
    assert ids(cf_vip="false") == {b.pk}
    assert ids(cf_vip="是") == {a.pk}
    assert ids(cf_region_code="east-1") == {a.pk}  # text: equal, ignoring case
    assert ids(cf_tags="cold") == {a.pk, b.pk}
    assert ids(cf_tags="hot") == {a.pk}
    assert ids(cf_budget="1,200.00") == {a.pk}
    assert ids(cf_meeting="2026-05-02") == {a.pk}
    assert ids(cf_meeting="2026-05-01") == set()
    # A bad filter value says why and shows no rows.
    response = client.get("/customers/accounts/", {"cf_temp": "boiling"})
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert ROW.findall(response.content.decode()) == []


def test_list_shows_columns_and_filter_controls_chosen_by_the_admin(client, org, define):
    define("temp", "choice", label_en="Temperature", show_in_list=True)
    define("secret", "text", label_en="Not in lists")
    make_account(org.rep_a, custom={"temp": "warm"})
    html = (
        login(client, org.rep_a).get("/customers/accounts/", {"cf_temp": "warm"}).content.decode()
    )
    assert 'data-testid="cf-column-temp">Temperature<' in html
    assert '<td class="hide-sm">Warm</td>' in html
    assert 'data-testid="filter-cf_temp"' in html
    assert '<option value="warm" selected>' in html
    assert "Not in lists" not in html
    assert 'data-testid="filter-reset"' in html  # a custom filter counts as filtering


def test_contact_list_filters_by_custom_field(client, org, define):
    define("hobby", "text", entity="contact", show_in_list=True)
    account = make_account(org.rep_a)
    chess = make_contact(account, custom={"hobby": "Chess"})
    make_contact(account, custom={"hobby": "Golf"})
    html = login(client, org.rep_a).get("/customers/contacts/", {"cf_hobby": "chess"})
    ids = re.findall(r'data-testid="contact-row" data-id="(\d+)"', html.content.decode())
    assert ids == [str(chess.pk)]


def test_exports_have_one_column_per_active_custom_field(client, org, define):
    from salesops.customization import services

    define("budget", "money", label_en="Budget")
    define("vip", "boolean", label_en="VIP")
    define("tags", "multi_choice", label_en="Tags")
    define("advisor", "user", label_en="Advisor")
    off = define("legacy", "text", label_en="Legacy")
    services.definition_deactivate(actor=org.admin, definition=off)
    make_account(
        org.rep_a,
        name="Export Co",
        custom={"budget": "99.5", "vip": True, "tags": ["hot", "cold"], "advisor": org.rep_a.pk},
    )
    login(client, org.rep_a)
    response = client.get("/customers/accounts/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert header[-4:] == ["Budget", "VIP", "Tags", "Advisor"]
    assert "Legacy" not in header
    assert row[-4:] == ["99.50", "Yes", "Hot, Cold", "Rep A"]
    response = client.get("/customers/accounts/export.xlsx", {"cf_vip": "yes"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][-4] == 99.5  # a number cell, not text
    assert len(values) == 2


def test_labels_follow_the_users_language(client, org, define):
    define("budget", "money", label_zh="预算", label_en="Budget")
    org.rep_a.language = "zh-hans"
    org.rep_a.save()
    with translation.override("zh-hans"):
        html = login(client, org.rep_a).get("/customers/accounts/new/").content.decode()
    assert ">预算<" in html


def test_history_tab_shows_a_custom_field_change(client, org, define):
    from salesops.customers import services

    define("budget", "money")
    account = make_account(org.rep_a, custom={"budget": "1"})
    services.account_update(actor=org.rep_a, account=account, custom={"budget": "2"})
    response = login(client, org.rep_a).get(f"/customers/accounts/{account.pk}/history/")
    assert response.status_code == 200
    assert (
        "Custom fields" in response.content.decode() or "custom fields" in response.content.decode()
    )
