"""The dwell TOP-N of a past month (SPEC L8) is computed from each lead's state at that
month's end — status, owner, team and last progress from its history — not today's: a
lead that progressed, was closed or was reassigned after the month end still appears in
that month's list as it was. The running month uses the live state."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from salesops.core import clock
from salesops.leads import selectors, services
from salesops.leads.tests.api_helpers import API, client_for

from .conftest import at
from .factories import lead_data, make_channel

pytestmark = pytest.mark.django_db


def new_lead(owner, **data):
    result = services.lead_intake(channel=make_channel(), data=lead_data(**data), owner=owner)
    assert result.created
    return result.lead


@pytest.fixture
def october(org):
    """Two leads of rep_a from 5 October; in November one is qualified, then handed to
    rep_d (another team), the other converted; a third was closed in October."""
    with clock.frozen(at("2026-10-05", "10:00")):
        moved = new_lead(org.rep_a, company="烟台鑫昌连锁超市有限公司")
        converted = new_lead(org.rep_a, company="青岛海滨贸易有限公司")
    with clock.frozen(at("2026-10-08", "10:00")):
        closed = new_lead(org.rep_a, company="济南泉城物流有限公司")
    with clock.frozen(at("2026-10-20", "11:00")):
        services.lead_set_status(
            actor=org.rep_a, lead=closed, status="invalid", invalid_reason="spam"
        )
    with clock.frozen(at("2026-11-03", "09:00")):
        services.lead_set_status(actor=org.rep_a, lead=moved, status="qualified")
        services.lead_convert(actor=org.rep_a, lead=converted)
    with clock.frozen(at("2026-11-04", "09:00")):
        moved.refresh_from_db()
        services.lead_reassign(actor=org.director, lead=moved, owner=org.rep_d, reason="换区")
    moved.refresh_from_db()
    converted.refresh_from_db()
    assert (moved.status, moved.owner, converted.status) == ("qualified", org.rep_d, "converted")
    return {"moved": moved, "converted": converted, "closed": closed}


def test_a_past_month_shows_the_leads_as_they_were_at_its_end(org, october):
    with clock.frozen(at("2026-11-10", "12:00")):
        overall, by_team, by_owner = selectors.dwell_rows(org.director, "2026-10")
    rows = {r.lead.pk: r for r in overall}
    moved, converted = october["moved"], october["converted"]
    assert set(rows) == {moved.pk, converted.pk}  # the closed one was closed by then
    assert rows[moved.pk].lead.status == "new" and rows[moved.pk].lead.owner == org.rep_a
    assert rows[converted.pk].lead.status == "new"
    # Days without progress counted to the month end (Nov 1, 00:00 Shanghai) from Oct 5.
    assert rows[moved.pk].days == pytest.approx(26.6, abs=0.05)
    assert [r.lead.pk for r in by_owner[org.rep_a]] == [moved.pk, converted.pk]
    assert org.rep_d not in by_owner
    assert org.rep_a.team in by_team


def test_the_running_month_uses_the_live_state(org, october):
    with clock.frozen(at("2026-11-10", "12:00")):
        overall, _teams, by_owner = selectors.dwell_rows(org.director, "2026-11")
    rows = {r.lead.pk: r.lead for r in overall}
    assert set(rows) == {october["moved"].pk}
    assert rows[october["moved"].pk].status == "qualified"
    assert rows[october["moved"].pk].owner == org.rep_d


def test_a_lead_unchanged_since_the_month_end_comes_from_the_live_row(org, october):
    with clock.frozen(at("2026-10-06", "10:00")):
        quiet = new_lead(org.rep_b, company="威海远航渔业有限公司")
    with clock.frozen(at("2026-11-10", "12:00")):
        overall, _teams, _owners = selectors.dwell_rows(org.director, "2026-10")
    assert [r.lead.pk for r in overall] == [october["moved"].pk, october["converted"].pk, quiet.pk]


def test_the_page_and_the_api_show_the_month_end_state(org, october):
    client = Client()
    client.force_login(org.director)
    with clock.frozen(at("2026-11-10", "12:00")):
        response = client.get(reverse("leads:dwell_report"), {"month": "2026-10"})
        body = client_for(org.director).get(API + "/leads/reports/dwell", {"month": "2026-10"})
    assert response.status_code == 200
    overall = {r.lead.pk: r.lead for r in response.context["overall"]}
    assert overall[october["moved"].pk].get_status_display() == "New lead"
    assert body.status_code == 200, body.content
    api_rows = {r["lead_id"]: r for r in body.json()["overall"]}
    assert api_rows[october["moved"].pk]["status"] == "new"
    assert api_rows[october["moved"].pk]["owner"]["id"] == org.rep_a.pk


def test_visibility_still_applies_to_a_past_month(org, october):
    with clock.frozen(at("2026-11-10", "12:00")):
        mine, _t, _o = selectors.dwell_rows(org.rep_a, "2026-10")
        other, _t, _o = selectors.dwell_rows(org.rep_b, "2026-10")
    assert [r.lead.pk for r in mine] == [october["converted"].pk]  # moved is rep_d's now
    assert other == []
