"""The organisation settings over the API (admins): GET and PUT, refused to others, bad
input a 4xx naming the field, nothing half-written."""

import pytest

from salesops.core import choices, orgsettings
from salesops.core.models import CalendarDay, OrgSettings
from salesops.customers.tests.test_api import assert_error, token_client

URL = "/api/v1/settings/organisation"


def put(client, url, data):
    return client.put(url, data=data, content_type="application/json")


def test_an_admin_reads_and_changes_the_settings(org):
    client = token_client(org.admin)
    body = client.get(URL).json()
    assert body["default_daily_lead_cap"] == 15
    assert body["work_start"].startswith("09:00")
    assert {lst["key"] for lst in body["lists"]} >= {"industry", "lead_invalid_reason"}
    response = put(
        client,
        URL,
        {
            "default_daily_lead_cap": 8,
            "lunch_start": "12:00",
            "lunch_end": "13:00",
            "extra_holidays": [{"day": "2027-01-01", "note": "元旦"}],
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["default_daily_lead_cap"] == 8
    assert orgsettings.current().default_daily_lead_cap == 8
    assert CalendarDay.objects.get().note == "元旦"
    assert 2027 not in response.json()["years_without_data"]


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "director"])
def test_others_are_refused(org, who):
    client = token_client(getattr(org, who))
    assert client.get(URL).status_code == 403
    assert put(client, URL, {"default_daily_lead_cap": 3}).status_code == 403
    assert not OrgSettings.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"default_daily_lead_cap": 0}, "default_daily_lead_cap"),
        ({"lunch_start": "07:00", "lunch_end": "08:00"}, "lunch_start"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(org, data, field):
    client = token_client(org.admin)
    assert_error(put(client, URL, data), 422, "validation_error", field)
    assert not OrgSettings.objects.exists()


def test_a_malformed_date_is_refused(org):
    client = token_client(org.admin)
    response = put(client, URL, {"extra_holidays": [{"day": "2027-13-01"}]})
    assert response.status_code in (400, 422)
    assert "extra_holidays" in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_a_list_is_changed_and_duplicate_codes_refused(org):
    client = token_client(org.admin)
    url = "/api/v1/settings/lists/account_level"
    rows = [o.__dict__ for o in choices.options("account_level")]
    dup = [*rows, {**rows[0], "label_en": "again"}]
    response = put(client, url, dup)
    assert response.status_code == 422
    assert "twice" in response.content.decode()
    rows[3] = {**rows[3], "is_active": False}
    response = put(client, url, rows)
    assert response.status_code == 200, response.content
    assert choices.active_codes("account_level") == ["A", "B", "C"]
