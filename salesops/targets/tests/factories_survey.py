"""Test data of the survey and settings tests: a plan (written directly: the plans service
is another area's), allocations of its version, users answering."""

from __future__ import annotations

import itertools
from decimal import Decimal

from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory
from salesops.targets import survey
from salesops.targets.models import Allocation, Quadrant, TargetPlan

_n = itertools.count(1)


def make_plan(team, **fields) -> TargetPlan:
    fields.setdefault("name", f"Plan {next(_n)}")
    fields.setdefault("fiscal_year", 2026)
    return TargetPlan.objects.create(team=team, **fields)


def allocate(plan, rep, amount, team=None) -> Allocation:
    """A rep's target in the plan's version in force."""
    return Allocation.objects.create(
        plan=plan,
        version=plan.version,
        rep=rep,
        team=team or rep.team,
        quadrant=Quadrant.LOW_SIZE_LOW_WIN,
        weight=Decimal("1"),
        share=Decimal("0"),
        amount=Decimal(amount),
    )


def person(role=Role.REP, team=None) -> object:
    return UserFactory(role=role, team=team)


def answer(plan, user, estimate, reachability=3, priority="new_customers"):
    return survey.survey_answer(
        plan=plan,
        user=user,
        estimate=Decimal(estimate),
        reachability=reachability,
        priority=priority,
    )


def answers(plan, team, role, estimates, **kwargs) -> list:
    """One new user of ``role`` in ``team`` per estimate, each answering it."""
    users = [person(role, team) for _e in estimates]
    for user, estimate in zip(users, estimates, strict=True):
        answer(plan, user, estimate, **kwargs)
    return users
