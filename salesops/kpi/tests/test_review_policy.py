"""Settings · KPI review: configurers only; each bad value refused naming its field
(service, API 422, page); a good change audited (who, before/after) and in force at once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.core.tests.visibility_matrix import api_client
from salesops.kpi.models import CompliancePolicy, GrowthPolicy
from salesops.kpi.review_policy import review_policy_update

pytestmark = pytest.mark.django_db
API = "/api/v1/kpi/settings/review"

BAD = [
    ({"red_min_accuracy": 101}, "red_min_accuracy"),
    ({"black_max_accuracy": -1}, "black_max_accuracy"),
    ({"red_min_accuracy": 70, "black_max_accuracy": 80}, "black_max_accuracy"),
    ({"red_max_days": 14, "black_min_days": 14}, "black_min_days"),
    ({"red_max_days": "abc"}, "red_max_days"),
    ({"watermark_text": "  "}, "watermark_text"),
    ({"quote_evidence_types": ["quote", "fax"]}, "quote_evidence_types"),
    ({"quote_evidence_types": []}, "quote_evidence_types"),
    ({"forbidden_phrases": "x" * 201}, "forbidden_phrases"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("data", "field"), BAD)
def test_each_bad_value_names_its_field(org, data, field):
    with pytest.raises(ValidationError) as exc:
        review_policy_update(actor=org.admin, **data)
    assert field in exc.value.message_dict
    assert GrowthPolicy.current().red_min_accuracy == 95
    assert CompliancePolicy.current().quote_evidence_types == "quote,proposal"


def test_every_problem_at_once(org):
    with pytest.raises(ValidationError) as exc:
        review_policy_update(
            actor=org.admin, red_min_accuracy=200, watermark_text="", quote_evidence_types=["z"]
        )
    assert set(exc.value.message_dict) == {
        "red_min_accuracy",
        "watermark_text",
        "quote_evidence_types",
    }


def test_a_good_change_is_audited_and_in_force(org):
    review_policy_update(
        actor=org.director,
        watermark_text="示例科技 内部报价",
        quote_evidence_types=["quote"],
        forbidden_phrases="保证收益\n  \n保证收益\n稳赚不赔",
        core_parameters="精度 0.01mm",
        red_min_accuracy=90,
        black_max_accuracy=70,
        black_min_days=10,
    )
    compliance, growth = CompliancePolicy.current(), GrowthPolicy.current()
    assert compliance.forbidden_phrases == "保证收益\n稳赚不赔"  # blanks and repeats dropped
    assert compliance.quote_evidence_types == "quote"
    assert (growth.red_min_accuracy, growth.black_max_accuracy, growth.black_min_days) == (
        90,
        70,
        10,
    )
    assert compliance.updated_by == org.director and growth.updated_by == org.director
    record = growth.history.latest()
    assert record.history_user == org.director and record.red_min_accuracy == 90
    assert compliance.history.latest().watermark_text == "示例科技 内部报价"


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "finance"])
def test_only_configurers(org, who):
    with pytest.raises(PermissionDenied):
        review_policy_update(actor=getattr(org, who), red_max_days=2)


def test_api_get_put_and_422(org):
    client = api_client(org.admin)
    body = client.get(API).json()
    assert body["quote_evidence_types"] == ["quote", "proposal"] and body["red_min_accuracy"] == 95
    response = client.put(API, data={"red_max_days": 5}, content_type="application/json")
    assert response.status_code == 200 and response.json()["red_max_days"] == 5
    bad = client.put(
        API,
        data={"red_min_accuracy": 60, "black_max_accuracy": 80},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["field"] == "black_max_accuracy"
    out_of_range = client.put(API, data={"red_min_accuracy": 150}, content_type="application/json")
    assert out_of_range.status_code == 422 and out_of_range.json()["field"] == "red_min_accuracy"
    assert api_client(org.rep_a).get(API).status_code == 403


def test_the_page(client, org):
    client.force_login(org.rep_a)
    assert client.get("/kpi/settings/review/").status_code == 403
    client.force_login(org.admin)
    page = client.get("/kpi/settings/review/")
    assert page.status_code == 200 and "Behaviour-compliance scan" in page.content.decode()
    data = {
        "watermark_text": "SalesOps 示例科技有限公司",
        "quote_evidence_types": ["quote", "proposal"],
        "approved_phrases": "",
        "forbidden_phrases": "保证收益",
        "core_parameters": "",
        "red_min_accuracy": "95",
        "red_max_days": "3",
        "black_max_accuracy": "99",
        "black_min_days": "14",
        "credibility_min_leads": "5",
    }
    response = client.post("/kpi/settings/review/", data)
    assert response.status_code == 200
    assert "black_max_accuracy" in response.context["form"].errors
    assert 'data-testid="field-error"' in response.content.decode()
    data["black_max_accuracy"] = "80"
    assert client.post("/kpi/settings/review/", data).status_code == 302
    assert CompliancePolicy.current().forbidden_phrases == "保证收益"
    assert 'data-testid="history-entry"' in client.get("/kpi/settings/review/").content.decode()
