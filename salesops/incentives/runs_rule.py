"""The month-end bonus run as an ordinary, editable automation rule (X2):
``incentives-month-end`` fires on the 1st of each month at 06:00 and its action
``incentives.month_end`` runs the previous month (:func:`monthend.run_month`). Installed
after ``migrate`` when missing, never overwritten; matched by code."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.automation import actions as automation_actions
from salesops.automation import default_rules
from salesops.core import clock

from . import ledger, monthend

KIND = "incentives.month_end"
RULE = "incentives-month-end"
CRON = "0 6 1 * *"


def validate(config: dict, vctx, errors: dict) -> dict:
    if vctx.trigger_type != "schedule" or vctx.entity_key:
        errors["kind"] = _("This action runs on a schedule rule without an entity.")
    return {"kind": KIND}


def firing_day(ctx) -> dt.date:
    """The local day the firing is for (a late firing keeps its scheduled day)."""
    values = ctx.variables or {}
    if all(isinstance(values.get(k), int) for k in ("year", "month", "day")):
        return dt.date(values["year"], values["month"], values["day"])
    moment = ctx.firing.fired_at if getattr(ctx, "firing", None) is not None else clock.now()
    return timezone.localtime(moment).date()


def previous_month(day: dt.date) -> dt.date:
    return ledger.month_of(day.replace(day=1) - dt.timedelta(days=1))


def run(config: dict, ctx) -> dict:
    month = previous_month(firing_day(ctx))
    result: dict = {"month": month.strftime("%Y-%m")}
    if ctx.dry_run:
        result["would"] = _("run the bonuses of %(month)s") % {"month": result["month"]}
        return result
    try:
        bonus_run = monthend.run_month(month)
    except ValidationError as exc:
        result["skipped"] = " ".join(exc.messages)
        return result
    result.update(run=bonus_run.pk, summary=bonus_run.summary)
    return result


def register_all() -> None:
    automation_actions.register(
        KIND, gettext_lazy("Run the month-end bonus run (previous month)"), validate, run
    )


_text = default_rules.text


def rule_definitions(language: str | None = None) -> list[dict]:
    language = (language or settings.LANGUAGE_CODE).lower()
    return [
        {
            "code": RULE,
            "name": _text("月末奖金计算", "Month-end bonus run", language),
            "description": _text(
                "每月 1 日 06:00 计算上个月的奖金：成交奖金（分期释放）、月度与季度奖励、"
                "攻坚特别奖和过程健康奖，按客户健康系数调整。已审批锁定的月份不再计算。",
                "On the 1st of each month at 06:00, computes the previous month's bonuses: "
                "deal bonuses (released in tranches), monthly and quarterly rewards, the "
                "breakthrough and process-health awards, adjusted by the customer-health "
                "coefficient. An approved, locked month is not computed again.",
                language,
            ),
            "trigger_type": "schedule",
            "entity": "",
            "trigger": {"cron": CRON},
            "condition": "",
            "actions": [{"kind": KIND}],
        }
    ]


def install_rules(language: str | None = None) -> list:
    """The default rule when missing (matched by code; never overwritten)."""
    return default_rules.install_missing(rule_definitions(language))


install = default_rules.post_migrate_receiver(install_rules)
