"""Settings · KPI: the service (every error by field, audited) and its page."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from salesops.kpi.models import KpiPolicy
from salesops.kpi.policy import policy_update

from .schemes_data import build, metric

pytestmark = pytest.mark.django_db
SIX = ["t_calls", "t_visits", "t_a", "t_b", "t_c", "t_d"]


@pytest.fixture
def world():
    w = build(with_activities=False)
    for code in SIX[2:]:
        metric(w.org.admin, code, "call")
    return w


def errors_of(world, **data) -> dict:
    with pytest.raises(ValidationError) as info:
        policy_update(actor=world.org.admin, **data)
    return info.value.message_dict


def test_update_is_audited(world):
    policy = policy_update(
        actor=world.org.admin,
        result_weight="50",
        process_weight="35",
        quality_weight="15",
        comparison_metrics=SIX,
        benchmark_mode="fixed",
        benchmark_values={code: "10" for code in SIX},
        ranking_visibility="org",
    )
    assert policy.process_weight == 35 and policy.comparison_metrics == SIX
    last = policy.history.first()
    assert last.history_user == world.org.admin
    assert KpiPolicy.current().ranking_visibility == "org"


def test_errors_by_field(world):
    errors = errors_of(world, result_weight="70")
    assert errors["weights"] == ["The group weights must add up to 100; they add up to 110."]
    errors = errors_of(world, process_min="45")
    assert "cannot be below" in errors["process_max"][0]
    errors = errors_of(world, result_weight="abc", ranking_visibility="all")
    assert set(errors) == {"result_weight", "ranking_visibility"}
    assert "Pick exactly 6" in errors_of(world, comparison_metrics=SIX[:5])["comparison_metrics"][0]
    assert (
        "nope" in errors_of(world, comparison_metrics=[*SIX[:5], "nope"])["comparison_metrics"][0]
    )
    errors = errors_of(
        world, comparison_metrics=SIX, benchmark_mode="fixed", benchmark_values={"t_a": 1}
    )
    assert "missing: t_calls" in errors["benchmark_values"][0]
    assert KpiPolicy.current().result_weight == 60


def test_only_configurers(world):
    with pytest.raises(PermissionDenied):
        policy_update(actor=world.org.manager_east, result_weight="60")


def test_page(client, world):
    client.force_login(world.org.rep_a)
    assert client.get(reverse("kpi:policy")).status_code == 403
    client.force_login(world.org.director)
    page = client.get(reverse("kpi:policy"))
    assert page.status_code == 200 and b"policy-form" in page.content
    data = {
        "result_weight": "60",
        "process_weight": "30",
        "quality_weight": "15",
        "process_min": "25",
        "process_max": "40",
        "ranking_visibility": "team",
        "comparison_metrics": SIX,
        "benchmark_mode": "median",
        "benchmark_values": "",
    }
    response = client.post(reverse("kpi:policy"), data)
    assert response.status_code == 200
    assert "they add up to 105" in response.content.decode()
    data["quality_weight"] = "10"
    data["benchmark_values"] = "t_calls = 12\nbad line"
    response = client.post(reverse("kpi:policy"), data)
    assert "Line 2" in response.content.decode()
    data["benchmark_values"] = "t_calls = 12"
    response = client.post(reverse("kpi:policy"), data)
    assert response.status_code == 302
    policy = KpiPolicy.current()
    assert policy.process_weight == 30 and policy.benchmark_values == {"t_calls": "12"}


def test_the_row_current_creates_holds_decimals(world):
    # Messages format the weights as decimals (kpi.policy._number); a freshly created
    # row used to hold the Python defaults (int) until read again.
    KpiPolicy.objects.all().delete()
    policy = KpiPolicy.current()
    assert isinstance(policy.process_min, Decimal) and isinstance(policy.result_weight, Decimal)
