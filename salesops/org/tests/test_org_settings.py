"""Settings · Organisation (issue 13, item 3): an admin edits the business policy and the
lists on a page; the change is effective at once, audited, and bad input is refused with
the field named and nothing written."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from salesops.core import calendar, choices, orgsettings
from salesops.core.configcache import ConfigCache
from salesops.core.models import CalendarDay, Choice, OrgSettings
from salesops.leads import routing

URL = reverse("org:settings")


def form_data(**changes) -> dict:
    """What the page posts with every value at its default, then ``changes``."""
    data = {
        "default_daily_lead_cap": "15",
        "work_start": "09:00",
        "work_end": "18:00",
        "lunch_start": "",
        "lunch_end": "",
        "extra_holidays": "",
        "extra_workdays": "",
        "dedup_name_certain": "95",
        "dedup_name_review": "80",
        "effective_touch_seconds": "30",
        "checkin_note_max": "20",
        "dwell_top_n": "10",
    }
    data.update({k: str(v) for k, v in changes.items()})
    return data


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


def test_the_page_shows_every_section_to_an_admin(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("routing", "working-time", "dedup", "check-ins", "reports", "lists"):
        assert f'data-testid="section-{section}"' in html
    assert reverse("leads:routing_list") in html  # per-rep caps live on the routing page
    assert 'data-testid="list-industry"' in html


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "director", "finance", "cs"])
def test_only_an_admin_opens_or_saves_the_page(client, org, who):
    client.force_login(getattr(org, who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(default_daily_lead_cap=3)).status_code == 403
    assert client.get(reverse("org:choice_list", args=["industry"])).status_code == 403
    assert not OrgSettings.objects.exists()


def test_the_menu_offers_the_page_to_admins_only(client, org):
    client.force_login(org.admin)
    assert URL in client.get(reverse("home")).content.decode()
    client.force_login(org.rep_a)
    assert URL not in client.get(reverse("home")).content.decode()


def test_a_saved_cap_is_what_routing_uses_at_once(admin_client):
    assert routing._default_cap() == 15
    response = admin_client.post(URL, form_data(default_daily_lead_cap=7))
    assert response.status_code == 302
    assert orgsettings.current().default_daily_lead_cap == 7
    assert routing._default_cap() == 7


def test_a_change_is_audited_with_who_when_before_and_after(admin_client, org):
    admin_client.post(URL, form_data())
    admin_client.post(URL, form_data(default_daily_lead_cap=12, dwell_top_n=20))
    stored = OrgSettings.objects.get()
    latest = stored.history.order_by("-history_date").first()
    assert latest.history_user == org.admin
    delta = latest.diff_against(latest.prev_record)
    changed = {c.field: (c.old, c.new) for c in delta.changes}
    assert changed["default_daily_lead_cap"] == (15, 12)
    assert changed["dwell_top_n"] == (10, 20)
    html = admin_client.get(URL).content.decode()
    assert 'data-field="default_daily_lead_cap"' in html  # the history on the page


def test_working_hours_with_lunch_and_holidays_reach_the_calendar(admin_client, org):
    response = admin_client.post(
        URL,
        form_data(
            lunch_start="12:00",
            lunch_end="13:30",
            extra_holidays="2099-01-06 company day\n2099-01-07",
            extra_workdays="2099-01-10 make-up",
        ),
    )
    assert response.status_code == 302
    cal = calendar.default_calendar()
    assert cal.minutes_per_day == 9 * 60 - 90
    assert not cal.is_workday(dt.date(2099, 1, 6))
    assert cal.is_workday(dt.date(2099, 1, 10))  # a Saturday
    assert CalendarDay.objects.get(day="2099-01-06").note == "company day"
    # removing a day is recorded too
    admin_client.post(URL, form_data(extra_holidays="2099-01-07"))
    assert calendar.is_workday(dt.date(2099, 1, 6))
    removed = CalendarDay.history.filter(day="2099-01-06", history_type="-").get()
    assert removed.history_user == org.admin


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"default_daily_lead_cap": 0}, "default_daily_lead_cap", "greater than or equal to 1"),
        ({"default_daily_lead_cap": -5}, "default_daily_lead_cap", "greater than or equal to"),
        ({"lunch_start": "08:00", "lunch_end": "08:30"}, "lunch_start", "within the working day"),
        ({"lunch_start": "12:00"}, "lunch_end", "both the start and the end"),
        ({"work_start": "18:00", "work_end": "09:00"}, "work_end", "end after it starts"),
        ({"dedup_name_review": 99, "dedup_name_certain": 90}, "dedup_name_review", "not be above"),
        ({"extra_holidays": "2027-13-45 nonsense"}, "extra_holidays", "YYYY-MM-DD"),
        (
            {"extra_holidays": "2027-01-01", "extra_workdays": "2027-01-01"},
            "extra_workdays",
            "both",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_client, changes, field, words):
    response = admin_client.post(URL, form_data(**{"default_daily_lead_cap": 9, **changes}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert not OrgSettings.objects.exists()
    assert not CalendarDay.objects.exists()
    assert orgsettings.current().default_daily_lead_cap == 15


@pytest.mark.usefixtures("config_cache_on")
def test_another_process_sees_a_change_through_the_shared_version(
    org, django_capture_on_commit_callbacks
):
    # given another process's cache of the same settings, holding the default
    other = ConfigCache(orgsettings.cache.name, ttl_setting=orgsettings.cache.ttl_setting)
    assert other.get("policy", orgsettings._build).default_daily_lead_cap == 15
    # when this process saves a new cap and the change commits
    with django_capture_on_commit_callbacks(execute=True):
        orgsettings.org_settings_update(actor=org.admin, default_daily_lead_cap=4)
    # then the other process reads the new value at its next read: its stored value is
    # older than the shared version
    assert other.get("policy", orgsettings._build).default_daily_lead_cap == 4


@pytest.mark.usefixtures("config_cache_on")
def test_a_cached_value_is_kept_until_a_save(org, django_assert_num_queries):
    orgsettings.current()
    with django_assert_num_queries(0):
        orgsettings.current()
    orgsettings.org_settings_update(actor=org.admin, checkin_note_max=30)
    assert orgsettings.current().checkin_note_max == 30


def test_the_service_refuses_a_non_admin(org):
    with pytest.raises(PermissionDenied) as exc:
        orgsettings.org_settings_update(actor=org.manager_east, default_daily_lead_cap=3)
    assert "admin" in str(exc.value)


# --- the workday calendar's gap ----------------------------------------------------------
def test_a_year_without_library_data_or_holidays_is_named(db):
    # chinese-calendar 1.11 knows 2026, not 2027
    assert calendar.years_without_data(dt.date(2026, 12, 2)) == [2027]
    assert calendar.years_without_data(dt.date(2026, 3, 1)) == [2027]
    assert calendar.years_without_data(dt.date(2027, 3, 1)) == [2027, 2028]
    CalendarDay.objects.create(day=dt.date(2027, 1, 1), kind="holiday", note="元旦")
    assert calendar.years_without_data(dt.date(2026, 12, 2)) == []
    assert not calendar.is_workday(dt.date(2027, 1, 1))


def test_the_page_asks_for_the_missing_years_holidays(admin_client, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC))
    html = admin_client.get(URL).content.decode()
    assert 'data-testid="calendar-gap"' in html and "2027" in html
    admin_client.post(URL, form_data(extra_holidays="2027-01-01 元旦"))
    assert 'data-testid="calendar-gap"' not in admin_client.get(URL).content.decode()


# --- lists ---------------------------------------------------------------------------------
def list_data(choice_list_key: str, rows: list[dict]) -> dict:
    stored = list(Choice.objects.filter(choice_list__key=choice_list_key).order_by("order", "id"))
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": str(len(stored)),
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "is_active":
                if value:
                    data[f"rows-{i}-is_active"] = "on"
            else:
                data[f"rows-{i}-{key}"] = str(value)
    return data


def current_rows(key):
    return [
        {
            "code": c.code,
            "label_en": c.label_en,
            "label_zh": c.label_zh,
            "order": c.order,
            "is_active": c.is_active,
        }
        for c in Choice.objects.filter(choice_list__key=key).order_by("order", "id")
    ]


def test_the_lists_are_seeded_with_todays_codes_and_labels(db):
    assert choices.label(choices.INDUSTRY, "software", "en") == "Software & internet"
    assert choices.label(choices.INDUSTRY, "software", "zh-hans") == "软件与互联网"
    assert choices.active_codes(choices.ACCOUNT_LEVEL) == ["A", "B", "C", "D"]
    assert "no_need" in choices.active_codes(choices.LEAD_INVALID_REASON)


def test_an_admin_renames_reorders_deactivates_and_adds_options(admin_client, org):
    rows = current_rows("industry")
    rows[0]["label_zh"] = "制造"
    rows[1]["is_active"] = False  # software
    rows[2]["order"] = 1  # finance first
    rows.append(
        {
            "code": "agri",
            "label_en": "Agriculture",
            "label_zh": "农业",
            "order": 5,
            "is_active": True,
        }
    )
    url = reverse("org:choice_list", args=["industry"])
    response = admin_client.post(url, list_data("industry", rows))
    assert response.status_code == 302, response.context["formset"].non_form_errors()
    codes = choices.active_codes(choices.INDUSTRY)
    assert codes[0] == "finance" and "agri" in codes and "software" not in codes
    assert choices.label(choices.INDUSTRY, "manufacturing", "zh-hans") == "制造"
    # a deactivated code still shows its label and stays valid for a record that has it
    assert choices.label(choices.INDUSTRY, "software", "en") == "Software & internet"
    assert "software" in dict(choices.choices(choices.INDUSTRY, current="software"))
    assert "software" not in dict(choices.choices(choices.INDUSTRY))
    change = Choice.history.filter(code="software").order_by("-history_date").first()
    assert change.history_user == org.admin
    assert admin_client.get(url).status_code == 200


def test_a_duplicate_code_is_refused_and_nothing_is_written(admin_client):
    rows = current_rows("account_level")
    rows.append(
        {"code": "A", "label_en": "Again", "label_zh": "重复", "order": 1, "is_active": True}
    )
    rows[1]["label_en"] = "B – renamed"
    url = reverse("org:choice_list", args=["account_level"])
    response = admin_client.post(url, list_data("account_level", rows))
    assert response.status_code == 200
    errors = " ".join(response.context["formset"].non_form_errors())
    assert "A" in errors and "twice" in errors
    assert choices.label(choices.ACCOUNT_LEVEL, "B", "en") == "B – important"
    assert not Choice.objects.filter(label_en="Again").exists()


def test_a_code_not_in_the_list_is_refused_naming_the_field_and_the_codes(db):
    errors: dict = {}
    choices.check(choices.ACCOUNT_LEVEL, "level", "Z", errors)
    assert errors["level"] == ["level: Z is not one of the allowed codes: A, B, C, D."]


def test_the_page_and_the_lists_speak_chinese(client, org):
    org.admin.language = "zh-hans"
    org.admin.save()
    client.force_login(org.admin)
    html = client.get(URL).content.decode()
    assert "组织设置" in html and "软件与互联网" in html and "默认每日线索上限" in html
