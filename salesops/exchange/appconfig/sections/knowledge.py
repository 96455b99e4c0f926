"""App-template sections of the knowledge app: the topic tags scripts and articles are
filed under (价格异议, 降本增效 …), i.e. the knowledge and script categories. The items
themselves are content, not configuration: no template carries them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _l

from salesops.knowledge import services as knowledge_services
from salesops.knowledge.models import KnowledgeTag

from ..base import Section, register
from .common import TEXT, check_fields


@register
class KnowledgeCategories(Section):
    name = "knowledge_categories"
    label = _l("Knowledge category")
    SPEC = {"code": TEXT, "label_zh": TEXT, "label_en": TEXT}

    def key(self, item: dict) -> str:
        return str(item.get("code", ""))

    def export(self) -> list[dict]:
        items = [
            {"code": t.code, "label_zh": t.label_zh, "label_en": t.label_en}
            for t in KnowledgeTag.objects.all()
        ]
        # Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
        return sorted(items, key=self.key)

    def validate(self, item: dict) -> list[str]:
        return check_fields(item, self.SPEC, ("code", "label_zh"))

    def apply(self, item: dict, *, actor) -> str:
        existing = KnowledgeTag.objects.filter(code=item["code"]).first()
        # A file that leaves out the English label keeps the one there is.
        label_en = item.get("label_en", existing.label_en if existing else "")
        _tag, outcome = knowledge_services.tag_save(
            actor=actor, code=item["code"], label_zh=item["label_zh"], label_en=label_en or ""
        )
        return outcome
