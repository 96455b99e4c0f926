"""Settings · KPI growth: configurers only, every bad value named, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from salesops.kpi.growth_policy import policy_update
from salesops.kpi.models import GrowthPolicy

pytestmark = pytest.mark.django_db
ROWS = [
    {"code": "a", "label_zh": "甲", "label_en": "A", "dimension": "solution"},
    {"code": "b", "label_zh": "乙", "label_en": "B", "dimension": "collaboration"},
    {"code": "c", "label_zh": "丙", "label_en": "C", "dimension": "customer_depth"},
]


def test_configurers_change_the_settings_and_it_is_audited(org):
    policy = policy_update(
        actor=org.admin,
        voice_sample_size=5,
        gap_ratio=40,
        service_actions=ROWS,
        rewards=[{"code": "book", "label_zh": "书", "label_en": "Book", "cost": "30"}],
        point_values={"collaboration": 5, "case_study": 20, "certification": 40},
    )
    assert policy.voice_sample_size == 5 and policy.gap_ratio == 40
    assert [row["code"] for row in policy.service_actions] == ["a", "b", "c"]
    assert policy.rewards[0]["cost"] == 30
    assert policy.history.first().history_user == org.admin
    with pytest.raises(PermissionDenied):
        policy_update(actor=org.manager_east, gap_ratio=30)


def test_bad_values_are_named_and_nothing_is_saved(org):
    with pytest.raises(ValidationError) as exc:
        policy_update(
            actor=org.admin,
            gap_ratio=0,
            service_actions=ROWS[:2],
            rewards=[
                {"code": "x", "label_zh": "x", "label_en": "x", "cost": 0},
                {"code": "x", "label_zh": "y", "label_en": "y", "cost": 5},
            ],
        )
    errors = exc.value.message_dict
    assert "gap_ratio" in errors and "service_actions" in errors
    assert "rewards.1.cost" in errors and "rewards.2.code" in errors
    with pytest.raises(ValidationError) as exc:
        policy_update(actor=org.admin, service_actions=[*ROWS, dict(ROWS[0])])
    assert "service_actions.4.code" in exc.value.message_dict
    assert GrowthPolicy.current().gap_ratio == 50


def test_the_settings_page(client, org):
    url = reverse("kpi:growth_policy")
    client.force_login(org.rep_a)
    assert client.get(url).status_code == 403
    client.force_login(org.admin)
    page = client.get(url)
    assert page.status_code == 200 and b"fast_response" in page.content
    form = {
        name: (field.value() or "")
        for name, field in page.context["form"].fields.items()
        for field in [page.context["form"][name]]
    }
    form["gap_ratio"] = "101"
    bad = client.post(url, form)
    assert bad.status_code == 422 and b"from 1 to 100" in bad.content
    form["gap_ratio"] = "45"
    form["reward_1_cost"] = "120"
    assert client.post(url, form).status_code == 302
    policy = GrowthPolicy.current()
    assert policy.gap_ratio == 45 and policy.rewards[0]["cost"] == 120
