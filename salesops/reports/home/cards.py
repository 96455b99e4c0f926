"""Cards that apps above reports put on a role's home page (the incentives app's "My
bonus" card, for one): registered in the app's ``AppConfig.ready`` so reports never
imports the app. A card is a template and a builder ``builder(user) -> dict | None``
(``None``: no card for this user); the template receives the dict as ``card``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    name: str
    template: str
    builder: Callable


_CARDS: dict[str, list[Card]] = {}


def register(role: str, name: str, template: str, builder: Callable) -> None:
    """Add (or replace, by ``name``) a card on ``role``'s home page."""
    cards = [c for c in _CARDS.get(role, []) if c.name != name]
    cards.append(Card(name, template, builder))
    _CARDS[role] = cards


def for_user(user, role: str) -> list[dict]:
    """The cards ``user`` sees on their home page: ``[{"template", "card"}]``."""
    shown = []
    for card in _CARDS.get(role, []):
        context = card.builder(user)
        if context is not None:
            shown.append({"name": card.name, "template": card.template, "card": context})
    return shown
