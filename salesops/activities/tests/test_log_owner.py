"""activity_log(owner=…): a manager or admin records an activity for a team member (the
import of a team's calls); never for someone outside the actor's reach."""

import pytest
from django.core.exceptions import ValidationError

from salesops.activities import services
from salesops.activities.tests.factories import ResultTagFactory
from salesops.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_manager_records_for_their_rep(org):
    tag = ResultTagFactory(code="owner_reached")
    account = AccountFactory(owner=org.rep_a)
    activity = services.activity_log(
        actor=org.manager_east,
        owner=org.rep_a,
        kind="call",
        account=account,
        duration_seconds=40,
        tag=tag,
    )
    assert activity.owner == org.rep_a and activity.created_by == org.manager_east


def test_owner_outside_the_actors_reach_is_refused(org):
    tag = ResultTagFactory(code="owner_reached2")
    for actor, owner, account_owner in (
        (org.rep_b, org.rep_a, org.rep_b),
        (org.manager_south, org.rep_a, org.rep_d),
    ):
        account = AccountFactory(owner=account_owner)
        with pytest.raises(ValidationError) as caught:
            services.activity_log(actor=actor, owner=owner, kind="call", account=account, tag=tag)
        assert "owner" in caught.value.message_dict


def test_no_owner_means_the_actor(org):
    account = AccountFactory(owner=org.rep_a)
    activity = services.activity_log(actor=org.rep_a, kind="visit", account=account)
    assert activity.owner == org.rep_a
