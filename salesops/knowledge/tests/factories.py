"""Knowledge items through the service (an editor writes them)."""

from __future__ import annotations

import itertools

from salesops.knowledge import services

_n = itertools.count(1)


def make_item(actor, **data):
    n = next(_n)
    data.setdefault("kind", "article")
    data.setdefault("title", f"知识条目{n}")
    data.setdefault("body", f"正文{n}")
    return services.item_create(actor=actor, **data)
