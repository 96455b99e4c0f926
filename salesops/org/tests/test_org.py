"""The organisation: manager hierarchy, team tree, leave periods and API tokens."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from salesops.core import clock
from salesops.org import selectors, services
from salesops.org.models import ApiToken, Team, User
from salesops.org.tests.factories import UserFactory


def fresh(user) -> User:
    """The user re-read from the database (subordinate ids are cached on the object)."""
    return User.objects.get(pk=user.pk)


def usernames(ids) -> set[str]:
    return set(User.objects.filter(pk__in=ids).values_list("username", flat=True))


# --- manager chain ------------------------------------------------------------------------


def test_team_manager_is_the_manager_of_a_rep(org):
    assert selectors.manager_of(org.rep_a) == org.manager_east
    assert selectors.manager_chain(org.rep_c) == [org.manager_sh, org.manager_east, org.director]


def test_a_team_manager_reports_to_the_parent_teams_manager(org):
    # manager_east manages East, so East's manager is skipped for them
    assert selectors.manager_of(org.manager_east) == org.director
    assert selectors.manager_chain(org.manager_sh) == [org.manager_east, org.director]
    assert selectors.manager_chain(org.director) == []


def test_an_explicit_manager_beats_the_team_manager(org):
    org.rep_c.manager = org.manager_south
    org.rep_c.save()
    assert selectors.manager_of(org.rep_c) == org.manager_south
    assert selectors.manager_chain(org.rep_c) == [org.manager_south, org.director]


def test_a_user_without_team_or_manager_has_no_chain(org):
    loner = UserFactory(username="loner")
    assert selectors.manager_of(loner) is None
    assert selectors.manager_chain(loner) == []


def test_a_cycle_of_explicit_managers_stops(org):
    # given a misconfigured hierarchy: rep_a → rep_b → rep_a
    org.rep_a.manager = org.rep_b
    org.rep_a.save()
    org.rep_b.manager = org.rep_a
    org.rep_b.save()
    # then the chain stops where it would repeat
    assert selectors.manager_chain(fresh(org.rep_a)) == [org.rep_b]
    assert selectors.manager_chain(fresh(org.rep_b)) == [org.rep_a]


def test_a_longer_cycle_through_team_managers_stops(org):
    # director reports to rep_a, who reports (through East) to manager_east → director
    org.director.manager = org.rep_a
    org.director.save()
    chain = selectors.manager_chain(fresh(org.rep_a))
    assert chain == [org.manager_east, org.director]


def test_the_chain_is_limited(org):
    users = [UserFactory(username=f"layer{i}") for i in range(30)]
    for below, above in zip(users, users[1:], strict=False):
        below.manager = above
        below.save()
    assert len(selectors.manager_chain(users[0])) == 20
    assert len(selectors.manager_chain(users[0], limit=5)) == 5


def test_me_reports_the_manager_chain(org):
    _, key = services.api_token_create(user=org.rep_c, name="me")
    body = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/me").json()
    assert body["username"] == "rep_c"
    assert body["manager_chain"] == [org.manager_sh.pk, org.manager_east.pk, org.director.pk]


# --- subordinates -------------------------------------------------------------------------


def test_a_manager_sees_the_managed_team_subtree(org):
    assert usernames(selectors.subordinate_ids(fresh(org.manager_east))) == {
        "manager_east",
        "manager_sh",
        "rep_a",
        "rep_b",
        "rep_c",
        "cs",
    }
    assert usernames(selectors.subordinate_ids(fresh(org.manager_sh))) == {"manager_sh", "rep_c"}
    assert usernames(selectors.subordinate_ids(fresh(org.manager_south))) == {
        "manager_south",
        "rep_d",
    }


def test_direct_reports_count_recursively_even_outside_the_team(org):
    # given rep_d (South) reporting directly to manager_sh, and a trainee reporting to rep_d
    org.rep_d.manager = org.manager_sh
    org.rep_d.save()
    trainee = UserFactory(username="trainee", manager=org.rep_d)
    # then manager_sh sees both
    ids = selectors.subordinate_ids(fresh(org.manager_sh))
    assert usernames(ids) == {"manager_sh", "rep_c", "rep_d", "trainee"}
    assert trainee.pk in ids


def test_users_api_lists_only_visible_users(org):
    def listed(user):
        _, key = services.api_token_create(user=user, name="users")
        response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/users")
        assert response.status_code == 200
        return {u["username"] for u in response.json()}

    assert listed(org.rep_a) == {"rep_a"}
    assert listed(org.manager_sh) == {"manager_sh", "rep_c"}
    assert "rep_d" in listed(org.director)


# --- team tree ----------------------------------------------------------------------------


def test_team_paths_hold_the_ids_from_the_root(org):
    assert org.company.path == f"/{org.company.pk}/"
    assert org.east.path == f"/{org.company.pk}/{org.east.pk}/"
    assert org.shanghai.path == f"{org.east.path}{org.shanghai.pk}/"
    assert set(selectors.team_subtree(org.east)) == {org.east, org.shanghai}


def test_moving_a_team_rewrites_its_subtree(org):
    # when East (with Shanghai below it) moves under South
    services.team_move(team=org.east, parent=org.south)
    east, shanghai = Team.objects.get(pk=org.east.pk), Team.objects.get(pk=org.shanghai.pk)
    # then both paths start with South's
    assert east.parent == org.south
    assert east.path == f"{org.south.path}{east.pk}/"
    assert shanghai.path == f"{east.path}{shanghai.pk}/"
    assert set(selectors.team_subtree(Team.objects.get(pk=org.south.pk))) == {
        org.south,
        east,
        shanghai,
    }
    # and South's manager now sees the East reps
    assert {"rep_a", "rep_c"} <= usernames(selectors.subordinate_ids(fresh(org.manager_south)))


def test_moving_a_team_to_the_top(org):
    services.team_move(team=org.shanghai, parent=None)
    shanghai = Team.objects.get(pk=org.shanghai.pk)
    assert shanghai.path == f"/{shanghai.pk}/"
    assert shanghai.parent is None
    assert "rep_c" not in usernames(selectors.subordinate_ids(fresh(org.manager_east)))


def test_a_sibling_with_a_similar_id_prefix_is_not_moved(org):
    # paths end with "/" so moving team /1/2/ never touches /1/22/
    for i in range(25):
        services.team_create(name=f"T{i}", parent=org.company)
    before = {t.pk: t.path for t in Team.objects.exclude(pk__in=[org.east.pk, org.shanghai.pk])}
    services.team_move(team=org.east, parent=org.south)
    after = {t.pk: t.path for t in Team.objects.filter(pk__in=before)}
    assert after == before


@pytest.mark.parametrize("target", ["east", "shanghai"])
def test_a_team_cannot_move_under_itself_or_its_subtree(org, target):
    paths = dict(Team.objects.values_list("pk", "path"))
    with pytest.raises(ValidationError) as exc:
        services.team_move(team=org.east, parent=getattr(org, target))
    assert "parent" in exc.value.message_dict
    assert "under itself" in exc.value.message_dict["parent"][0]
    assert dict(Team.objects.values_list("pk", "path")) == paths
    assert Team.objects.get(pk=org.east.pk).parent == org.company


def test_teams_api_returns_the_tree_in_path_order(org):
    _, key = services.api_token_create(user=org.rep_a, name="teams")
    teams = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/teams").json()
    names = [t["name"] for t in teams]
    assert names.index("Company") < names.index("East") < names.index("Shanghai")
    east = next(t for t in teams if t["name"] == "East")
    assert (east["parent_id"], east["manager_id"]) == (org.company.pk, org.manager_east.pk)


# --- leave ----------------------------------------------------------------------------------


def test_leave_ending_before_it_starts_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        services.leave_create(
            user=org.rep_a, starts_on=dt.date(2026, 5, 5), ends_on=dt.date(2026, 5, 4)
        )
    assert "ends_on" in exc.value.message_dict
    assert not org.rep_a.leave_periods.exists()


def test_one_day_leave_is_accepted_and_counts_on_that_day(org):
    day = dt.date(2026, 5, 5)
    services.leave_create(user=org.rep_a, starts_on=day, ends_on=day, reason="dentist")
    assert selectors.users_on_leave(day) == {org.rep_a.pk}
    assert selectors.users_on_leave(day + dt.timedelta(days=1)) == set()


# --- API tokens -----------------------------------------------------------------------------


def test_the_plain_token_is_never_stored(org):
    token, key = services.api_token_create(user=org.rep_a, name="CRM sync")
    assert key.startswith("so_") and len(key) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(v) for v in row.values()}
    assert all(key not in str(v) for v in row.values())
    assert row["key_hash"] == ApiToken.hash_key(key)
    assert row["prefix"] == key[:8]


def test_tokens_authenticate_by_key_not_by_hash(org):
    token, key = services.api_token_create(user=org.rep_a, name="t")
    assert services.api_token_authenticate(key) == org.rep_a
    # a leaked database row does not give the key back
    assert services.api_token_authenticate(token.key_hash) is None
    assert services.api_token_authenticate("so_" + token.key_hash) is None
    assert services.api_token_authenticate("") is None


def test_each_token_is_different(org):
    keys = {services.api_token_create(user=org.rep_a, name=f"t{i}")[1] for i in range(5)}
    assert len(keys) == 5


def test_using_a_token_records_when_by_the_clock(org):
    token, key = services.api_token_create(user=org.rep_a, name="t")
    moment = dt.datetime(2026, 6, 1, 2, 3, tzinfo=dt.UTC)
    with clock.frozen(moment):
        services.api_token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == moment


def test_revoking_is_idempotent_and_keeps_the_first_time(org):
    token, key = services.api_token_create(user=org.rep_a, name="t")
    first = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with clock.frozen(first):
        services.api_token_revoke(user=org.rep_a, token_id=token.pk)
    with clock.frozen(first + dt.timedelta(days=1)):
        services.api_token_revoke(user=org.rep_a, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at == first
    assert services.api_token_authenticate(key) is None


def test_a_user_cannot_revoke_someone_elses_token(org):
    token, key = services.api_token_create(user=org.rep_a, name="t")
    with pytest.raises(ApiToken.DoesNotExist):
        services.api_token_revoke(user=org.rep_b, token_id=token.pk)
    assert services.api_token_authenticate(key) == org.rep_a


@pytest.mark.parametrize(
    ("name", "message"), [("  ", "Give the token a name"), ("x" * 101, "too long")]
)
def test_token_names_are_checked(org, name, message):
    with pytest.raises(ValidationError, match=message):
        services.api_token_create(user=org.rep_a, name=name)
    assert not ApiToken.objects.exists()


def test_manager_sees_reports_of_managers_below_them(org):
    """A rep attached to manager_sh only by an explicit manager link (no team) is in
    manager_sh's and therefore manager_east's view, but not manager_south's."""
    from salesops.org.selectors import manager_chain, subordinate_ids
    from salesops.org.tests.factories import UserFactory

    loose = UserFactory(username="loose_rep", manager=org.manager_sh, team=None)
    assert [m.username for m in manager_chain(loose)][:2] == ["manager_sh", "manager_east"]
    assert loose.pk in subordinate_ids(org.manager_sh)
    assert loose.pk in subordinate_ids(org.manager_east)
    assert loose.pk not in subordinate_ids(org.manager_south)
