"""The growth area's rule actions and default rules (ordinary, editable automation rules;
installed after ``migrate`` when missing, never overwritten; matched by code):

* ``kpi-voice-quarterly`` (K6): on the first working day of each month at 09:00 the action
  ``kpi.voice_round`` runs; in the first month of a quarter it samples the previous
  quarter's round (:func:`voice.sample_round`, closes of the last N months) and queues the
  survey e-mails; in the other months it does nothing.
* ``kpi-gap-quarterly`` (K8): same schedule; in the first month of a quarter the action
  ``kpi.capability_gap`` stores the previous quarter's radar (``radar.store_quarter``)
  and raises the coaching plans (:func:`coaching.evaluate`).
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

from . import coaching, radar, voice
from .periods import quarter_bounds

VOICE_KIND = "kpi.voice_round"
GAP_KIND = "kpi.capability_gap"
VOICE_RULE = "kpi-voice-quarterly"
GAP_RULE = "kpi-gap-quarterly"
RUN_AT = "09:00"
QUARTER_MONTHS = (1, 4, 7, 10)


def _validate(config: dict, vctx, errors: dict, kind: str) -> dict:
    if vctx.trigger_type != "schedule" or vctx.entity_key:
        errors["kind"] = _("This action runs on a schedule rule without an entity.")
    return {"kind": kind}


def validate_voice(config: dict, vctx, errors: dict) -> dict:
    return _validate(config, vctx, errors, VOICE_KIND)


def validate_gap(config: dict, vctx, errors: dict) -> dict:
    return _validate(config, vctx, errors, GAP_KIND)


def instant_day(ctx) -> dt.date:
    """The local day the firing is for (a late firing keeps its scheduled day)."""
    values = ctx.variables or {}
    if all(isinstance(values.get(k), int) for k in ("year", "month", "day")):
        return dt.date(values["year"], values["month"], values["day"])
    moment = ctx.firing.fired_at if getattr(ctx, "firing", None) is not None else clock.now()
    return timezone.localtime(moment).date()


def previous_quarter(day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The quarter that just ended when ``day`` is in the first month of a quarter."""
    if day.month not in QUARTER_MONTHS:
        return None
    return quarter_bounds(day.replace(day=1) - dt.timedelta(days=1))


def run_voice(config: dict, ctx) -> dict:
    day = instant_day(ctx)
    quarter = previous_quarter(day)
    if quarter is None:
        return {"day": day.isoformat(), "skipped": _("Not the first month of a quarter.")}
    start, end = quarter
    result: dict = {"quarter": start.isoformat()}
    if ctx.dry_run:
        result["would"] = _("sample the customer-voice round of %(q)s") % {"q": start.isoformat()}
        return result
    round_ = voice.sample_round(start, end)
    result.update(round=round_.pk, sampled=round_.sampled, emails=voice.send_round(round_))
    return result


def run_gap(config: dict, ctx) -> dict:
    day = instant_day(ctx)
    quarter = previous_quarter(day)
    if quarter is None:
        return {"day": day.isoformat(), "skipped": _("Not the first month of a quarter.")}
    start, end = quarter
    result: dict = {"quarter": start.isoformat()}
    if ctx.dry_run:
        result["would"] = _("store the radar of %(q)s and raise coaching plans") % {
            "q": start.isoformat()
        }
        return result
    result["stored"] = radar.store_quarter(start, end)
    result["plans"] = [plan.pk for plan in coaching.evaluate(start, end)]
    return result


def register_all() -> None:
    automation_actions.register(
        VOICE_KIND,
        gettext_lazy("Sample the quarter's customer-voice round and send the survey"),
        validate_voice,
        run_voice,
    )
    automation_actions.register(
        GAP_KIND,
        gettext_lazy("Store the quarter's radar and raise capability-gap coaching plans"),
        validate_gap,
        run_gap,
    )


# --- default rules -----------------------------------------------------------------------------


_text = default_rules.text


def rule_definitions(language: str | None = None) -> list[dict]:
    language = (language or settings.LANGUAGE_CODE).lower()
    trigger = {"every": "monthly_workday", "workday": 1, "at": RUN_AT}
    return [
        {
            "code": VOICE_RULE,
            "name": _text("客户之声季度抽样", "Quarterly customer-voice sampling", language),
            "description": _text(
                "每月第 1 个工作日 09:00 运行；在每季度第一个月为上季度抽样：每位销售随机抽取"
                "近几个月成交的客户，发送“您最看重的 3 项服务动作”问卷（邮件，销售和经理也可"
                "复制链接转发企业微信）。其他月份不做任何事。",
                "Runs on the first working day of each month at 09:00; in the first month of "
                "a quarter it samples the previous quarter: per rep, random customers closed "
                "in the last months get the survey “the 3 service actions you valued most” "
                "(e-mail; the rep and the manager can copy the link for WeCom). Other months "
                "it does nothing.",
                language,
            ),
            "trigger_type": "schedule",
            "entity": "",
            "trigger": dict(trigger),
            "condition": "",
            "actions": [{"kind": VOICE_KIND}],
        },
        {
            "code": GAP_RULE,
            "name": _text("能力短板预警", "Capability gap alert", language),
            "description": _text(
                "每季度第一个月的第 1 个工作日 09:00：保存上季度的能力雷达，"
                "连续两个季度“客户深度”低于团队平均 50% 的销售生成辅导计划，"
                "并给其经理和客户成功各建一个待办（不降级）。",
                "On the first working day of the first month of each quarter at 09:00: store "
                "the previous quarter's capability radar; a rep whose “customer depth” stayed "
                "below 50% of the team average for two quarters gets a coaching plan and a "
                "task for their manager and customer success (never a demotion).",
                language,
            ),
            "trigger_type": "schedule",
            "entity": "",
            "trigger": dict(trigger),
            "condition": "",
            "actions": [{"kind": GAP_KIND}],
        },
    ]


def install_rules(language: str | None = None) -> list:
    """The default rules not there yet (matched by code; never overwritten)."""
    return default_rules.install_missing(rule_definitions(language))


install = default_rules.post_migrate_receiver(install_rules)
