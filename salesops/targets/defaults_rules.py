"""The targets module's default automation rule, an ordinary editable rule of the engine
(installed after ``migrate`` when missing, never overwritten; matched by code):

* ``targets-health-monthly`` (SPEC T4, active): on the Nth working day of each month
  (:attr:`TargetPolicy.snapshot_workday` when installed, 5 by default; the Chinese
  workday calendar) at 09:00, the action ``targets_health_snapshot`` stores the health
  snapshot of every published plan, evaluates the award of a quarter that just ended and
  sends the headline to the plans' managers and the directors. To move the day later,
  edit the rule's "working day" (the rules page) — the policy's number is the default a
  new installation starts from.
"""

from __future__ import annotations

from django.conf import settings

from salesops.automation import default_rules

from .actions import KIND
from .models import TargetPolicy

RULE_CODE = "targets-health-monthly"
RUN_AT = "09:00"


_text = default_rules.text


def rule_definition(language: str | None = None) -> dict:
    language = (language or settings.LANGUAGE_CODE).lower()
    workday = TargetPolicy.current().snapshot_workday
    return {
        "code": RULE_CODE,
        "name": _text("目标健康度月度快照", "Monthly target health snapshot", language),
        "description": _text(
            f"每月第 {workday} 个工作日 09:00：为每个已发布的目标计划保存团队和销售的健康度快照"
            "（完成率、有效商机、缺口、覆盖率），季度结束后评估过程健康奖，"
            "并把摘要（红色团队数量和看板链接）发给计划内各团队经理和总监。",
            f"On working day {workday} of each month at 09:00: store the health "
            "snapshot of every published target plan (completion, qualified pipeline, gap, "
            "coverage per team and rep), evaluate the process-health award of a quarter "
            "that just ended, and send the headline (red teams, link to the dashboard) to "
            "the plans' team managers and the directors.",
            language,
        ),
        "trigger_type": "schedule",
        "entity": "",
        "trigger": {"every": "monthly_workday", "workday": workday, "at": RUN_AT},
        "condition": "",
        "actions": [{"kind": KIND}],
    }


def install_rules(language: str | None = None) -> list:
    """The default rule when it is not there yet (matched by code; never overwritten)."""
    return default_rules.install_missing([rule_definition(language)])


install = default_rules.post_migrate_receiver(install_rules, TargetPolicy)
