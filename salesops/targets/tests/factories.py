"""Target plans for tests, created through the service (calibration row, default
scenarios and survey come with them). Other areas put their own factories in
``factories_<area>.py`` and import these.

- ``TargetPlanFactory(team=…, fiscal_year=…, name=…, actor=…)``: a draft plan of the root
  team (made when missing) for fiscal 2026, created by an admin (made when not given);
- ``make_org(reps=N)``: a small organisation of its own: a company with a director and
  an admin, one region with a manager and N reps;
- ``make_plan(actor, **values)``: the short form.
"""

from __future__ import annotations

from types import SimpleNamespace

import factory

from salesops.core.tests.factories import ServiceFactory
from salesops.org.models import Role, Team, TeamKind
from salesops.org.tests.factories import PASSWORD, UserFactory, team
from salesops.targets import services
from salesops.targets.models import TargetPlan


def root_team() -> Team:
    return Team.objects.filter(parent__isnull=True).order_by("pk").first() or team(
        "Company", kind=TeamKind.COMPANY
    )


def an_admin():
    from salesops.org.models import User

    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first() or (
        UserFactory(role=Role.ADMIN, team=root_team())
    )


class TargetPlanFactory(ServiceFactory):
    class Meta:
        model = TargetPlan

    name = factory.Sequence(lambda n: f"2026 目标 {n}")
    fiscal_year = 2026
    team = factory.LazyFunction(root_team)
    product_line = ""
    measure = None
    actor = None

    @classmethod
    def through_service(cls, *, actor=None, **values):
        return services.plan_create(actor=actor or an_admin(), **values)


def make_plan(actor=None, **values) -> TargetPlan:
    return TargetPlanFactory(actor=actor, **values)


def make_org(reps: int = 3, *, prefix: str = "t") -> SimpleNamespace:
    """company (director, admin) └── region (manager) ── reps[0..N-1]."""
    director = UserFactory(username=f"{prefix}_director", role=Role.DIRECTOR)
    company = team(f"{prefix} Company", kind=TeamKind.COMPANY, manager=director)
    manager = UserFactory(username=f"{prefix}_manager", role=Role.MANAGER)
    region = team(f"{prefix} Region", parent=company, manager=manager, kind=TeamKind.REGION)
    director.team = company
    director.save()
    manager.team = region
    manager.save()
    admin = UserFactory(username=f"{prefix}_admin", role=Role.ADMIN, team=company)
    members = [
        UserFactory(username=f"{prefix}_rep{i}", display_name=f"Rep {i}", team=region)
        for i in range(reps)
    ]
    return SimpleNamespace(
        company=company,
        region=region,
        director=director,
        manager=manager,
        admin=admin,
        reps=members,
        password=PASSWORD,
    )


__all__ = ["TargetPlanFactory", "an_admin", "make_org", "make_plan", "root_team"]
