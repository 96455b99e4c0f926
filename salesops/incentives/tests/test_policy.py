"""Settings · Incentives (I2–I5): every bad value is a 422-style error naming its field,
all at once, and nothing is saved; a good change is saved with who made it (history)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from salesops.incentives import plan_policy
from salesops.incentives.models import IncentivePolicy
from salesops.org.tests.factories import build_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return build_org()


def refused(org, **fields) -> dict:
    before = IncentivePolicy.current().history.count()
    with pytest.raises(ValidationError) as exc:
        plan_policy.update(by=org.admin, **fields)
    policy = IncentivePolicy.current()
    assert policy.history.count() == before  # nothing saved
    assert policy.coefficient_min == Decimal("0.7") and policy.payment_percent == Decimal("50")
    return exc.value.message_dict


def test_min_above_max_names_both_numbers(org):
    errors = refused(org, coefficient_min="1.4", coefficient_max="1.3", payment_percent="40")
    assert errors["coefficient_min"] == [
        "The coefficient's minimum (1.4) is above its maximum (1.3)."
    ]
    assert "tranche_percents" in errors  # 40 + 30 + 20 reported at the same time


def test_tranches_add_up_to_100(org):
    errors = refused(org, payment_percent="60")
    assert "110" in errors["tranche_percents"][0]
    errors = refused(org, renewal_percent="101")
    assert "renewal_percent" in errors


def test_other_bad_values(org):
    errors = refused(
        org,
        cs_cap="1.5",
        cs_hours_per_point="0",
        coefficient_formula="1 + nps_chang / 100",
        breakthrough_levels=["A", "Z"],
        mentor_first_percent="150",
        quality_months="0",
        payment_release="never",
        colour="blue",
    )
    assert "1.5" in errors["cs_cap"][0]
    assert "cs_hours_per_point" in errors
    assert "nps_chang" in errors["coefficient_formula"][0]
    assert "Z" in errors["breakthrough_levels"][0]
    assert set(errors) >= {"mentor_first_percent", "quality_months", "payment_release", "colour"}
    errors = refused(org, cs_cap_below="11")
    assert "cs_cap_below" in errors


def test_saved_with_history(org):
    policy = plan_policy.update(
        by=org.director,
        payment_percent="40",
        quality_percent="40",
        renewal_percent="20",
        coefficient_min="0.8",
        coefficient_max="1.2",
        breakthrough_levels=["A", "B", "A"],
        mentor_deducts=True,
    )
    policy.refresh_from_db()
    assert policy.payment_percent == Decimal("40.00") and policy.coefficient_min == Decimal("0.800")
    assert policy.breakthrough_levels == ["A", "B"] and policy.mentor_deducts is True
    assert policy.updated_by == org.director
    assert policy.history.latest().history_user == org.director


def test_only_configurers(org):
    for user in (org.rep_a, org.manager_east, org.finance):
        with pytest.raises(PermissionDenied):
            plan_policy.update(by=user, cs_cap="0.8")


def form_data(policy: IncentivePolicy, **overrides) -> dict:
    data = {
        name: getattr(policy, name)
        for name in plan_policy.POLICY_FIELDS
        if name not in ("mentor_deducts", "breakthrough_levels")
    }
    data["breakthrough_levels"] = ["A"]
    data.update(overrides)
    return data


def test_page(client, org):
    url = reverse("incentives:policy")
    for user in (org.rep_a, org.manager_east, org.finance):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(org.admin)
    page = client.get(url).content.decode()
    assert page.count('data-testid="policy-group"') == 5
    assert "response_hours" in page and 'data-testid="coefficient-variables"' in page
    policy = IncentivePolicy.current()
    response = client.post(url, form_data(policy, coefficient_min="1.5"))
    assert response.status_code == 422
    assert "is above its maximum" in response.content.decode()
    assert IncentivePolicy.current().coefficient_min == Decimal("0.7")
    response = client.post(url, form_data(policy, payment_percent="10"))
    assert response.status_code == 422 and "must add up to 100" in response.content.decode()
    response = client.post(url, form_data(policy, cs_cap="0.85", breakthrough_levels=["A", "B"]))
    assert response.status_code == 302
    policy = IncentivePolicy.current()
    assert policy.cs_cap == Decimal("0.850") and policy.breakthrough_levels == ["A", "B"]
