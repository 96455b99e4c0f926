"""The nudge rules (SPEC A5, A6), ordinary editable rules of the engine installed after
``migrate`` when missing (matched by code, never overwritten), and the micro-course the
price-sensitivity rule pushes.

* ``nudge-low-activity-pack`` (A5): every day at 08:40, on working days, each active rep
  whose effective touches were below 60 % of their team's average on each of the last 3
  working days (``low_activity_days_60 == 3``: the third day of such a streak, once per
  streak) receives a script-tips pack (话术锦囊包) — the 3 scripts best matched to their
  customers' industries. Both numbers are in the condition: 50 % for 4 days is
  ``low_activity_days_50 == 4`` (``>=`` instead of ``==`` pushes every day of the
  streak). The variables are explained in :mod:`.variables`.
* ``nudge-price-sensitive-course`` (A6): a rep's 5th activity in a row tagged 价格敏感
  (``price_sensitive``) pushes the pricing-strategy micro-course, which cannot be closed
  before a study note is submitted. ``same_tag_streak == 5``: the 6th of the same streak
  pushes nothing; another result ends the streak, and 5 more push again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from salesops.automation import services as automation_services
from salesops.automation.models import Rule

from . import search
from .actions import KIND
from .models import Kind, KnowledgeItem, KnowledgeTag

LOW_ACTIVITY_RULE = "nudge-low-activity-pack"
PRICE_SENSITIVE_RULE = "nudge-price-sensitive-course"
LOW_ACTIVITY_PERCENT = 60
LOW_ACTIVITY_DAYS = 3
PRICE_TAG = "price_sensitive"
PRICE_STREAK = 5
PACK_SIZE = 3

PRICING_COURSE_TITLE = "微课：价格敏感客户的报价策略"
PRICING_COURSE = {
    "kind": Kind.COURSE,
    "title": PRICING_COURSE_TITLE,
    "summary": "10分钟微课：客户反复说“太贵了”“再便宜点”时，如何守住价格、换取条件、用价值说话。",
    "body": (
        "本课要点：\n"
        "一，先问清“贵”是和谁比、比什么：竞品报价、预算上限，还是心理价位；\n"
        "二，把总价拆成每人每天的成本，用客户自己的数据算投资回收期；\n"
        "三，让价必须换条件：缩短付款周期、提高预付比例、扩大采购范围、签多年合同或提供案例背书；\n"
        "四，报价分层：标准版、推荐版、旗舰版，让客户在我们的方案之间比较，而不是和竞品比价；\n"
        "五，守住底线：折扣审批按公司政策走，不在电话里临时承诺。\n"
        "学习后请写下：最近一位价格敏感客户的真实顾虑，以及你下次会用哪一条方法。"
    ),
    "customer_types": [],
}
PRICE_KNOWLEDGE_TAG = ("price", "价格异议", "Price objection")


def _text(zh: str, en: str, language: str) -> str:
    return zh if language.startswith("zh") else en


def pricing_course() -> KnowledgeItem:
    """The pricing-strategy micro-course (created once, found again by its title)."""
    item = (
        KnowledgeItem.objects.filter(title=PRICING_COURSE_TITLE, kind=Kind.COURSE)
        .order_by("pk")
        .first()
    )
    if item is not None:
        return item
    code, zh, en = PRICE_KNOWLEDGE_TAG
    tag, _created = KnowledgeTag.objects.get_or_create(
        code=code, defaults={"label_zh": zh, "label_en": en}
    )
    item = KnowledgeItem(**PRICING_COURSE)
    # Searchable like any item written through the services (tokens + index version).
    item.search_tokens = search.stored_tokens(
        title=item.title,
        tag_labels=[tag.label_zh, tag.label_en],
        summary=item.summary,
        body=item.body,
    )
    item.save()
    item.tags.add(tag)
    search.bump_version()
    return item


def low_activity_rule_definition(language: str) -> dict:
    return {
        "code": LOW_ACTIVITY_RULE,
        "name": _text("低活跃销售推送话术锦囊", "Script tips for reps with few touches", language),
        "description": _text(
            "每个工作日 08:40：连续 3 个工作日有效触达低于本团队平均值 60% 的销售，"
            "收到与其客户行业匹配的话术锦囊包（3 条话术，每段连续只推一次）。"
            "条件中的 60 和 3 可改：如 low_activity_days_50 == 4。",
            "Every working day at 08:40: a rep whose effective touches were below 60% of "
            "their team's average on each of the last 3 working days receives a script-tips "
            "pack matched to their customers' industries (3 scripts, once per streak). Edit "
            "60 and 3 in the condition, e.g. low_activity_days_50 == 4.",
            language,
        ),
        "trigger_type": "schedule",
        "entity": "user",
        "trigger": {"every": "daily", "at": "08:40"},
        "condition": (
            "is_workday and is_active and role == 'rep' and "
            f"low_activity_days_{LOW_ACTIVITY_PERCENT} == {LOW_ACTIVITY_DAYS}"
        ),
        "actions": [
            {
                "kind": KIND,
                "pack": "scripts",
                "pack_size": PACK_SIZE,
                "to": ["owner"],
                "requires_note": False,
                "reason": _text(
                    "最近 {low_activity_days_60} 个工作日你的有效触达低于团队平均的 60%"
                    "（上个工作日 {effective_touches_yesterday} 次，团队平均 "
                    "{team_touch_average_yesterday} 次）。这几条话术适合你的客户，试试看。",
                    "Your effective touches were below 60% of your team's average on the last "
                    "{low_activity_days_60} working days ({effective_touches_yesterday} on the "
                    "last one, team average {team_touch_average_yesterday}). These scripts suit "
                    "your customers: give them a try.",
                    language,
                ),
            }
        ],
    }


def price_sensitive_rule_definition(language: str, course_id: int) -> dict:
    return {
        "code": PRICE_SENSITIVE_RULE,
        "name": _text(
            "连续价格敏感推送报价策略微课",
            "Pricing micro-course after price-sensitive results",
            language,
        ),
        "description": _text(
            "同一销售连续 5 次签到结果为“价格敏感”：推送《价格敏感客户的报价策略》微课，"
            "提交学习心得后才能关闭。同一段连续只推一次；其他结果打断连续后重新计数。",
            "A rep's 5th check-in in a row with the result “Price sensitive”: push the "
            "pricing-strategy micro-course, which needs a study note before it is closed. "
            "Once per streak; another result ends the streak and the count starts again.",
            language,
        ),
        "trigger_type": "event",
        "entity": "activity",
        "trigger": {"event": "activity.logged"},
        "condition": f"tag == '{PRICE_TAG}' and same_tag_streak == {PRICE_STREAK}",
        "actions": [
            {
                "kind": KIND,
                "item": course_id,
                "to": ["owner"],
                "requires_note": True,
                "reason": _text(
                    "你已连续 {same_tag_streak} 次记录“价格敏感”。学习这节微课，"
                    "写下学习心得后即可关闭。",
                    "You logged “Price sensitive” {same_tag_streak} times in a row. Study this "
                    "micro-course and write a study note to close it.",
                    language,
                ),
            }
        ],
    }


def install_rules(language: str | None = None, codes=None) -> list:
    """The nudge rules that are not there yet (``codes``: only these)."""
    language = (language or settings.LANGUAGE_CODE).lower()
    existing = set(Rule.objects.values_list("code", flat=True))
    wanted = [
        code
        for code in (LOW_ACTIVITY_RULE, PRICE_SENSITIVE_RULE)
        if code not in existing and (not codes or code in codes)
    ]
    created = []
    for code in wanted:
        if code == LOW_ACTIVITY_RULE:
            definition = low_activity_rule_definition(language)
        else:
            definition = price_sensitive_rule_definition(language, pricing_course().pk)
        created.append(automation_services.rule_create(actor=None, **definition))
    return created


def install(sender=None, using="default", **kwargs) -> None:
    """post_migrate receiver. Not under the test suite (the rules would fire in tests
    about other things); tests install them with :func:`install_rules`."""
    if getattr(settings, "TESTING", False):
        return
    try:
        Rule.objects.using(using).exists()
        KnowledgeItem.objects.using(using).exists()
    except Exception:  # noqa: BLE001 - tables not there yet (migrating backwards)
        return
    with transaction.atomic(using=using):
        install_rules()
