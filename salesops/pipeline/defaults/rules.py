"""The pipeline's default automation rules, ordinary editable rules of the engine
(installed after ``migrate`` when missing, never overwritten; matched by code):

* ``deal-stall-alert`` (D4, active): a deal longer in an open stage than the stage's
  ``stall_days`` Chinese working days → its owner and the owner's manager are told, with
  the stage's suggested next actions. A timer on ``stall_due_at`` (the instant the
  threshold passes, computed from ``stage_entered_at`` with the workday calendar and
  recomputed on every move and threshold change). The engine's timers fire at least one
  minute after their start field, so the alert fires one *working* minute after
  ``stall_due_at``: strictly more than the threshold, and always in working hours. A
  move gives the deal a new ``stall_due_at``: the clock restarts for the new stage (a
  timer fires once per start instant) and the old instant is gone, so no alert for the
  stage it left; won and lost deals have none.
* ``deal-auto-approve-small`` (D2, switched off): a stage change waiting for approval on
  a deal under ¥50,000 is approved by the rule. Off by default — whether small deals
  skip the manager is the organisation's decision; switch it on and edit the amount in
  the rule's condition on the rules page.
"""

from __future__ import annotations

from django.conf import settings

from salesops.automation import services as automation_services
from salesops.automation.models import Rule

STALL_RULE = "deal-stall-alert"
AUTO_APPROVE_RULE = "deal-auto-approve-small"
# The engine's smallest timer offset (minutes after ``stall_due_at``).
STALL_OFFSET_MINUTES = 1
AUTO_APPROVE_BELOW = 50000


def _text(zh: str, en: str, language: str) -> str:
    return zh if language.startswith("zh") else en


def stall_rule_definition(language: str) -> dict:
    return {
        "code": STALL_RULE,
        "name": _text("商机阶段停滞提醒", "Deal stalled in its stage", language),
        "description": _text(
            "商机在一个进行中的阶段停留超过该阶段的停滞天数（中国工作日，默认 5 天，"
            "在 设置 · 销售流程 中按阶段修改）：通知负责人及其上级，并附上该阶段的建议下一步。",
            "A deal longer in an open stage than the stage's stall threshold (Chinese "
            "working days, 5 by default, set per stage on Settings · Pipelines): tell the "
            "owner and their manager, with the stage's suggested next actions.",
            language,
        ),
        "trigger_type": "timer",
        "entity": "deal",
        "trigger": {
            "field": "stall_due_at",
            "minutes": STALL_OFFSET_MINUTES,
            "unit": "working",
            "unless": "status != 'open'",
        },
        "actions": [
            {
                "kind": "notify",
                "to": ["owner", "manager"],
                "title": _text(
                    "商机停滞：{name} 在「{stage_name}」已 {days_in_stage} 个工作日",
                    "Deal stalled: {name} has been {days_in_stage} working days in “{stage_name}”",
                    language,
                ),
                "message": _text(
                    "建议下一步：\n{stage_next_actions}",
                    "Suggested next actions:\n{stage_next_actions}",
                    language,
                ),
            }
        ],
    }


def auto_approve_rule_definition(language: str) -> dict:
    return {
        "code": AUTO_APPROVE_RULE,
        "name": _text(
            "小额商机阶段变更自动审批", "Auto-approve stage changes of small deals", language
        ),
        "description": _text(
            "金额低于 50,000 元的商机提交需审批的阶段变更时，由规则自动批准。默认关闭；"
            "修改条件中的金额后启用。",
            "A stage change waiting for approval on a deal under ¥50,000 is approved by the "
            "rule. Off by default; edit the amount in the condition, then switch it on.",
            language,
        ),
        "is_active": False,
        "trigger_type": "event",
        "entity": "deal",
        "trigger": {"event": "deal.stage_change_requested"},
        "condition": f"amount < {AUTO_APPROVE_BELOW}",
        "actions": [{"kind": "approve_stage_change"}],
    }


def rule_definitions(language: str | None = None) -> list[dict]:
    language = (language or settings.LANGUAGE_CODE).lower()
    return [stall_rule_definition(language), auto_approve_rule_definition(language)]


def install_rules(language: str | None = None, codes=None) -> list:
    """The default rules that are not there yet (``codes``: only these)."""
    existing = set(Rule.objects.values_list("code", flat=True))
    created = []
    for definition in rule_definitions(language):
        if definition["code"] in existing or (codes and definition["code"] not in codes):
            continue
        created.append(automation_services.rule_create(actor=None, **definition))
    return created
