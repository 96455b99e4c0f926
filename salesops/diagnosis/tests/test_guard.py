"""The over-collection guard on the diagnosis page and report: the outcome board's
latest weekly snapshot of placeholder and copied values, the visible reps only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesops.outcomes import services as board_services
from salesops.outcomes.tests.conftest import WEEK, at, channel, make_lead  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_guard_shows_the_boards_fields_and_reps(org, channel, client):  # noqa: F811
    for need in ("无", "-", "1", "需要十台设备"):
        make_lead(channel, org.rep_a, at(WEEK), need=need)
    page = client
    page.force_login(org.director)
    body = page.get(reverse("diagnosis:index")).content.decode()
    assert 'data-testid="guard-empty"' in body  # no snapshot yet
    board_services.snapshot_week(WEEK)
    body = page.get(reverse("diagnosis:index")).content.decode()
    assert 'data-testid="guard-row" data-field="lead.need"' in body
    assert 'data-testid="guard-rep"' in body and org.rep_a.label in body
    report = page.get(reverse("diagnosis:report")).content.decode()
    assert 'data-testid="report-guard"' in report
    # the South manager's scope has none of rep_a's values
    page.force_login(org.manager_south)
    south = page.get(reverse("diagnosis:index")).content.decode()
    assert 'data-testid="guard-rep"' not in south
