"""The pages through Django's test client: the check-in screen, My activities with
filters and export, and the result-tag settings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesops.activities import services
from salesops.activities.models import Activity, ResultTag

from .conftest import account_for

CHECK_IN = reverse("activities:check_in")


def login(client, user):
    client.force_login(user)
    return client


def test_check_in_page_shows_the_results_as_big_choices(client, org, lead_a):
    login(client, org.rep_a)
    response = client.get(f"{CHECK_IN}?lead={lead_a.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    for tag in ResultTag.objects.filter(is_active=True):
        assert f'data-testid="tag-{tag.code}"' in html
        assert f'value="{tag.code}"' in html
    assert 'maxlength="20"' in html and 'name="note"' in html
    assert 'data-testid="checkin-submit"' in html
    assert 'value="call" checked' in html
    response = client.get(f"{CHECK_IN}?lead={lead_a.pk}&kind=visit")
    assert 'value="visit" checked' in response.content.decode()


def test_posting_without_a_tag_reshows_the_form_and_saves_nothing(client, org, lead_a):
    login(client, org.rep_a)
    response = client.post(
        f"{CHECK_IN}?lead={lead_a.pk}",
        {"kind": "call", "minutes": "1", "seconds": "5", "note": "客户在开会"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pick a result to finish the check-in" in html
    assert 'value="客户在开会"' in html  # what was typed stays
    assert not Activity.objects.exists()


def test_a_note_over_20_characters_is_refused(client, org, lead_a):
    login(client, org.rep_a)
    response = client.post(
        f"{CHECK_IN}?lead={lead_a.pk}", {"kind": "call", "tag": "demo_booked", "note": "z" * 21}
    )
    assert response.status_code == 200
    assert "at most 20 characters" in response.content.decode()
    assert not Activity.objects.exists()


def test_check_in_saves_and_returns_to_the_lead(client, org, lead_a):
    login(client, org.rep_a)
    response = client.post(
        f"{CHECK_IN}?lead={lead_a.pk}",
        {"kind": "call", "minutes": "1", "seconds": "5", "tag": "demo_booked", "note": "周五演示"},
        follow=False,
    )
    assert response.status_code == 302
    assert response["Location"] == lead_a.get_absolute_url()
    activity = Activity.objects.get()
    assert (activity.kind, activity.tag.code, activity.note) == ("call", "demo_booked", "周五演示")
    assert activity.duration_seconds == 65 and activity.effective
    assert activity.owner == org.rep_a
    lead_a.refresh_from_db()
    assert lead_a.first_contact_at is not None and lead_a.status == "contacted"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Check-in saved" in m for m in messages)


def test_check_in_on_an_account_returns_to_the_account(client, org):
    account = account_for(org.rep_a)
    login(client, org.rep_a)
    response = client.post(
        f"{CHECK_IN}?account={account.pk}", {"kind": "visit", "tag": "needs_tech", "seconds": "20"}
    )
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    activity = Activity.objects.get()
    assert activity.account == account and activity.effective is False


def test_another_reps_lead_is_a_404(client, org, lead_b):
    login(client, org.rep_a)
    assert client.get(f"{CHECK_IN}?lead={lead_b.pk}").status_code == 404
    response = client.post(f"{CHECK_IN}?lead={lead_b.pk}", {"kind": "call", "tag": "demo_booked"})
    assert response.status_code == 404
    assert client.get(CHECK_IN).status_code == 404
    assert client.get(f"{CHECK_IN}?lead=abc").status_code == 404
    assert not Activity.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client, lead_a):
    response = client.get(f"{CHECK_IN}?lead={lead_a.pk}")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_my_activities_lists_filters_and_exports(client, org, lead_a, lead_b):
    services.activity_log(
        actor=org.rep_a,
        kind="call",
        lead=lead_a,
        tag="demo_booked",
        duration_seconds=40,
        note="mine-effective",
    )
    services.activity_log(
        actor=org.rep_a,
        kind="visit",
        lead=lead_a,
        tag="no_answer",
        duration_seconds=5,
        note="mine-short",
    )
    services.activity_log(
        actor=org.rep_b,
        kind="call",
        lead=lead_b,
        tag="demo_booked",
        duration_seconds=40,
        note="theirs",
    )
    login(client, org.rep_a)
    url = reverse("activities:activity_list")
    html = client.get(url).content.decode()
    assert "mine-effective" in html and "mine-short" in html and "theirs" not in html
    assert html.count('data-testid="effective-badge"') == 1
    html = client.get(url, {"effective": "true"}).content.decode()
    assert "mine-effective" in html and "mine-short" not in html
    html = client.get(url, {"kind": "visit"}).content.decode()
    assert "mine-short" in html and "mine-effective" not in html
    html = client.get(url, {"tag": "no_answer"}).content.decode()
    assert "mine-short" in html and "mine-effective" not in html
    html = client.get(url, {"kind": "fax"}).content.decode()
    assert 'data-testid="filter-errors"' in html and "mine-short" not in html
    export = client.get(reverse("activities:activity_export", args=["csv"]), {"kind": "call"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "mine-effective" in body and "mine-short" not in body and "theirs" not in body
    xlsx = client.get(reverse("activities:activity_export", args=["xlsx"]))
    assert xlsx.status_code == 200
    assert client.get(reverse("activities:activity_export", args=["pdf"])).status_code == 404
    # The East manager sees both reps
    login(client, org.manager_east)
    html = client.get(url).content.decode()
    assert "mine-effective" in html and "theirs" in html


def test_the_lead_snippet_renders_activities(org, lead_a, rf):
    from django.template.loader import render_to_string

    services.activity_log(
        actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked", note="周五演示"
    )
    html = render_to_string(
        "activities/_lead_activities.html", {"activities": Activity.objects.all()}
    )
    assert "周五演示" in html and 'data-code="demo_booked"' in html
    empty = render_to_string("activities/_lead_activities.html", {"activities": []})
    assert 'data-testid="no-activities"' in empty


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "finance"])
def test_tag_pages_are_for_admins_only(client, org, who):
    login(client, getattr(org, who))
    tag = ResultTag.objects.first()
    assert client.get(reverse("activities:tag_list")).status_code == 403
    assert client.get(reverse("activities:tag_create")).status_code == 403
    assert client.post(reverse("activities:tag_deactivate", args=[tag.pk])).status_code == 403
    tag.refresh_from_db()
    assert tag.is_active


def test_admin_adds_edits_and_deactivates_a_result(client, org):
    login(client, org.admin)
    assert client.get(reverse("activities:tag_list")).status_code == 200
    response = client.post(
        reverse("activities:tag_create"),
        {
            "code": "wrong_number",
            "label_zh": "号码错误",
            "label_en": "Wrong number",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    tag = ResultTag.objects.get(code="wrong_number")
    assert tag.is_active and not tag.counts_as_contact
    # Missing English label: the form comes back naming it
    response = client.post(
        reverse("activities:tag_create"), {"code": "abc", "label_zh": "甲", "label_en": ""}
    )
    assert response.status_code == 200
    assert 'data-testid="error-label_en"' in response.content.decode()
    response = client.post(
        reverse("activities:tag_edit", args=[tag.pk]),
        {
            "label_zh": "号码错误",
            "label_en": "Wrong phone number",
            "order": "5",
            "counts_as_contact": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.label_en == "Wrong phone number" and tag.order == 5 and tag.counts_as_contact
    assert tag.code == "wrong_number"
    client.post(reverse("activities:tag_deactivate", args=[tag.pk]))
    tag.refresh_from_db()
    assert not tag.is_active
    # An inactive result is no longer offered at check-in
    account = account_for(org.admin)
    html = client.get(f"{CHECK_IN}?account={account.pk}").content.decode()
    assert "tag-wrong_number" not in html
    client.post(reverse("activities:tag_activate", args=[tag.pk]))
    tag.refresh_from_db()
    assert tag.is_active

    # Order 5 puts it first; one step down swaps it with the next result
    def active():
        return list(ResultTag.objects.filter(is_active=True).values_list("code", flat=True))

    assert active()[:2] == ["wrong_number", "demo_booked"]
    client.post(reverse("activities:tag_move", args=[tag.pk, "down"]))
    assert active()[:2] == ["demo_booked", "wrong_number"]


def test_every_problem_is_shown_at_once(client, org, lead_a):
    login(client, org.rep_a)
    response = client.post(f"{CHECK_IN}?lead={lead_a.pk}", {"kind": "call", "note": "n" * 25})
    errors = response.context["form"].errors
    assert errors["tag"] == ["Pick a result to finish the check-in."]
    assert "at most 20 characters" in errors["note"][0]
    assert not Activity.objects.exists()


# A page of 25 rows with their owner, tag, lead, account and contact, the filter choices
# and the two capped totals: the same number of queries for 3 activities as for 30 (and, in
# the pages benchmark, 2,000,000). One of them is the menu's open-pushes badge.
MAX_LIST_QUERIES = 18


def _log(owner, account, n, **values):
    from .factories import ActivityFactory

    for i in range(n):
        seconds = 40 if i % 3 else 10  # every third one too short to be effective
        ActivityFactory(
            owner=owner, account=account, tag="demo_booked", duration_seconds=seconds, **values
        )


def test_the_team_list_counts_in_one_query_that_does_not_grow(
    client, org, django_assert_max_num_queries
):
    # Given: the East manager's two reps with 3 activities between them
    mine, theirs = account_for(org.rep_a), account_for(org.rep_b, name="宁波海曙恒瑞贸易有限公司")
    _log(org.rep_a, mine, 2)
    _log(org.rep_b, theirs, 1)
    url = reverse("activities:activity_list")
    login(client, org.manager_east)
    client.get(url)  # the session and caches settle
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as few:
        client.get(url)
    # When: 30 of them, more than a page
    _log(org.rep_a, mine, 15)
    _log(org.rep_b, theirs, 12)
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as many:
        response = client.get(url)
    # Then: the same queries; the totals right; two COUNTs (all, effective), each capped
    # (LIST_COUNT_CAP: a list of millions is counted up to the cap, "10,000+")
    assert len(many) == len(few)
    page = response.context["page_obj"]
    assert page.paginator.count == 30 and len(page.object_list) == 25
    assert not page.paginator.capped
    assert response.context["effective_count"] == Activity.objects.filter(effective=True).count()
    assert response.context["effective_count"] == 19
    counts = [
        q["sql"]
        for q in many.captured_queries
        if "COUNT(" in q["sql"]
        and 'FROM "activities_activity"' in q["sql"]
        # (the viewer's own unfinished check-ins, for the banner: not the list's count)
        and '"tag_id" IS NULL' not in q["sql"]
    ]
    assert len(counts) == 2 and all("LIMIT 10001" in sql for sql in counts)
    html = response.content.decode()
    assert 'data-testid="result-count">30<' in html
    # A filter narrows both totals
    response = client.get(url, {"owner": org.rep_b.pk})
    assert response.context["page_obj"].paginator.count == 13
    assert response.context["effective_count"] == 8
