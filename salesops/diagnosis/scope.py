"""Whose numbers a diagnosis measures: the organisation, a team's subtree or one rep.

The scope is the visibility rule applied once (core/visibility.py): a director, admin or
finance sees the organisation and may narrow it to any team or rep; a manager sees the
teams they manage (their subtree) and its reps, never the organisation; a rep (and
customer success) only themselves. A scope's owners do not depend on who looks at it, so
a run of ``team:7`` is the same for the director and the team's manager and is kept once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from salesops.core.visibility import visible_users
from salesops.org.models import Team

ORG = "org"


@dataclass(frozen=True)
class Scope:
    kind: str  # "org" | "team" | "rep"
    key: str  # "org", "team:<id>", "rep:<id>"
    label: str
    owner_ids: tuple[int, ...] | None  # None: everyone
    team: Team | None = None
    rep: object | None = None

    @property
    def query(self) -> str:
        """The query string that selects this scope on the pages (``""`` for the default)."""
        if self.kind == "team":
            return f"team={self.team.pk}"
        if self.kind == "rep":
            return f"rep={self.rep.pk}"
        return ""

    def owners_filter(self, path: str) -> dict:
        """``{path__in: ids}`` for this scope, ``{}`` for the organisation."""
        return {} if self.owner_ids is None else {f"{path}__in": self.owner_ids}

    @property
    def team_path(self) -> str:
        """The team subtree the scope lies in (``""``: anywhere)."""
        if self.kind == "team":
            return self.team.path
        if self.kind == "rep":
            team = getattr(self.rep, "team", None)
            return team.path if team is not None else "\x00"
        return ""


def org_scope() -> Scope:
    return Scope(ORG, ORG, str(_("Whole organisation")), None)


def team_scope(team: Team) -> Scope:
    ids = (
        get_user_model()
        .objects.filter(team__path__startswith=team.path)
        .values_list("pk", flat=True)
    )
    return Scope("team", f"team:{team.pk}", team.name, tuple(sorted(ids)), team=team)


def rep_scope(rep) -> Scope:
    return Scope("rep", f"rep:{rep.pk}", rep.label, (rep.pk,), rep=rep)


def visible_teams(user):
    """The teams whose diagnosis ``user`` may open."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.sees_everything:
        return Team.objects.all()
    if user.is_manager_role:
        paths = list(Team.objects.filter(manager=user).values_list("path", flat=True))
        if user.team_id and user.team.manager_id == user.pk and user.team.path not in paths:
            paths.append(user.team.path)
        if not paths:
            return Team.objects.none()
        from django.db.models import Q

        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        return Team.objects.filter(condition)
    return Team.objects.none()


def default_scope(user) -> Scope:
    if user.sees_everything:
        return org_scope()
    if user.is_manager_role:
        managed = Team.objects.filter(manager=user).order_by("path").first()
        if managed is not None:
            return team_scope(managed)
    return rep_scope(user)


def _int(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404(_("Unknown team or rep.")) from None
    if not 0 < number < 2**31:
        raise Http404(_("Unknown team or rep."))
    return number


def scope_for(user, *, team=None, rep=None) -> Scope:
    """The scope ``user`` asked for (``team`` / ``rep`` ids from the query string), or their
    default; a team or rep they may not see is a 404 (it is not there for them)."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to see the diagnosis."))
    if rep not in (None, ""):
        person = visible_users(user).filter(pk=_int(rep, "rep")).select_related("team").first()
        if person is None:
            raise Http404(_("Unknown rep."))
        return rep_scope(person)
    if team not in (None, ""):
        found = visible_teams(user).filter(pk=_int(team, "team")).first()
        if found is None:
            raise Http404(_("Unknown team."))
        return team_scope(found)
    return default_scope(user)


def scope_from_key(key: str) -> Scope | None:
    """The scope a stored run names (for the worker; no visibility: the run was allowed)."""
    if key == ORG:
        return org_scope()
    kind, _sep, pk = key.partition(":")
    if not pk.isdigit():
        return None
    if kind == "team":
        team = Team.objects.filter(pk=int(pk)).first()
        return team_scope(team) if team else None
    if kind == "rep":
        rep = get_user_model().objects.filter(pk=int(pk)).select_related("team").first()
        return rep_scope(rep) if rep else None
    return None


def scope_choices(user) -> dict:
    """What the scope picker offers ``user``: the organisation (if they see it), teams, reps."""
    return {
        "org": user.sees_everything,
        "teams": list(visible_teams(user).order_by("path")),
        "reps": list(visible_users(user).filter(role="rep").order_by("display_name", "username"))
        if (user.sees_everything or user.is_manager_role)
        else [],
    }
