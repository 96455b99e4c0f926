"""The plan pages per role: list, create, detail, calibration, scenarios and vote,
adjustments, the Excel export; a published plan's step forms are gone."""

import pytest
from django.urls import reverse

from salesops.targets import services
from salesops.targets.models import Vote
from salesops.targets.tests.factories import make_plan

from .plan_states import calibrated, decomposed

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def company_plan(org):
    return make_plan(org.admin, team=org.company, name="2026 全公司目标")


ROLES_WITH_TARGETS = ("rep_a", "manager_east", "director", "admin", "finance")


@pytest.mark.parametrize("role", ROLES_WITH_TARGETS)
def test_pages_open_for_every_role_with_targets(client, org, company_plan, role):
    client = client_for(client, getattr(org, role))
    body = client.get(reverse("targets:plan_list")).content.decode()
    assert "2026 全公司目标" in body
    for name in ("plan_detail", "calibration", "scenarios", "adjustments"):
        response = client.get(reverse(f"targets:{name}", args=[company_plan.pk]))
        assert response.status_code == 200, name
    response = client.get(reverse("targets:plan_export", args=[company_plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxml")


def test_customer_success_has_no_targets(client, org, company_plan):
    client = client_for(client, org.cs)
    assert client.get(reverse("targets:plan_list")).status_code == 403
    assert client.get(company_plan.get_absolute_url()).status_code == 403


def test_a_plan_of_another_team_is_not_found(client, org):
    plan = make_plan(org.admin, team=org.east)
    client = client_for(client, org.rep_d)
    assert client.get(plan.get_absolute_url()).status_code == 404
    assert client.get(reverse("targets:calibration", args=[plan.pk])).status_code == 404


def test_create_page_for_configurers_only(client, org):
    assert client_for(client, org.rep_a).get(reverse("targets:plan_create")).status_code == 403
    client = client_for(client, org.admin)
    assert b"new-plan" in client.get(reverse("targets:plan_list")).content
    response = client.post(
        reverse("targets:plan_create"),
        {"name": "2027 华南", "fiscal_year": 2027, "team": org.south.pk, "measure": "payments"},
    )
    assert response.status_code == 302, response.content
    response = client.get(response["Location"])
    body = response.content.decode()
    assert "2027 华南" in body and "/decomposition/" in body and "/survey/" in body


def test_calibration_form_and_errors(client, org, company_plan):
    client = client_for(client, org.rep_a)
    assert (
        b"calibration-form"
        not in client.get(reverse("targets:calibration", args=[company_plan.pk])).content
    )
    url = reverse("targets:calibration", args=[company_plan.pk])
    assert client.post(url, {}).status_code == 403
    client = client_for(client, org.admin)
    data = {f"seasonal_{i}": "1" for i in range(12)}
    data.update(bidding_index="1", top_n=3, utilisation="0.7", formula="historical + oops")
    response = client.post(url, data)
    assert response.status_code == 200 and "oops" in response.content.decode()
    data["formula"] = "historical + market"
    assert client.post(url, data).status_code == 302
    company_plan.refresh_from_db()
    assert company_plan.state == "calibrated"


def test_scenario_page_vote_and_confirm(client, org, company_plan):
    calibrated(company_plan)
    services.scenarios_compute(plan=company_plan, actor=org.admin)
    steady = company_plan.scenarios.get(code="steady")
    client = client_for(client, org.rep_a)
    page = client.get(reverse("targets:scenarios", args=[company_plan.pk])).content.decode()
    assert 'id="scenario-chart-data"' in page and "vote-steady" in page
    assert "confirm-steady" not in page and "compute" not in page.split("scenario-chart")[0]
    client.post(reverse("targets:vote", args=[company_plan.pk]), {"scenario": steady.pk})
    assert Vote.objects.get(voter=org.rep_a).scenario == steady
    client = client_for(client, org.director)
    page = client.get(reverse("targets:scenarios", args=[company_plan.pk])).content.decode()
    assert "confirm-steady" in page and 'data-testid="votes"' in page
    client.post(
        reverse("targets:baseline_confirm", args=[company_plan.pk]), {"scenario": steady.pk}
    )
    company_plan.refresh_from_db()
    assert company_plan.baseline == steady


def test_adjustment_pages(client, org):
    plan = decomposed(
        make_plan(org.admin, team=org.east),
        {org.rep_a: "100000.00", org.rep_b: "150000.00", org.rep_c: "50000.00"},
    )
    services.publish(plan=plan, actor=org.admin)
    url = reverse("targets:adjustments", args=[plan.pk])
    assert b"adjustment-form" not in client_for(client, org.rep_a).get(url).content
    client = client_for(client, org.manager_sh)
    page = client.get(url).content.decode()
    assert "adjustment-form" in page and f"rep_{org.rep_c.pk}" in page
    assert f"rep_{org.rep_a.pk}" not in page  # not Shanghai's
    response = client.post(url, {f"rep_{org.rep_c.pk}": "55000", "reason": "新客户"})
    assert response.status_code == 302
    adjustment = plan.adjustments.get()
    client = client_for(client, org.director)
    assert b'data-testid="approve"' in client.get(url).content
    decide = reverse("targets:adjustment_decide", args=[plan.pk, adjustment.pk])
    client.post(decide, {"decision": "approve", "note": "同意"})
    plan.refresh_from_db()
    assert plan.version == 2
    detail = client.get(plan.get_absolute_url()).content.decode()
    assert "published" in detail


def test_edit_page_and_bad_posted_ids(client, org, company_plan):
    url = reverse("targets:plan_edit", args=[company_plan.pk])
    assert client_for(client, org.manager_east).get(url).status_code == 403
    client = client_for(client, org.admin)
    assert b"edit-plan" in client.get(company_plan.get_absolute_url()).content
    response = client.post(
        url,
        {"name": "改名", "fiscal_year": 2026, "team": org.company.pk, "measure": "payments"},
    )
    assert response.status_code == 302
    company_plan.refresh_from_db()
    assert company_plan.name == "改名"
    client = client_for(client, org.rep_a)
    for bad in ("x\x00y", "18446744073709551616", ""):
        response = client.post(reverse("targets:vote", args=[company_plan.pk]), {"scenario": bad})
        assert response.status_code == 302
    assert not Vote.objects.exists()
