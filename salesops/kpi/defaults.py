"""The built-in metric library, radar dimensions and the default scheme (K1, K5).

Installed after ``migrate`` (:func:`install`), idempotent by code: a built-in that exists
is left exactly as it is (an admin may have edited its filter or names), a missing one is
created. The default scheme is created once, when no organisation-wide scheme for reps
exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from salesops.core import clock

from .models import (
    Aggregate,
    Metric,
    MetricGroup,
    MetricKind,
    RadarDimension,
    Scheme,
    SchemeItem,
    SchemeVersion,
    TargetSource,
    Unit,
)
from .models.people import default_service_actions

A, D = MetricKind.AGGREGATE, MetricKind.DERIVED


def _m(code, zh, en, *, source="", filter="", aggregate=Aggregate.COUNT, field="", date="",
       formula="", unit=Unit.COUNT, higher=True, description=""):  # fmt: skip
    return {
        "code": code,
        "name_zh": zh,
        "name_en": en,
        "kind": D if formula else A,
        "source": source,
        "filter": filter,
        "aggregate": aggregate,
        "field": field,
        "date_field": date,
        "formula": formula,
        "unit": unit,
        "higher_is_better": higher,
        "description": description,
    }


VOICE_DIMENSIONS = {
    "prospecting": ("客户认可·开拓", "Customer voice · prospecting"),
    "solution": ("客户认可·方案", "Customer voice · solution"),
    "negotiation": ("客户认可·谈判", "Customer voice · negotiation"),
    "customer_depth": ("客户认可·客户深耕", "Customer voice · customer depth"),
    "collaboration": ("客户认可·协作", "Customer voice · collaboration"),
}


def builtin_metrics() -> list[dict]:
    money, pct = Unit.MONEY, Unit.PERCENT
    metrics = [
        _m("signed_amount", "签约金额", "Signed contract amount", source="contracts",
           filter="signed", aggregate=Aggregate.SUM, field="amount", date="signed_on",
           unit=money),
        _m("signed_contracts", "签约合同数", "Contracts signed", source="contracts",
           filter="signed", date="signed_on"),
        _m("payments_received", "回款金额", "Payments received", source="payments",
           aggregate=Aggregate.SUM, field="amount", date="received_on", unit=money),
        # A count of effective activities by started_at, no other filter: read from the
        # activity rollup (metrics._rollup_column).
        _m("effective_touches", "有效触达", "Effective touches", source="activities",
           filter="effective", date="started_at"),
        _m("visits", "拜访次数", "Visits", source="activities", filter='kind == "visit"',
           date="started_at"),
        _m("touches_per_day", "日均有效触达", "Effective touches per working day",
           formula="effective_touches / workdays", unit=Unit.NUMBER),
        _m("proposals", "提交方案数", "Proposals submitted", source="evidence",
           filter='type == "proposal"', date="created_at"),
        _m("deals_won", "赢单数", "Deals won", source="deals", filter='status == "won"',
           date="closed_at"),
        _m("deals_closed", "结案商机数", "Deals closed (won or lost)", source="deals",
           filter='status in ["won", "lost"]', date="closed_at"),
        _m("conversion_rate", "赢单率", "Win rate", formula="deals_won / deals_closed * 100",
           unit=pct),
        _m("avg_deal_size", "平均客单价", "Average deal size", source="deals",
           filter='status == "won"', aggregate=Aggregate.AVG, field="amount",
           date="closed_at", unit=money),
        _m("cycle_days", "平均成交周期", "Average sales cycle", source="deals",
           filter='status == "won"', aggregate=Aggregate.AVG, field="cycle_days",
           date="closed_at", unit=Unit.DAYS, higher=False),
        _m("repeat_contracts", "复购合同数", "Repeat contracts", source="contracts",
           filter="signed and repeat", date="signed_on"),
        _m("repurchase_rate", "复购率", "Repurchase rate",
           formula="repeat_contracts / signed_contracts * 100", unit=pct),
        _m("nps_promoters", "NPS 推荐者", "NPS promoters", source="nps",
           filter='category == "promoter"', date="responded_on"),
        _m("nps_detractors", "NPS 贬损者", "NPS detractors", source="nps",
           filter='category == "detractor"', date="responded_on"),
        _m("nps_responses", "NPS 答卷数", "NPS responses", source="nps", date="responded_on"),
        _m("nps", "NPS", "NPS", formula="(nps_promoters - nps_detractors) / nps_responses * 100",
           unit=Unit.SCORE),
        _m("complaints", "客诉数", "Complaints", source="complaints", date="raised_on",
           higher=False),
        _m("accounts_touched", "有效触达客户数", "Accounts touched", source="activities",
           filter="effective and account != None", aggregate=Aggregate.COUNT_DISTINCT,
           field="account", date="started_at"),
        _m("complaint_rate", "客诉率（每百客户）", "Complaints per 100 accounts touched",
           formula="complaints / accounts_touched * 100", unit=Unit.NUMBER, higher=False),
        _m("qualified_pipeline", "有效商机储备", "Qualified pipeline", source="deals",
           filter="qualified", aggregate=Aggregate.SUM, field="amount", unit=money,
           description="Open deals with need, budget and decision maker confirmed (D8), now."),
        _m("knowledge_adoption", "知识采纳次数", "Knowledge adopted", source="knowledge_usage",
           filter='action == "adopted"', date="at"),
        _m("leads_received", "收到线索数", "Leads received", source="leads", date="created_at"),
        _m("leads_source_corrected", "来源被更正的线索", "Leads with a corrected source",
           source="leads", filter="source_corrected", date="created_at", higher=False),
        _m("voice_answered", "客户之声答卷", "Customer-voice answers", source="voice_samples",
           filter="answered", date="answered_at"),
        _m("compliance_findings", "合规问题（已确认）", "Compliance findings (confirmed)",
           source="findings", filter='state == "confirmed"', date="occurred_at", higher=False),
    ]  # fmt: skip
    dimensions = dict(VOICE_DIMENSIONS)
    for action in default_service_actions():
        dimensions.setdefault(action["dimension"], (action["dimension"], action["dimension"]))
    for dimension, (zh, en) in dimensions.items():
        metrics.append(
            _m(f"voice_{dimension}", zh, en, source="voice_mentions",
               filter=f'dimension == "{dimension}"', date="answered_at")
        )  # fmt: skip
    return metrics


def radar_dimensions() -> list[dict]:
    """Each a formula over metric codes, kept within 0–100 (clamp)."""
    return [
        {"code": "prospecting", "name_zh": "开拓能力", "name_en": "Prospecting",
         "formula": "clamp(touches_per_day * 20 + voice_prospecting * 5, 0, 100)"},
        {"code": "solution", "name_zh": "方案能力", "name_en": "Solution",
         "formula": "clamp(proposals * 10 + voice_solution * 10, 0, 100)"},
        {"code": "negotiation", "name_zh": "谈判能力", "name_en": "Negotiation",
         "formula": "clamp(coalesce(conversion_rate, 0) * 1.5 + voice_negotiation * 5, 0, 100)"},
        {"code": "customer_depth", "name_zh": "客户深耕", "name_en": "Customer depth",
         "formula": "clamp(coalesce(repurchase_rate, 0) + accounts_touched * 2"
                    " + voice_customer_depth * 10, 0, 100)"},
        {"code": "collaboration", "name_zh": "协作能力", "name_en": "Collaboration",
         "formula": "clamp(knowledge_adoption * 10 + voice_collaboration * 10, 0, 100)"},
        {"code": "customer_voice", "name_zh": "客户之声", "name_en": "Customer voice",
         "formula": "clamp((coalesce(nps, 0) + 100) / 2, 0, 100)"},
    ]  # fmt: skip


SCHEME_NAME = "销售代表 KPI / Sales rep KPI"
ATTAIN = "min(actual / target, 1.2) * 100"


def default_scheme_items() -> list[dict]:
    """(code, group, weight, formula, target source, fixed target) of the default scheme."""
    fixed, plan, none = TargetSource.FIXED, TargetSource.PLAN, TargetSource.NONE
    r, p, q = MetricGroup.RESULT, MetricGroup.PROCESS, MetricGroup.QUALITY
    return [
        {"code": "signed_amount", "group": r, "weight": 50, "formula": ATTAIN,
         "target_source": fixed, "target_value": Decimal("300000")},
        {"code": "payments_received", "group": r, "weight": 50, "formula": ATTAIN,
         "target_source": plan, "target_value": None},
        {"code": "effective_touches", "group": p, "weight": 30, "formula": ATTAIN,
         "target_source": fixed, "target_value": Decimal("120")},
        {"code": "visits", "group": p, "weight": 25, "formula": ATTAIN,
         "target_source": fixed, "target_value": Decimal("12")},
        {"code": "proposals", "group": p, "weight": 20, "formula": ATTAIN,
         "target_source": fixed, "target_value": Decimal("4")},
        {"code": "conversion_rate", "group": p, "weight": 25,
         "formula": "min(coalesce(actual, 0) / target, 1.2) * 100",
         "target_source": fixed, "target_value": Decimal("30")},
        # No answers in the period: on target (a rep is not punished for a quiet month).
        {"code": "nps", "group": q, "weight": 40,
         "formula": "min(max(coalesce(actual, target), 0) / target, 1.2) * 100",
         "target_source": fixed, "target_value": Decimal("50")},
        # Lower is better: 100 less 20 points per complaint per 100 accounts touched.
        {"code": "complaint_rate", "group": q, "weight": 30,
         "formula": "max(100 - coalesce(actual, 0) * 20, 0)",
         "target_source": none, "target_value": None},
        {"code": "compliance_findings", "group": q, "weight": 30,
         "formula": "max(100 - actual * 25, 0)", "target_source": none, "target_value": None},
    ]  # fmt: skip


def write_version(
    scheme: Scheme,
    *,
    weights: tuple,
    items: list[dict],
    effective_from: dt.date,
    by=None,
    note: str = "",
) -> SchemeVersion:
    """A new immutable version of ``scheme``: ``items`` are dicts with ``metric`` (a
    Metric) or ``code``, group, weight, formula, target_source, target_value; each keeps
    its metric's definition as it is now."""
    last = scheme.versions.order_by("-number").values_list("number", flat=True).first()
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=(last or 0) + 1,
        effective_from=effective_from,
        result_weight=Decimal(weights[0]),
        process_weight=Decimal(weights[1]),
        quality_weight=Decimal(weights[2]),
        note=note,
        created_by=by,
    )
    codes = [i["code"] for i in items if "metric" not in i]
    by_code = {m.code: m for m in Metric.objects.filter(code__in=codes)}
    rows = []
    for order, item in enumerate(items):
        metric = item.get("metric") or by_code[item["code"]]
        value = item.get("target_value")
        rows.append(
            SchemeItem(
                version=version,
                metric=metric,
                metric_definition=metric.definition(),
                group=item["group"],
                weight=Decimal(item["weight"]),
                formula=item.get("formula") or ATTAIN,
                target_source=item.get("target_source") or TargetSource.FIXED,
                target_value=None if value is None else Decimal(value),
                order=order,
            )
        )
    SchemeItem.objects.bulk_create(rows)
    return version


@transaction.atomic
def install_metrics() -> int:
    existing = set(Metric.objects.values_list("code", flat=True))
    created = 0
    for definition in builtin_metrics():
        if definition["code"] in existing:
            continue
        Metric.objects.create(is_builtin=True, **definition)
        created += 1
    return created


@transaction.atomic
def install_radar() -> int:
    existing = set(RadarDimension.objects.values_list("code", flat=True))
    created = 0
    for order, row in enumerate(radar_dimensions()):
        if row["code"] not in existing:
            RadarDimension.objects.create(order=order, **row)
            created += 1
    return created


@transaction.atomic
def install_scheme() -> Scheme | None:
    if Scheme.objects.filter(role="rep", team__isnull=True).exists():
        return None
    items = default_scheme_items()
    codes = {i["code"] for i in items}
    if Metric.objects.filter(code__in=codes).count() != len(codes):
        return None  # an admin removed a built-in the scheme needs: leave it to them
    scheme = Scheme.objects.create(name=SCHEME_NAME, role="rep")
    write_version(
        scheme,
        weights=(60, 25, 15),
        items=items,
        effective_from=dt.date(
            clock.today().year - 1, 1, 1
        ),  # last year too: a January install scores December
        note="默认方案 / Default scheme",
    )
    return scheme


def install(**kwargs) -> None:
    """post_migrate: create the built-ins that are missing (never overwrites)."""
    install_metrics()
    install_radar()
    install_scheme()
