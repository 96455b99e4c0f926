"""Factories for users, teams, leave and API tokens; ``build_org`` makes the standard
test organisation."""

import datetime as dt
from types import SimpleNamespace

import factory

from salesops.core.tests.factories import ServiceFactory
from salesops.org import services
from salesops.org.models import ApiToken, LeavePeriod, Role, Team, TeamKind, User

PASSWORD = "salesops-test-pw"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.REP
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(ServiceFactory):
    """A group team (``services.team_create`` sets its path in the tree)."""

    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    parent = None
    manager = None
    kind = TeamKind.GROUP

    @classmethod
    def through_service(cls, **values):
        return services.team_create(**values)


class LeavePeriodFactory(ServiceFactory):
    """A week of leave from 2026-03-02 (a Monday)."""

    class Meta:
        model = LeavePeriod

    user = factory.SubFactory(UserFactory)
    starts_on = dt.date(2026, 3, 2)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=6))
    reason = "年假"

    @classmethod
    def through_service(cls, **values):
        return services.leave_create(**values)


class ApiTokenFactory(ServiceFactory):
    """A personal API token; the plain key (shown once) is on ``token.key``."""

    class Meta:
        model = ApiToken
        exclude = ("key",)

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"integration {n}")
    key = factory.LazyFunction(ApiToken.generate_key)
    prefix = factory.LazyAttribute(lambda o: o.key[:8])
    key_hash = factory.LazyAttribute(lambda o: ApiToken.hash_key(o.key))

    @classmethod
    def through_service(cls, *, user, name, **generated):
        token, key = services.api_token_create(user=user, name=name)
        token.key = key
        return token


def team(name, parent=None, manager=None, kind=TeamKind.GROUP):
    return TeamFactory(name=name, parent=parent, manager=manager, kind=kind)


def build_org():
    director = UserFactory(username="director", display_name="Director Dong", role=Role.DIRECTOR)
    company = team("Company", kind=TeamKind.COMPANY, manager=director)
    m_east = UserFactory(username="manager_east", display_name="Manager East", role=Role.MANAGER)
    m_sh = UserFactory(username="manager_sh", display_name="Manager Shanghai", role=Role.MANAGER)
    m_south = UserFactory(username="manager_south", display_name="Manager South", role=Role.MANAGER)
    east = team("East", parent=company, manager=m_east, kind=TeamKind.REGION)
    shanghai = team("Shanghai", parent=east, manager=m_sh)
    south = team("South", parent=company, manager=m_south, kind=TeamKind.REGION)
    for user, t in ((m_east, east), (m_sh, shanghai), (m_south, south), (director, company)):
        user.team = t
        user.save()
    rep_a = UserFactory(username="rep_a", display_name="Rep A", team=east)
    rep_b = UserFactory(username="rep_b", display_name="Rep B", team=east)
    rep_c = UserFactory(username="rep_c", display_name="Rep C", team=shanghai)
    rep_d = UserFactory(username="rep_d", display_name="Rep D", team=south)
    admin = UserFactory(username="admin", display_name="Ops Admin", role=Role.ADMIN, team=company)
    finance = UserFactory(
        username="finance", display_name="Finance Fang", role=Role.FINANCE, team=company
    )
    cs = UserFactory(username="cs", display_name="CS Chen", role=Role.CUSTOMER_SUCCESS, team=east)
    return SimpleNamespace(
        company=company,
        east=east,
        shanghai=shanghai,
        south=south,
        director=director,
        manager_east=m_east,
        manager_sh=m_sh,
        manager_south=m_south,
        rep_a=rep_a,
        rep_b=rep_b,
        rep_c=rep_c,
        rep_d=rep_d,
        admin=admin,
        finance=finance,
        cs=cs,
        password=PASSWORD,
    )


__all__ = [
    "ApiTokenFactory",
    "LeavePeriodFactory",
    "PASSWORD",
    "Team",
    "TeamFactory",
    "UserFactory",
    "build_org",
    "team",
]
