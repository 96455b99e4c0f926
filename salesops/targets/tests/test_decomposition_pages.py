"""The decomposition pages as each role uses them: who sees which rep targets and team
totals, decomposing, the managers' adjustment form, the export and "my target"."""

import re

import pytest
import time_machine
from django.urls import reverse

from salesops.targets import decomposition
from salesops.targets.models import Allocation, PlanState, TargetPolicy

from .factories_decomposition import NOW, build_dataset, make_plan

pytestmark = pytest.mark.django_db
ROW_RE = re.compile(r'data-testid="allocation-row" data-rep="(\d+)"')
TOTAL_RE = re.compile(r'data-testid="team-total" data-team="(\d+)" data-total="([\d.]+)"')


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(org):
    build_dataset(org)
    plan = make_plan(org.company, pool="1000.00")
    decomposition.decompose(plan=plan, actor=org.admin)
    plan.refresh_from_db()
    return plan


def page(client, user, plan, **params):
    client.force_login(user)
    return client.get(reverse("targets:decomposition", args=[plan.pk]), params)


def reps_shown(response) -> set:
    return {int(pk) for pk in ROW_RE.findall(response.content.decode())}


def totals_shown(response) -> dict:
    return {int(t): v for t, v in TOTAL_RE.findall(response.content.decode())}


def test_director_decomposes_from_the_page(client, org):
    build_dataset(org)
    plan = make_plan(org.company, pool="1000.00")
    response = page(client, org.director, plan)
    assert response.status_code == 200 and 'data-testid="decompose"' in response.content.decode()
    response = client.post(reverse("targets:decomposition_run", args=[plan.pk]))
    assert response.status_code == 302
    response = client.get(response.url)
    body = response.content.decode()
    assert len(reps_shown(response)) == 4 and "1,000.00" in body
    assert 'id="decomposition-chart-data"' in body and "Key support" in body


def test_rep_sees_own_row_and_team_total_only(client, org, plan):
    response = page(client, org.rep_a, plan)
    assert reps_shown(response) == {org.rep_a.pk}
    assert totals_shown(response) == {org.east.pk: "538.46"}
    body = response.content.decode()
    assert "256.41" in body and 'data-testid="decompose"' not in body
    assert 'data-testid="adjust-form"' not in body


def test_peers_see_each_other_when_the_policy_says_so(client, org, plan):
    policy = TargetPolicy.current()
    policy.peers_see_targets = True
    policy.save()
    assert reps_shown(page(client, org.rep_a, plan)) == {
        org.rep_a.pk,
        org.rep_b.pk,
        org.rep_c.pk,
        org.rep_d.pk,
    }


def test_managers_see_and_adjust_their_reps(client, org, plan):
    response = page(client, org.manager_east, plan)
    assert reps_shown(response) == {org.rep_a.pk, org.rep_b.pk, org.rep_c.pk}
    body = response.content.decode()
    assert f'data-testid="adjust-amount-{org.rep_a.pk}"' in body
    assert f'data-testid="adjust-amount-{org.rep_d.pk}"' not in body
    assert reps_shown(page(client, org.manager_south, plan)) == {org.rep_d.pk}
    assert reps_shown(page(client, org.manager_east, plan, team=org.shanghai.pk)) == {org.rep_c.pk}

    url = reverse("targets:decomposition_adjust", args=[plan.pk])
    client.force_login(org.manager_east)
    amounts = {
        f"amount_{org.rep_a.pk}": "300.00",
        f"amount_{org.rep_b.pk}": "282.05",
        f"amount_{org.rep_c.pk}": "179.49",
    }
    response = client.post(url, {**amounts, "reason": "new key account"})
    assert response.status_code == 422
    assert "43.59 more than the pool" in response.content.decode()
    amounts[f"amount_{org.rep_b.pk}"] = "238.46"
    response = client.post(url, {**amounts, "reason": ""})
    assert response.status_code == 422 and 'data-testid="error-reason"' in response.content.decode()
    response = client.post(url, {**amounts, "reason": "new key account"})
    assert response.status_code == 302
    row = Allocation.objects.get(plan=plan, rep=org.rep_a)
    assert row.amount == 300 and row.adjusted and row.reason == "new key account"


def test_refusals(client, org, plan):
    client.force_login(org.rep_a)
    assert client.post(reverse("targets:decomposition_run", args=[plan.pk])).status_code == 403
    url = reverse("targets:decomposition_adjust", args=[plan.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    east_plan = make_plan(org.east, name="East only")
    assert page(client, org.rep_d, east_plan).status_code == 404
    assert page(client, org.cs, plan).status_code == 403


def test_export_holds_what_the_viewer_sees(client, org, plan):
    client.force_login(org.rep_a)
    url = reverse("targets:decomposition_export", args=[plan.pk])
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "Rep A" in lines[1] and "256.41" in lines[1]
    assert "2026-01" in lines[0] and "2026-12" in lines[0]
    client.force_login(org.director)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )


def test_my_target_explains_the_number(client, org, plan):
    client.force_login(org.rep_a)
    response = client.get(reverse("targets:my_target"))
    assert 'data-testid="no-target"' in response.content.decode()  # not published yet
    plan.state = PlanState.PUBLISHED
    plan.save()
    body = client.get(reverse("targets:my_target")).content.decode()
    assert "¥256.41" in body and "¥538.46" in body  # own target, East's total
    assert "Key support" in body and "25.64%" in body
    assert "the median deal you won was ¥200.00" in body and "50.00%" in body
    assert "Your team&#x27;s medians are ¥350.00 and 37.50%" in body
    assert "282.05" not in body  # no peer's number
    client.force_login(org.rep_c)
    body = client.get(reverse("targets:my_target")).content.decode()
    assert "default quadrant" in body and "¥179.49" in body
