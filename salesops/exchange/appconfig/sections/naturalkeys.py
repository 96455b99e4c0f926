"""Natural keys the sections of an app template share: a team by its path of names, a
user by username, a number as plain text, a choice-list code as a reference.

An app template moves between installations, so no item holds an id: a team is written
as the names from the root down ("华东大区 / 上海组"), a rep by login name.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from salesops.core import choices
from salesops.org.models import Team, User

TEAM_SEPARATOR = " / "


def team_path(team: Team | None) -> str:
    """The names from the root to ``team`` ("" for none)."""
    if team is None:
        return ""
    ids = [int(part) for part in team.path.strip("/").split("/") if part]
    names = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if not ids or len(names) != len(ids):  # a path not set yet: walk the parents
        parts = []
        node = team
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return TEAM_SEPARATOR.join(reversed(parts))
    return TEAM_SEPARATOR.join(names[i] for i in ids)


def find_team(path: str) -> Team | None:
    """The team at ``path`` (names from the root), or None."""
    parent = None
    team = None
    for name in [p.strip() for p in (path or "").split(TEAM_SEPARATOR.strip())]:
        if not name:
            return None
        team = Team.objects.filter(parent=parent, name=name).first()
        if team is None:
            return None
        parent = team
    return team


def find_user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def number(value) -> str | None:
    """A Decimal as the shortest plain text ("50", "0.7"), so equal values give equal
    bytes whatever their stored precision."""
    if value is None or value == "":
        return None
    try:
        value = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def same_number(a, b) -> bool:
    return number(a) == number(b)


def choice_reference(list_key: str, code: str) -> list[tuple[str, str]]:
    """A reference to the choice-list item ``code`` of ``list_key`` when this installation
    lacks it (the file must then carry it in its ``choice_lists`` section)."""
    if not code or code in choices.active_codes(list_key):
        return []
    return [("choice_lists", f"{list_key}.{code}")]
