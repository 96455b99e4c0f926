"""Knowledge items and pushes for the push tests (written directly: seed-like data, the
way the defaults write the pricing course)."""

from __future__ import annotations

import itertools

from salesops.knowledge import pushes
from salesops.knowledge.models import Kind, KnowledgeItem

_n = itertools.count(1)


def item(**data) -> KnowledgeItem:
    n = next(_n)
    data.setdefault("kind", Kind.COURSE)
    data.setdefault("title", f"推送内容{n}")
    data.setdefault("body", f"正文{n}")
    return KnowledgeItem.objects.create(**data)


def script(customer_types=(), **data) -> KnowledgeItem:
    return item(kind=Kind.SCRIPT, customer_types=list(customer_types), **data)


def push(user, *, requires_note=False, key=None, **data):
    obj, _created = pushes.push_deliver(
        item=data.pop("item", None) or item(),
        user=user,
        key=key or f"test:{next(_n)}",
        requires_note=requires_note,
        reason=data.pop("reason", "因为测试"),
    )
    return obj
