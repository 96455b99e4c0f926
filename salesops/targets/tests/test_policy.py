"""Settings · Targets: configurers only; each bad value refused naming its field (service,
API 422, page field error); a good change audited and in force at once."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from salesops.core.tests.visibility_matrix import api_client
from salesops.targets.forms_policy import PolicyForm
from salesops.targets.models import TargetPolicy
from salesops.targets.policy import policy_update

pytestmark = pytest.mark.django_db
API = "/api/v1/targets/settings"

BAD = [
    ({"quadrants": {"high_high": {"weight": "-1"}}}, "quadrants.high_high.weight"),
    (
        {
            "quadrants": {
                code: {"weight": "0"} for code in ("high_high", "low_high", "high_low", "low_low")
            }
        },
        "quadrants",
    ),
    ({"quadrants": {"middle": {"weight": "1"}}}, "quadrants"),
    ({"quadrants": {"low_low": {"label_zh": " "}}}, "quadrants.low_low.label_zh"),
    ({"coverage_red": "2.5", "coverage_amber": "2.0"}, "coverage_amber"),
    ({"award_floor": "2.5", "award_coverage": "2.0"}, "award_floor"),
    ({"pool_formula": "historical + weather"}, "pool_formula"),
    ({"pool_formula": "historical +"}, "pool_formula"),
    ({"key_account_levels": ["A", "Z"]}, "key_account_levels"),
    ({"key_account_levels": []}, "key_account_levels"),
    ({"survey_min_group": 2}, "survey_min_group"),
    ({"fiscal_year_start_month": 13}, "fiscal_year_start_month"),
    ({"default_measure": "vibes"}, "default_measure"),
    ({"manpower_utilisation": "abc"}, "manpower_utilisation"),
]


@pytest.mark.parametrize(("data", "field"), BAD)
def test_each_bad_value_names_its_field(org, data, field):
    with pytest.raises(ValidationError) as exc:
        policy_update(actor=org.admin, **data)
    assert field in exc.value.message_dict
    assert TargetPolicy.current().pool_formula == "0.5 * historical + 0.3 * market + 0.2 * manpower"


def test_every_problem_at_once(org):
    with pytest.raises(ValidationError) as exc:
        policy_update(
            actor=org.admin,
            coverage_red="3",
            coverage_amber="2",
            pool_formula="x",
            key_account_levels=["Q"],
        )
    assert set(exc.value.message_dict) == {"coverage_amber", "pool_formula", "key_account_levels"}


def test_a_good_change_is_audited_and_in_force(org):
    policy_update(
        actor=org.director,
        coverage_red="1.5",
        coverage_amber="1.9",
        key_account_levels=["A", "B"],
        quadrants={"low_high": {"label_en": "Lift up", "weight": "1.25"}},
        pool_formula="max(historical, market)",
    )
    policy = TargetPolicy.current()
    assert (policy.coverage_red, policy.coverage_amber) == (Decimal("1.50"), Decimal("1.90"))
    assert policy.key_account_levels == "A,B"
    assert policy.quadrants["low_high"] == {
        "label_zh": "重点托举对象",
        "label_en": "Lift up",
        "weight": "1.25",
    }
    assert policy.quadrants["high_high"]["weight"] == "1.30"  # the others stay
    assert policy.updated_by == org.director
    record = policy.history.latest()
    assert record.history_user == org.director and record.coverage_red == Decimal("1.50")


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "finance"])
def test_only_configurers(org, who):
    with pytest.raises(PermissionDenied):
        policy_update(actor=getattr(org, who), coverage_red="1.0")


# --- API --------------------------------------------------------------------------------


def put(client, data):
    return client.put(API, data=data, content_type="application/json")


def test_api_get_and_put(org):
    client = api_client(org.admin)
    body = client.get(API).json()
    assert body["key_account_levels"] == ["A"] and body["quadrants"]["low_high"]["weight"] == "1.00"
    response = put(client, {"survey_min_group": 5, "quadrants": {"low_low": {"weight": "0.5"}}})
    assert response.status_code == 200, response.content
    assert response.json()["survey_min_group"] == 5
    assert response.json()["quadrants"]["low_low"]["weight"] == "0.50"
    assert response.json()["updated_by"] == str(org.admin)


@pytest.mark.parametrize(("data", "field"), BAD[:12])
def test_api_bad_values_are_422_naming_the_field(org, data, field):
    response = put(api_client(org.admin), data)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_api_refuses_reps_and_managers(org):
    for user in (org.rep_a, org.manager_east):
        client = api_client(user)
        assert client.get(API).status_code == 403
        assert put(client, {"survey_min_group": 5}).status_code == 403
    assert TargetPolicy.current().survey_min_group == 3


# --- page -------------------------------------------------------------------------------


def form_data(**changes) -> dict:
    form = PolicyForm(instance=TargetPolicy.current())
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "peers_see_targets":
            if value:
                data[name] = "on"
            continue
        data[name] = value if value is not None else ""
    data.update(changes)
    return data


def test_page_for_configurers_only(client, org):
    client.force_login(org.manager_east)
    assert client.get(reverse("targets:policy")).status_code == 403
    client.force_login(org.rep_a)
    assert client.post(reverse("targets:policy"), form_data()).status_code == 403


def test_page_saves_and_shows_errors_on_fields(client, org):
    client.force_login(org.admin)
    page = client.get(reverse("targets:policy"))
    assert page.status_code == 200 and b"q_low_high_weight" in page.content
    response = client.post(
        reverse("targets:policy"),
        form_data(coverage_amber="1.0", q_high_low_weight="-1", pool_formula="historical * x"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"coverage_amber", "q_high_low_weight", "pool_formula"} <= set(errors)
    response = client.post(reverse("targets:policy"), form_data(q_low_low_weight="abc"))
    assert set(response.context["form"].errors) == {"q_low_low_weight"}
    zero = {f"q_{c}_weight": "0" for c in ("high_high", "low_high", "high_low", "low_low")}
    response = client.post(reverse("targets:policy"), form_data(**zero))
    assert response.context["form"].non_field_errors()
    response = client.post(
        reverse("targets:policy"),
        form_data(coverage_red="1.6", key_account_levels=["A", "B"], q_low_low_label_zh="培养"),
    )
    assert response.status_code == 302, response.context["form"].errors
    policy = TargetPolicy.current()
    assert policy.coverage_red == Decimal("1.60") and policy.key_account_levels == "A,B"
    assert policy.quadrants["low_low"]["label_zh"] == "培养"
    assert client.get(reverse("targets:policy")).context["entries"]
