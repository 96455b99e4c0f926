"""Default check-in result tags (SPEC A2), installed after ``migrate`` when there are none.
Admins edit the set on the settings page; codes stay stable for rules and reports."""

from __future__ import annotations

from ..models import ResultTag

# (code, 中文, English, counts as a contact)
RESULT_TAGS = [
    ("demo_booked", "已预约演示", "Demo booked", True),
    ("needs_tech", "需技术协同", "Needs technical support", True),
    ("budget_unclear", "预算未明确", "Budget unclear", True),
    ("materials_sent", "已发资料", "Materials sent", True),
    ("price_sensitive", "价格敏感", "Price sensitive", True),
    ("call_back", "约定再联系", "Call back later", True),
    ("no_interest", "无意向", "No interest", True),
    ("no_answer", "无人接听", "No answer", False),
]


def install(sender=None, using="default", **kwargs) -> None:
    try:
        if ResultTag.objects.using(using).exists():
            return
    except Exception:  # noqa: BLE001 - table not there yet (migrating backwards)
        return
    ResultTag.objects.using(using).bulk_create(
        [
            ResultTag(code=code, label_zh=zh, label_en=en, order=i * 10, counts_as_contact=contact)
            for i, (code, zh, en, contact) in enumerate(RESULT_TAGS, start=1)
        ]
    )
