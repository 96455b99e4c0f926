"""The plan pages: configurers only (403 for reps, managers and finance), the list with
search and pagination, adding a plan, the editor (one row per kind with its variables, a
Check button through the API, no inline script), a formula error shown beside its
component with nothing saved, a version page, what changed on the plan page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from salesops.core import clock
from salesops.incentives import plans
from salesops.incentives.models import BonusPlan, PlanVersion
from salesops.org.tests.factories import build_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def plan(org):
    plan = plans.create_plan(by=org.admin, name="East reps", role="rep", team=org.east)
    plans.save_version(
        plan,
        by=org.admin,
        effective_on=dt.date(2026, 1, 1),
        components=[{"kind": "monthly", "label": "月度奖励", "formula": "kpi_score * 10"}],
    )
    return plan


def editor_post(formula="kpi_score * 20", **extra) -> dict:
    return {
        "effective_on": str(clock.today()),
        "note": "double it",
        "monthly-include": "1",
        "monthly-label": "月度奖励",
        "monthly-formula": formula,
        "monthly-apply_coefficient": "1",
        "deal-label": "成交奖",
        "deal-formula": "",
        **extra,
    }


def test_pages_are_for_configurers(client, org, plan):
    urls = [
        reverse("incentives:plan_list"),
        reverse("incentives:plan_new"),
        reverse("incentives:plan_detail", args=[plan.pk]),
        reverse("incentives:version_new", args=[plan.pk]),
        reverse("incentives:version_detail", args=[plan.pk, 1]),
    ]
    for user in (org.rep_a, org.manager_east, org.finance):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(urls[3], editor_post()).status_code == 403
    client.force_login(org.director)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("incentives:version_detail", args=[plan.pk, 7])).status_code == 404
    assert client.get(reverse("incentives:plan_detail", args=[999999])).status_code == 404


def test_list_search_and_new_plan(client, org, plan):
    plans.create_plan(by=org.admin, name="South reps", role="rep", team=org.south)
    client.force_login(org.admin)
    page = client.get(reverse("incentives:plan_list"), {"q": "south"}).content.decode()
    assert 'role="search"' in page and page.count('data-testid="plan-row"') == 1
    assert f'data-id="{plan.pk}"' not in page
    response = client.post(
        reverse("incentives:plan_new"), {"name": "Again", "role": "rep", "team": org.east.pk}
    )
    assert response.status_code == 422 and "exists already" in response.content.decode()
    response = client.post(reverse("incentives:plan_new"), {"name": "Managers", "role": "manager"})
    created = BonusPlan.objects.get(name="Managers")
    assert response.status_code == 302 and response.url == reverse(
        "incentives:version_new", args=[created.pk]
    )


def test_editor_rows_and_help(client, org, plan):
    client.force_login(org.admin)
    page = client.get(reverse("incentives:version_new", args=[plan.pk])).content.decode()
    assert page.count('data-testid="component-editor"') == 5
    assert "kpi_score * 10" in page  # starts from the latest version
    assert "contract_amount" in page and "the signed contract" in page  # the deal variables
    assert "incentives/plans.js" in page and "<script>" not in page and "style=" not in page
    assert 'data-check-url="/api/v1/incentives/formulas/check"' in page


def test_editor_error_beside_the_component_and_nothing_saved(client, org, plan):
    client.force_login(org.admin)
    url = reverse("incentives:version_new", args=[plan.pk])
    response = client.post(url, editor_post("kpi_scor * 20"))
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="component-error"' in page and "kpi_scor" in page
    assert "kpi_scor * 20" in page  # what was typed is kept
    response = client.post(url, editor_post(effective_on=str(clock.today() - dt.timedelta(days=1))))
    assert (
        response.status_code == 422 and "past months keep the version" in response.content.decode()
    )
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_save_a_version_and_see_what_changed(client, org, plan):
    client.force_login(org.admin)
    response = client.post(reverse("incentives:version_new", args=[plan.pk]), editor_post())
    assert response.status_code == 302
    version = plan.versions.get(number=2)
    assert version.note == "double it" and version.components.get().formula == "kpi_score * 20"
    assert plan.versions.get(number=1).components.get().formula == "kpi_score * 10"
    page = client.get(reverse("incentives:plan_detail", args=[plan.pk])).content.decode()
    assert 'data-testid="version-changes"' in page and "kpi_score * 10 → kpi_score * 20" in page
    assert page.count('data-testid="version-row"') == 2
    detail = client.get(reverse("incentives:version_detail", args=[plan.pk, 2])).content.decode()
    assert "kpi_score * 20" in detail and "attainment" in detail
    response = client.post(
        reverse("incentives:plan_detail", args=[plan.pk]),
        {"name": "East reps 2026", "description": ""},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.name == "East reps 2026" and plan.is_active is False  # the box was unticked
