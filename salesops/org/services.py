"""Writes about the organisation: teams, users, leave periods, API tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock

from .models import ApiToken, LeavePeriod, Role, Team, TeamKind, User


def _set_path(team: Team) -> None:
    parent_path = team.parent.path if team.parent_id else "/"
    team.path = f"{parent_path}{team.pk}/"


@transaction.atomic
def team_create(
    *,
    name: str,
    parent: Team | None = None,
    kind: str = TeamKind.GROUP,
    manager: User | None = None,
    region: str = "",
    product_lines: str = "",
) -> Team:
    team = Team(
        name=name,
        parent=parent,
        kind=kind,
        manager=manager,
        region=region,
        product_lines=product_lines,
    )
    team.full_clean(exclude=["path"])
    team.save()
    _set_path(team)
    team.save(update_fields=["path"])
    return team


@transaction.atomic
def team_move(*, team: Team, parent: Team | None) -> Team:
    """Move a team (and its subtree) under a new parent, refusing cycles."""
    if parent is not None and parent.path.startswith(team.path):
        raise ValidationError(
            {"parent": _("A team cannot be moved under itself or its own sub-team.")}
        )
    old_prefix = team.path
    team.parent = parent
    _set_path(team)
    team.save(update_fields=["parent", "path"])
    for child in Team.objects.filter(path__startswith=old_prefix).exclude(pk=team.pk):
        child.path = team.path + child.path[len(old_prefix) :]
        child.save(update_fields=["path"])
    return team


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    role: str = Role.REP,
    team: Team | None = None,
    manager: User | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "zh-hans",
    **extra,
) -> User:
    user = User(
        username=username,
        role=role,
        team=team,
        manager=manager,
        display_name=display_name,
        email=email,
        phone=phone,
        language=language,
        **extra,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


# What an administrator may change on a user through ``user_update``.
USER_UPDATE_FIELDS = (
    "display_name",
    "email",
    "phone",
    "language",
    "role",
    "team",
    "manager",
    "daily_lead_cap",
    "is_active",
)


@transaction.atomic
def user_update(*, actor: User | None, user: User, **changes) -> User:
    """Change a user's details; changes to role, team, manager, daily cap and active
    state are recorded with ``actor`` as who made them (``UserChange``)."""
    unknown = sorted(set(changes) - set(USER_UPDATE_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    for name, value in changes.items():
        setattr(user, name, value)
    if changes.get("manager") is not None and changes["manager"].pk == user.pk:
        raise ValidationError({"manager": _("A user cannot be their own manager.")})
    user.full_clean(exclude=["password"])
    user._change_actor = actor
    try:
        user.save()
    finally:
        del user._change_actor
    return user


@transaction.atomic
def leave_create(*, user: User, starts_on, ends_on, reason: str = "") -> LeavePeriod:
    leave = LeavePeriod(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day must not be before the first day.")})
    leave.full_clean()
    leave.save()
    return leave


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; returns the record and the plain key (shown once)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name so you can recognise it later.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is too long (at most 100 characters).")})
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:8], key_hash=ApiToken.hash_key(key)
    )
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str) -> User | None:
    if not key or not key.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=ApiToken.hash_key(key))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    token.touch()
    return token.user
