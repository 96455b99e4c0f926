"""Default check-in result tags (SPEC A2), installed after ``migrate`` when there are none,
the default reminder rule for unfinished check-ins and the one for missing daily reports. Admins edit the tags on the
settings page and the rule (its minutes, its words, on or off) on the rules page; codes
stay stable for rules and reports."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from salesops.automation import services as automation_services
from salesops.automation.models import Rule

from ..models import ResultTag

UNFINISHED_RULE = "activity-unfinished-checkin"
UNFINISHED_MINUTES = 30
DAILY_REPORT_RULE = "daily-report-reminder"
DAILY_REPORT_AT = "18:30"


def _text(zh: str, en: str, language: str) -> str:
    return zh if language.startswith("zh") else en


def unfinished_rule_definition(language: str | None = None) -> dict:
    """SPEC A2: an activity still without a result ``UNFINISHED_MINUTES`` after it
    started is brought back to its owner, once (a timer fires once per record)."""
    language = (language or settings.LANGUAGE_CODE).lower()
    return {
        "code": UNFINISHED_RULE,
        "name": _text("未完成签到提醒", "Unfinished check-in reminder", language),
        "description": _text(
            "活动开始 30 分钟后仍未选择结果：在站内提醒负责人完成签到（每条活动只提醒一次）。"
            "修改分钟数即可调整提醒时间。",
            "An activity still without a result 30 minutes after it started: remind its owner "
            "in the inbox to finish the check-in (once per activity). Edit the minutes to "
            "change when.",
            language,
        ),
        "trigger_type": "timer",
        "entity": "activity",
        "trigger": {
            "field": "started_at",
            "minutes": UNFINISHED_MINUTES,
            "unit": "calendar",
            "unless": "tag_id != None",
        },
        "actions": [
            {
                "kind": "notify",
                "to": ["owner"],
                "title": _text(
                    "请完成签到：有一条活动还没有选择结果",
                    "Finish your check-in: an activity has no result yet",
                    language,
                ),
                "message": _text(
                    "打开它，选择结果并保存。",
                    "Open it, pick the result and save.",
                    language,
                ),
            }
        ],
    }


def daily_report_rule_definition(language: str | None = None) -> dict:
    """SPEC A7: on working days at 18:30, each active rep without today's daily report
    (and not on leave) is reminded in the inbox. The time, the words and who is reminded
    (the condition) are edited on the rules page like any rule."""
    language = (language or settings.LANGUAGE_CODE).lower()
    return {
        "code": DAILY_REPORT_RULE,
        "name": _text("日报提醒", "Daily report reminder", language),
        "description": _text(
            "工作日 18:30：提醒今天还没有提交日报的销售（休假除外）。修改时间或条件即可调整。",
            "Working days at 18:30: remind each rep who has not sent today's daily report "
            "(leave excepted). Edit the time or the condition to change it.",
            language,
        ),
        "trigger_type": "schedule",
        "entity": "user",
        "trigger": {"every": "daily", "at": DAILY_REPORT_AT},
        "condition": (
            "is_workday and is_active and role == 'rep' "
            "and not daily_report_today and not on_leave_today"
        ),
        "actions": [
            {
                "kind": "notify",
                "to": ["owner"],
                "title": _text("请提交今天的日报", "Send today's daily report", language),
                "message": _text(
                    "今天做了什么、明天的计划、需要的支持：一分钟填完（活动数据已预填）。",
                    "What you did, tomorrow's plans, the help you need: one minute (your "
                    "activities are already filled in).",
                    language,
                ),
            }
        ],
    }


def rule_definitions(language: str | None = None) -> list[dict]:
    return [unfinished_rule_definition(language), daily_report_rule_definition(language)]


def install_rules(language: str | None = None, codes=None) -> list:
    """The default rules that are not there yet (matched by code; never overwritten;
    ``codes``: only these)."""
    existing = set(Rule.objects.values_list("code", flat=True))
    created = []
    for definition in rule_definitions(language):
        if definition["code"] in existing or (codes and definition["code"] not in codes):
            continue
        created.append(automation_services.rule_create(actor=None, **definition))
    return created


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


def install_reminder(sender=None, using="default", **kwargs) -> None:
    """post_migrate receiver for the reminder rule. Not under the test suite (it would
    fire in tests about other things); tests install it with ``install_rules``."""
    if getattr(settings, "TESTING", False):
        return
    try:
        Rule.objects.using(using).exists()
    except Exception:  # noqa: BLE001 - tables not there yet (migrating backwards)
        return
    with transaction.atomic(using=using):
        install_rules()
