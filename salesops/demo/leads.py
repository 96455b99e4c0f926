"""Demo leads: channels, one routing rule per region, and leads of the last few weeks
with their inquiries, assignments and check-ins — so the lead pool, the SLA badges, the
timeline and the dwell report have something to show on a fresh install.

Written with ``bulk_create`` like the rest of the demo; the history rows are copied once
at the end. The leads are in the past: the SLA rules (which watch from install time)
do not fire for them.
"""

from __future__ import annotations

import datetime as dt
import random

from salesops.activities.models import Activity, ActivityKind, ResultTag
from salesops.automation.triggers import due_at
from salesops.core.names import company_key
from salesops.leads import services as lead_services
from salesops.leads.models import (
    Assignment,
    Channel,
    ChannelKind,
    Inquiry,
    InvalidReason,
    Lead,
    LeadStatus,
    RoutingRule,
    SlaState,
    Strategy,
)

from . import GEOGRAPHY

CHANNELS = [
    (ChannelKind.WEBSITE, "官网咨询表单", "2026 官网改版", 30),
    (ChannelKind.SOCIAL, "微信公众号", "公众号菜单", 20),
    (ChannelKind.ADS, "百度推广", "制造业数字化关键词", 20),
    (ChannelKind.EVENT, "工博会展位", "2026 上海工博会", 15),
    (ChannelKind.REFERRAL, "老客户转介绍", "", 15),
]
NEEDS = [
    "产线数据采集不及时，想了解 MES 方案",
    "仓库盘点靠人工，想做库存数字化",
    "销售报表每月手工汇总，想自动化",
    "设备停机多，想做预测性维护",
    "门店多，想统一会员和订单",
    "想替换现有 ERP，预算在评估中",
    "需要等保合规的数据平台",
    "客服工单响应慢，想要工单系统",
]
PRODUCT_LINES = ["MES", "WMS", "BI", "CRM", "IoT"]


def _region_rules(teams: dict) -> list[RoutingRule]:
    rules = []
    for priority, (region, provinces) in enumerate(GEOGRAPHY.items(), start=1):
        team = teams.get(region)
        if team is None:
            continue
        names = ", ".join(f"'{p}'" for p in provinces)
        rules.append(
            lead_services.routing_rule_create(
                actor=None,
                name=f"{region}线索",
                priority=priority * 10,
                condition=f"province in ({names})",
                team=team,
                strategy=Strategy.LEAST_LOADED if priority % 2 else Strategy.ROUND_ROBIN,
            )
        )
    return rules


def build_leads(
    gen, reps: dict, teams: dict, now: dt.datetime, count: int, *, days: int = 40
) -> dict:
    """``reps``: {region: [rep, …]}; ``teams``: {region: Team}; the leads arrived over
    the past ``days``. Returns counts."""
    rng: random.Random = gen.rng
    channels = [
        Channel.objects.create(kind=kind, name=name, campaign=campaign)
        for kind, name, campaign, _w in CHANNELS
    ]
    weights = [w for *_rest, w in CHANNELS]
    _region_rules(teams)
    tags = {t.code: t for t in ResultTag.objects.all()}
    tag_codes = [c for c in tags if c != "no_answer"]
    regions = [r for r in reps if reps[r]]
    leads = []
    for _ in range(count):
        region = rng.choice(regions)
        province, city, _area = gen.places[region]()
        industry = gen.industry()
        company = gen.company_name(city, industry)
        last, first = gen.person()
        created = now - dt.timedelta(minutes=rng.uniform(30, days * 24 * 60))
        channel = rng.choices(channels, weights)[0]
        pooled = rng.random() < 0.05
        owner = None if pooled else rng.choice(reps[region])
        roll = rng.random()
        if pooled:
            status = LeadStatus.NEW
        elif roll < 0.15:
            status = LeadStatus.NEW
        elif roll < 0.55:
            status = LeadStatus.CONTACTED
        elif roll < 0.80:
            status = LeadStatus.QUALIFIED
        elif roll < 0.90:
            status = LeadStatus.CONVERTED
        else:
            status = LeadStatus.INVALID
        key = company_key(company)
        lead = Lead(
            contact_name=f"{last}{first}",
            phone=gen.mobile(),
            company=company,
            company_key=key,
            company_prefix=key[:2],
            need=rng.choice(NEEDS),
            province=province,
            city=city,
            address=gen.address(city),
            industry=industry,
            size_band=gen.size_band(),
            product_line=rng.choice(PRODUCT_LINES),
            channel=channel,
            campaign=channel.campaign,
            status=status,
            invalid_reason=InvalidReason.NO_NEED if status == LeadStatus.INVALID else "",
            owner=owner,
            team=teams.get(region),
            created_at=created,
            updated_at=created,
            progressed_at=created,
        )
        if owner is not None:
            lead.assigned_at = created + dt.timedelta(seconds=rng.uniform(1, 5))
            lead.sla_due_at = due_at(lead.assigned_at, 60, "working")
            if status == LeadStatus.NEW:
                # breached only once its working-time deadline has passed (a lead assigned
                # on Friday evening is still running on Sunday)
                overdue = lead.sla_due_at <= now
                lead.sla_state = SlaState.BREACHED if overdue else SlaState.RUNNING
            else:
                minutes = rng.choice([8, 15, 25, 40, 55, 75, 150])
                contact_at = min(lead.assigned_at + dt.timedelta(minutes=minutes), now)
                lead.first_contact_at = contact_at
                lead.progressed_at = contact_at
                lead.sla_state = SlaState.MET if contact_at <= lead.sla_due_at else SlaState.LATE
        leads.append(lead)
    Lead.objects.bulk_create(leads)
    inquiries, assignments, activities = [], [], []
    for lead in leads:
        inquiries.append(
            Inquiry(
                lead=lead,
                channel=lead.channel,
                campaign=lead.campaign,
                received_at=lead.created_at,
                payload={"need": lead.need},
            )
        )
        if lead.owner is None:
            reason = "没有规则能分配：相关代表今日已达上限。"
        else:
            reason = f"规则“{lead.team.name if lead.team else ''}线索”匹配，按负载分配。"
        assignments.append(
            Assignment(
                lead=lead,
                owner=lead.owner,
                rule_name=f"{lead.team.name}线索" if lead.team else "",
                strategy="least_loaded" if lead.owner else "",
                reason=reason,
                created_at=lead.assigned_at or lead.created_at,
                updated_at=lead.assigned_at or lead.created_at,
            )
        )
        if lead.first_contact_at:
            seconds = rng.choice([25, 45, 90, 180, 420, 900])
            tag = tags[rng.choice(tag_codes)]
            activities.append(
                Activity(
                    kind=rng.choice([ActivityKind.CALL, ActivityKind.CALL, ActivityKind.WECHAT]),
                    owner=lead.owner,
                    lead=lead,
                    started_at=lead.first_contact_at,
                    ended_at=lead.first_contact_at + dt.timedelta(seconds=seconds),
                    duration_seconds=seconds,
                    tag=tag,
                    note=rng.choice(["", "下周回访", "已加微信", "要报价单"]),
                    effective=seconds >= 30,
                    checked_in_at=lead.first_contact_at,
                    created_by=lead.owner,
                    created_at=lead.first_contact_at,
                    updated_at=lead.first_contact_at,
                )
            )
    Inquiry.objects.bulk_create(inquiries)
    Assignment.objects.bulk_create(assignments)
    Activity.objects.bulk_create(activities)
    return {"leads": len(leads), "activities": len(activities)}
