"""The demo's daily reports (SPEC A7): most reps wrote one on most working days of the
last two weeks (not today: the 18:30 reminder has someone to remind), "what was done"
written from the day's real figures the way the form prefills it, with plans, now and
then a call for help or a forecast change. The weekly report then has highlights and a
few missing days to show.

Figures are read once per day for everyone (``activities.figures``), not per rep."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from salesops.activities import figures as day_figures
from salesops.activities.models import ActivityKind, DailyReport
from salesops.core import calendar

DAYS = 14
WRITTEN = 0.85  # the share of working days a rep writes the report
KIND_ZH = {
    ActivityKind.CALL: "电话",
    ActivityKind.VISIT: "拜访",
    ActivityKind.WECHAT: "微信",
    ActivityKind.EMAIL: "邮件",
    ActivityKind.MEETING: "会议",
}
PLANS = [
    "明天上午回访两家意向客户，下午准备方案报价。",
    "跟进上周演示的客户，约技术交流会。",
    "整理客户需求，提交方案给售前评审。",
    "拜访老客户，了解续约意向。",
    "电话筛选新线索，争取预约两场演示。",
    "催合同盖章，确认首付款时间。",
]
HELP = [
    "需要售前工程师支持周四的技术交流。",
    "客户要求额外折扣，需要主管审批。",
    "希望市场部提供制造业案例资料。",
    "报价单模板需要更新。",
]
FORECAST = [
    "一家客户预计成交日期推迟到下月。",
    "重点商机金额上调约 20%。",
    "一个商机转为承诺（commit）。",
]


def _done(figures: day_figures.Figures) -> str:
    parts = [f"{KIND_ZH.get(k, k)} {n}" for k, n in figures.by_kind.items() if n]
    if not parts:
        return "今天主要在整理客户资料和准备方案。"
    text = f"跟进：{'，'.join(parts)}；有效触达 {figures.effective} 次。"
    if figures.stage_changes:
        text += f"\n推进商机阶段 {figures.stage_changes} 次。"
    if figures.deals_won:
        text += f"\n赢单 {figures.deals_won} 个（¥{figures.won_amount:,.2f}）。"
    return text


def build_daily_reports(gen, reps: dict, now: dt.datetime) -> int:
    """Write the demo reps' reports of the last ``DAYS`` days; returns how many."""
    rng = gen.rng
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now).date()
    users = [user for region in reps for user in reps[region]]
    rows = []
    for back in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=back)
        if not calendar.is_workday(day):
            continue
        by_owner = day_figures.figures(day, day, [u.pk for u in users])
        for user in users:
            if rng.random() > WRITTEN:
                continue
            found = by_owner.get(user.pk, day_figures.Figures())
            at = dt.datetime.combine(day, dt.time(18, rng.randrange(0, 60)), tzinfo=tz)
            at += dt.timedelta(minutes=rng.randrange(0, 150))
            rows.append(
                DailyReport(
                    owner=user,
                    day=day,
                    done=_done(found),
                    plans=rng.choice(PLANS),
                    help_needed=rng.choice(HELP) if rng.random() < 0.25 else "",
                    forecast_changes=rng.choice(FORECAST) if rng.random() < 0.15 else "",
                    snapshot={**found.as_json(), "taken_at": at.isoformat()},
                    submitted_at=at,
                    created_at=at,
                    updated_at=at,
                    created_by=user,
                )
            )
    DailyReport.objects.bulk_create(rows, batch_size=2_000)
    return len(rows)
