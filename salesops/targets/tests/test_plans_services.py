"""Plan creation, update, the state machine and publishing."""

import pytest

from salesops.targets.models import PlanState
from salesops.targets.tests.factories import make_plan

pytestmark = pytest.mark.django_db


def test_create_makes_calibration_scenarios_and_survey(org):
    plan = make_plan(org.admin, team=org.company)
    assert plan.state == PlanState.DRAFT
    assert plan.calibration.formula
    assert [s.code for s in plan.scenarios.all()] == ["aggressive", "steady", "conservative"]
    assert plan.survey.is_open
