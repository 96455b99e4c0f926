"""The director's home card with the outcome board's headline (registered into the
reports app's home-card registry: reports sits below outcomes and never imports it)."""

from __future__ import annotations

from salesops.org.models import Role
from salesops.reports.home import cards as home_cards

from . import selectors
from .metrics import Scope


def headline(user) -> dict | None:
    if not user.sees_everything:
        return None
    return {"cards": selectors.cards(Scope.org(), codes=selectors.HEADLINE)}


def register() -> None:
    home_cards.register(Role.DIRECTOR, "outcomes", "outcomes/home/_headline.html", headline)
