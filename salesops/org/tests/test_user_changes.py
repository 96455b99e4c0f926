"""Changes to a user's role, team, manager, daily cap and active state are recorded (who,
when, before/after) whichever way they are made, and shown to those who may see them."""

import csv
import io

import pytest

from salesops.org import services
from salesops.org.models import Role, UserChange


def changes_of(user, field=None):
    qs = UserChange.objects.filter(user=user, created=False)
    if field:
        qs = qs.filter(field=field)
    return list(qs.order_by("pk"))


def test_service_records_each_audited_field_with_actor_and_labels(org):
    # when the admin moves rep_a to the South team under manager_south, caps him and
    # makes him a manager
    services.user_update(
        actor=org.admin,
        user=org.rep_a,
        team=org.south,
        manager=org.manager_south,
        daily_lead_cap=7,
        role=Role.MANAGER,
    )
    # then one change per field, with the labels of the time and the raw values
    by_field = {c.field: c for c in changes_of(org.rep_a)}
    assert set(by_field) == {"team", "manager", "daily_lead_cap", "role"}
    assert (by_field["team"].before, by_field["team"].after) == ("East", "South")
    assert by_field["team"].after_value == str(org.south.pk)
    assert (by_field["manager"].before, by_field["manager"].after) == ("", "Manager South")
    assert (by_field["daily_lead_cap"].before_value, by_field["daily_lead_cap"].after) == ("", "7")
    assert by_field["role"].before_value == "rep" and by_field["role"].after_value == "manager"
    assert all(c.changed_by == org.admin for c in by_field.values())


def test_unchanged_fields_and_logins_record_nothing(org, client):
    org.rep_a.display_name = "Rep A renamed"
    org.rep_a.save()
    services.user_update(actor=org.admin, user=org.rep_a, team=org.east)  # same team
    client.post("/login/", {"username": "rep_a", "password": org.password})
    assert changes_of(org.rep_a) == []


def test_deactivation_through_save_with_update_fields_is_recorded(org):
    org.rep_b.is_active = False
    org.rep_b.save(update_fields=["is_active"])
    (change,) = changes_of(org.rep_b)
    assert (change.field, change.before_value, change.after_value) == ("is_active", "True", "False")
    assert change.changed_by is None  # no request, no service actor: "system"


def test_creation_records_the_starting_role_and_team(org):
    user = services.user_create(username="newbie", role=Role.REP, team=org.east)
    rows = UserChange.objects.filter(user=user, created=True)
    assert {(c.field, c.after) for c in rows} == {("role", "Sales rep"), ("team", "East")}


def test_a_manager_cannot_be_their_own_manager(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        services.user_update(actor=org.admin, user=org.rep_a, manager=org.rep_a)
    assert "manager" in err.value.message_dict
    assert changes_of(org.rep_a) == []


def test_django_admin_edit_is_recorded_with_the_admin_as_actor(org, client):
    superuser = services.user_create(username="root", password="x" * 12, is_superuser=True)
    superuser.is_staff = True
    superuser.save()
    client.force_login(superuser)
    page = client.get(f"/admin/org/user/{org.rep_c.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": "rep_c",
            "role": "rep",
            "team": org.south.pk,
            "daily_lead_cap": 3,
            "is_active": "on",
            "language": "zh-hans",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        }
    )
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    data["manager"] = ""
    response = client.post(f"/admin/org/user/{org.rep_c.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    fields = {c.field: c for c in changes_of(org.rep_c)}
    assert fields["team"].after == "South" and fields["team"].changed_by == superuser
    assert fields["daily_lead_cap"].after == "3"


def test_change_log_page_is_scoped_filtered_and_exported(org, client):
    services.user_update(actor=org.admin, user=org.rep_a, daily_lead_cap=5)
    services.user_update(actor=org.admin, user=org.rep_d, daily_lead_cap=9)
    # the East manager sees his rep's change, not South's
    client.force_login(org.manager_east)
    page = client.get("/me/user-changes/")
    assert page.status_code == 200
    users = {row.username for row in page.context["rows"]}
    assert "rep_a" in users and "rep_d" not in users
    # the director sees both; filtering by field and searching by name narrow the list
    client.force_login(org.director)
    page = client.get("/me/user-changes/", {"field": "daily_lead_cap", "q": "Rep D"})
    assert [(r.username, r.after) for r in page.context["rows"]] == [("rep_d", "9")]
    assert b"user-change-row" in page.content
    # a bad filter is reported, not a 500
    bad = client.get("/me/user-changes/", {"field": "salary", "changed_after": "yesterday"})
    assert bad.status_code == 200 and set(bad.context["filter_errors"]) == {
        "field",
        "changed_after",
    }
    # the export holds exactly the filtered rows
    export = client.get("/me/user-changes/export.csv", {"field": "daily_lead_cap"})
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert {r[2] for r in rows[1:]} == {"rep_a", "rep_d"}
    # an export with bad filters goes back to the list, saying so
    refused = client.get("/me/user-changes/export.csv", {"field": "salary"})
    assert refused.status_code == 302 and refused["Location"].startswith("/me/user-changes/?")


def test_a_rep_sees_only_his_own_changes_and_no_menu_entry(org, client):
    services.user_update(actor=org.admin, user=org.rep_a, daily_lead_cap=5)
    services.user_update(actor=org.admin, user=org.rep_b, daily_lead_cap=6)
    client.force_login(org.rep_b)
    page = client.get("/me/user-changes/")
    assert {r.username for r in page.context["rows"]} == {"rep_b"}
    assert b"/me/user-changes/" not in client.get("/tasks/").content
    profile = client.get("/me/")
    assert profile.context["my_changes"][0].after == "6"
