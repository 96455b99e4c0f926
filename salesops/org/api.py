"""Organisation over the API: who am I, users I may see, teams."""

from __future__ import annotations

from ninja import Router, Schema

from . import selectors
from .models import Team

router = Router(tags=["org"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    language: str
    team_id: int | None
    manager_chain: list[int]


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    manager_id: int | None
    region: str


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.label,
        "role": user.role,
        "language": user.language,
        "team_id": user.team_id,
        "manager_chain": [m.pk for m in selectors.manager_chain(user)],
    }


@router.get("/users", response=list[UserOut], summary="Users you may see")
def users(request):
    return list(selectors.visible_users(request.user).order_by("username")[:1000])


@router.get("/teams", response=list[TeamOut], summary="The team tree")
def teams(request):
    return list(Team.objects.order_by("path"))
