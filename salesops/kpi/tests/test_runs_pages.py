"""The runs admin pages: run a period (a Huey task; inline under tests) with its progress
page, the list, a run's scores and its replay; a final run refused; 403 for others."""

import pytest
from django.urls import reverse

from salesops.core import clock
from salesops.kpi import schemes
from salesops.kpi.models import SchemeVersion, ScoreRun

from .schemes_data import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build()


def test_run_period_progress_list_detail_replay(client, world):
    client.force_login(world.org.admin)
    month = f"{clock.today():%Y-%m}"
    response = client.post(reverse("kpi:run_start"), {"scheme": world.scheme.pk, "month": month})
    assert response.status_code == 302
    progress = client.get(response["Location"]).content.decode()
    assert 'data-testid="run-done"' in progress and 'data-testid="run-link"' in progress
    run = ScoreRun.objects.get(scheme=world.scheme)
    listing = client.get(reverse("kpi:run_list"), {"q": "East"}).content.decode()
    assert f'data-id="{run.pk}"' in listing
    assert not list(client.get(reverse("kpi:run_list"), {"state": "final"}).context["rows"])
    detail = client.get(reverse("kpi:run_detail", args=[run.pk])).content.decode()
    assert detail.count('data-testid="score-row"') == 3
    replay = client.post(reverse("kpi:run_replay", args=[run.pk])).content.decode()
    assert 'data-testid="replay-identical"' in replay


def test_last_month_is_final_and_refused_a_second_time(client, world):
    client.force_login(world.org.admin)
    start, end = schemes.last_month()
    month = f"{start:%Y-%m}"
    # the version is effective today: last month has none in force
    response = client.post(reverse("kpi:run_start"), {"scheme": world.scheme.pk, "month": month})
    assert response.status_code == 200 and "no version in force" in response.content.decode()
    SchemeVersion.objects.filter(pk=world.version.pk).update(effective_from=start)
    response = client.post(reverse("kpi:run_start"), {"scheme": world.scheme.pk, "month": month})
    assert response.status_code == 302
    run = ScoreRun.objects.get(scheme=world.scheme, period_start=start)
    assert run.state == "final" and run.period_end == end
    response = client.post(reverse("kpi:run_start"), {"scheme": world.scheme.pk, "month": month})
    assert response.status_code == 200 and "replay it" in response.content.decode()
    response = client.post(
        reverse("kpi:run_start"), {"scheme": world.scheme.pk, "month": "2026-13"}
    )
    assert "YYYY-MM" in response.content.decode()


def test_only_configurers(client, world):
    for user in (world.org.rep_a, world.org.manager_east):
        client.force_login(user)
        assert client.get(reverse("kpi:run_list")).status_code == 403
        response = client.post(
            reverse("kpi:run_start"), {"scheme": world.scheme.pk, "month": f"{clock.today():%Y-%m}"}
        )
        assert response.status_code == 403
    assert not ScoreRun.objects.exists()
