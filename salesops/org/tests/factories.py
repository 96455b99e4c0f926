"""Factories for users and teams; ``build_org`` makes the standard test organisation."""

from types import SimpleNamespace

import factory

from salesops.org import services
from salesops.org.models import Role, Team, TeamKind, User

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


def team(name, parent=None, manager=None, kind=TeamKind.GROUP):
    return services.team_create(name=name, parent=parent, manager=manager, kind=kind)


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


__all__ = ["UserFactory", "build_org", "team", "Team", "PASSWORD"]
