"""Write the starter corpus (:mod:`.corpus`) into the database: the demo organisation's
knowledge base and the labelled matching set's. Idempotent by title; no editor needed
(it is seed data, written with the item's author set to ``author``)."""

from __future__ import annotations

from django.db import transaction

from .. import search
from ..models import KnowledgeItem, KnowledgeTag
from .corpus import ITEMS, TAGS


@transaction.atomic
def install_corpus(author=None) -> dict[str, KnowledgeItem]:
    """The corpus's items by key (created when missing)."""
    tags = {}
    for code, (zh, en) in TAGS.items():
        tags[code], _created = KnowledgeTag.objects.get_or_create(
            code=code, defaults={"label_zh": zh, "label_en": en}
        )
    existing = {
        item.title: item
        for item in KnowledgeItem.objects.filter(title__in=[entry["title"] for entry in ITEMS])
    }
    out = {}
    for entry in ITEMS:
        item = existing.get(entry["title"])
        if item is None:
            item_tags = [tags[code] for code in entry["tags"]]
            item = KnowledgeItem.objects.create(
                kind=entry["kind"],
                title=entry["title"],
                summary=entry["summary"],
                body=entry["body"],
                channel=entry["channel"],
                customer_types=list(entry["customer_types"]),
                author=author,
                created_by=author,
                search_tokens=search.stored_tokens(
                    title=entry["title"],
                    tag_labels=[f"{t.label_zh} {t.label_en}" for t in item_tags],
                    summary=entry["summary"],
                    body=entry["body"],
                ),
            )
            item.tags.set(item_tags)
        out[entry["key"]] = item
    search.bump_version()
    return out
