"""The read model's default automation rule, an ordinary editable rule of the engine
(installed after ``migrate`` when missing, never overwritten; matched by code):

* ``team-heatmap-morning`` (SPEC A4, active): daily at 08:15 on working days (condition
  ``is_workday``: the Chinese calendar with make-up days and the admin's holidays), each
  manager is sent the link to their team's heatmap of the previous working day with a
  one-line summary (:mod:`.heatmap_digest`). Edit the time to move it (before the
  morning meeting), or switch it off.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from salesops.automation import services as automation_services
from salesops.automation.models import Rule

from .heatmap_digest import ACTION_KIND, RULE_CODE

MORNING_AT = "08:15"


def _text(zh: str, en: str, language: str) -> str:
    return zh if language.startswith("zh") else en


def heatmap_rule_definition(language: str | None = None) -> dict:
    language = (language or settings.LANGUAGE_CODE).lower()
    return {
        "code": RULE_CODE,
        "name": _text("晨会热力图推送", "Morning heatmap for managers", language),
        "description": _text(
            "工作日 8:15（晨会前）：把上一个工作日本团队的有效触达热力图链接发给每位经理，"
            "并附一句摘要（团队有效触达数、没有有效触达的销售）。周一发上周五的；节假日后发"
            "节前最后一个工作日的。节假日不发送。修改执行时间即可调整。",
            "On working days at 08:15 (before the morning meeting): each manager gets the "
            "link to their team's heatmap of effective touches for the previous working day, "
            "with a one-line summary (the team's effective touches, the reps with none). On "
            "Monday it covers Friday; after a holiday, the last workday before it. Nothing is "
            "sent on holidays. Edit the time to move it.",
            language,
        ),
        "trigger_type": "schedule",
        "entity": "",
        "trigger": {"every": "daily", "at": MORNING_AT},
        "condition": "is_workday",
        "actions": [{"kind": ACTION_KIND}],
    }


def install_rules(language: str | None = None) -> list:
    """The default rules that are not there yet (matched by code; never overwritten)."""
    if Rule.objects.filter(code=RULE_CODE).exists():
        return []
    return [automation_services.rule_create(actor=None, **heatmap_rule_definition(language))]


def install(sender=None, using="default", **kwargs) -> None:
    """post_migrate receiver. Not under the test suite (the rule would fire in tests about
    other things); tests install it with :func:`install_rules`."""
    if getattr(settings, "TESTING", False):
        return
    try:
        Rule.objects.using(using).exists()
    except Exception:  # noqa: BLE001 - tables not there yet (migrating backwards)
        return
    with transaction.atomic(using=using):
        install_rules()
