"""The review area's rule actions and default rules (ordinary, editable automation rules,
installed after ``migrate`` when missing and never overwritten; matched by code):

* ``kpi-credibility-monthly`` (K9): on the 3rd working day of each month at 08:00, the
  action ``kpi.credibility_month`` computes the *previous* month's credibility entry of
  every active rep (:func:`.credibility.compute_month`).
* ``kpi-compliance-nightly`` (K10): every day at 02:00, the action ``kpi.compliance_scan``
  scans the quote files and activity notes that changed since the last scan
  (:func:`.compliance.scan`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.automation import actions as automation_actions
from salesops.automation import default_rules
from salesops.core import clock

from . import compliance, credibility

KIND_CREDIBILITY = "kpi.credibility_month"
KIND_SCAN = "kpi.compliance_scan"
CREDIBILITY_RULE = "kpi-credibility-monthly"
SCAN_RULE = "kpi-compliance-nightly"
CREDIBILITY_WORKDAY = 3


def _schedule_only(config: dict, vctx, errors: dict, kind: str) -> dict:
    if vctx.trigger_type != "schedule" or vctx.entity_key:
        errors["kind"] = _("This action runs on a schedule rule without an entity.")
    return {"kind": kind}


def validate_credibility(config: dict, vctx, errors: dict) -> dict:
    return _schedule_only(config, vctx, errors, KIND_CREDIBILITY)


def validate_scan(config: dict, vctx, errors: dict) -> dict:
    return _schedule_only(config, vctx, errors, KIND_SCAN)


def _instant(ctx) -> dt.datetime:
    values = ctx.variables or {}
    if all(isinstance(values.get(k), int) for k in ("year", "month", "day")):
        day = dt.date(values["year"], values["month"], values["day"])
        if timezone.localtime(clock.now()).date() != day:  # a late firing: its own day
            return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        return clock.now()
    return ctx.firing.fired_at if getattr(ctx, "firing", None) is not None else clock.now()


def run_credibility(config: dict, ctx) -> dict:
    month = credibility.previous_month(timezone.localtime(_instant(ctx)).date())
    result: dict = {"month": month.isoformat()}
    if ctx.dry_run:
        result["would"] = _("compute the credibility lists of %(month)s") % {
            "month": month.strftime("%Y-%m")
        }
        return result
    result["reps"] = credibility.compute_month(month)
    return result


def run_scan(config: dict, ctx) -> dict:
    if ctx.dry_run:
        return {"would": _("scan the quotes and notes changed since the last scan")}
    record = compliance.scan()
    return {
        "scan": record.pk,
        "documents": record.documents,
        "texts": record.texts,
        "findings": record.findings,
        "not_read": record.not_read,
    }


def register_all() -> None:
    automation_actions.register(
        KIND_CREDIBILITY,
        gettext_lazy("Compute last month's data-credibility red and black lists"),
        validate_credibility,
        run_credibility,
    )
    automation_actions.register(
        KIND_SCAN,
        gettext_lazy("Run the behaviour-compliance scan"),
        validate_scan,
        run_scan,
    )


_text = default_rules.text


def rule_definitions(language: str | None = None) -> list[dict]:
    language = (language or settings.LANGUAGE_CODE).lower()
    return [
        {
            "code": CREDIBILITY_RULE,
            "name": _text("数据可信度红黑榜（月度）", "Monthly data-credibility lists", language),
            "description": _text(
                f"每月第 {CREDIBILITY_WORKDAY} 个工作日 08:00：计算上个月每位销售的线索来源"
                "标注准确率和客户等级更新及时性，生成红榜和黑榜。",
                f"On working day {CREDIBILITY_WORKDAY} of each month at 08:00: compute "
                "last month's lead-source accuracy and customer-level timeliness of every "
                "rep and list them on the red or black list.",
                language,
            ),
            "trigger_type": "schedule",
            "entity": "",
            "trigger": {
                "every": "monthly_workday",
                "workday": CREDIBILITY_WORKDAY,
                "at": "08:00",
            },
            "condition": "",
            "actions": [{"kind": KIND_CREDIBILITY}],
        },
        {
            "code": SCAN_RULE,
            "name": _text("行为合规扫描（每晚）", "Nightly behaviour-compliance scan", language),
            "description": _text(
                "每天 02:00：检查新上传的报价文件（水印、禁用话术、未签保密协议时的核心参数）"
                "和新的跟进记录，疑似违规进入复核队列。",
                "Every day at 02:00: check new quote files (watermark, forbidden wording, "
                "core parameters before an NDA) and new activity notes; possible "
                "violations go to the review queue.",
                language,
            ),
            "trigger_type": "schedule",
            "entity": "",
            "trigger": {"every": "daily", "at": "02:00"},
            "condition": "",
            "actions": [{"kind": KIND_SCAN}],
        },
    ]


def install_rules(language: str | None = None) -> list:
    """The default rules that are not there yet (matched by code; never overwritten)."""
    return default_rules.install_missing(rule_definitions(language))


install = default_rules.post_migrate_receiver(install_rules)
