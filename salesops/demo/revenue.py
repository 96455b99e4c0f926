"""Demo revenue and after-sales: contracts with their payment plans, payments, invoices and
delivery milestones, then service tickets, NPS responses, complaints and renewals — so the
contract pages, the after-sales pages and the Account 360 page have something to show on
a fresh install.

About a third of the accounts (those old enough to have signed) get one or two contracts
signed in the last 18 months. Derived figures are derived by the apps' own code, never
re-implemented here: instalment amounts by ``revenue.services.plan_amounts``, ticket
response times by ``ServiceTicket.derive_times``, NPS categories by ``nps_category``.
Written with ``bulk_create`` like the rest of the demo; history rows are copied by
``build._copy_history`` at the end.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from salesops.aftersales.models import (
    Complaint,
    ComplaintStatus,
    NpsResponse,
    Priority,
    Renewal,
    RenewalStatus,
    ServiceTicket,
    Severity,
    nps_category,
)
from salesops.customers.models import Contact
from salesops.revenue.models import (
    Contract,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Instalment,
    Invoice,
    Payment,
    PaymentMethod,
)
from salesops.revenue.services import plan_amounts
from salesops.revenue.weeks import week_of

from .leads import PRODUCT_LINES

SHARE = 1 / 3  # of the accounts have contracts
MIN_AGE = dt.timedelta(days=21)  # an account this young has not signed yet
# fmt: off
PLANS = [  # percentages of the payment plans (首付 / 进度款 / 尾款)
    ("30", "70"), ("50", "50"), ("40", "60"), ("30", "60", "10"), ("30", "40", "30"),
    ("40", "50", "10"), ("33.33", "33.33", "33.34"),
]
PLAN_NOTES = ["首付款", "上线款", "验收尾款"]
MILESTONES = {
    2: ["部署实施", "项目验收"],
    3: ["需求调研", "部署上线", "项目验收"],
    4: ["需求调研", "方案确认", "部署上线", "项目验收"],
}
METHODS = [PaymentMethod.BANK_TRANSFER] * 8 + [PaymentMethod.ACCEPTANCE_BILL] * 2 + [PaymentMethod.ONLINE]
TICKETS = [
    "系统登录缓慢", "报表数据与实际不符", "新增用户权限配置", "接口同步失败", "打印模板调整",
    "移动端无法扫码", "数据导出报错", "升级后菜单缺失", "现场设备离线告警", "培训需求",
]
PRIORITIES = [Priority.LOW] * 2 + [Priority.NORMAL] * 5 + [Priority.HIGH] * 2 + [Priority.URGENT]
NPS_COMMENTS = [
    "", "", "实施团队很专业。", "响应及时，问题解决得快。", "价格偏高。", "功能满足需要，报表还可以更灵活。",
    "上线周期比预期长。", "客服态度好。",
]
COMPLAINTS = [
    ("上线延期两周", "实施计划多次调整，影响了车间排产。"),
    ("工单长时间无人响应", "周五提交的故障到下周二才有人联系。"),
    ("发票信息有误", "发票抬头和税号与合同不一致，需要重开。"),
    ("系统故障影响生产", "升级后生产报工模块不可用约半天。"),
]
# fmt: on
THOUSAND = Decimal("1000")
CHUNK = 2_000


def _at(day: dt.date, rng: random.Random, tz, now: dt.datetime) -> dt.datetime:
    """An office-hours instant on ``day`` in the organisation's time zone, never after now."""
    moment = dt.datetime.combine(
        day, dt.time(rng.randrange(9, 18), rng.randrange(60), rng.randrange(60)), tzinfo=tz
    )
    return min(moment.astimezone(dt.UTC), now)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount between ``low`` and ``high`` yuan in whole thousands, smaller ones likelier."""
    return (Decimal(round(low + (high - low) * rng.random() ** 1.6, -3))).quantize(Decimal("0.01"))


def _renewal_amount(amount: Decimal, rng: random.Random) -> Decimal:
    """60–110 % of the contract, in whole thousands (renewals drop the one-off work)."""
    share = Decimal(str(round(rng.uniform(0.6, 1.1), 2)))
    return ((amount * share / THOUSAND).quantize(Decimal("1")) * THOUSAND).quantize(Decimal("0.01"))


def _status(signed_on: dt.date, start_on: dt.date, end_on: dt.date, today, rng) -> str:
    roll = rng.random()
    if roll < 0.03:
        return ContractStatus.DRAFT
    if roll < 0.06:
        return ContractStatus.TERMINATED
    if end_on <= today:
        return ContractStatus.COMPLETED
    return ContractStatus.ACTIVE if start_on <= today else ContractStatus.SIGNED


def build_revenue(gen, now: dt.datetime, accounts, *, share: float = SHARE) -> dict:
    """Contracts and after-sales records for about ``share`` of ``accounts`` (saved
    accounts with their owner; a list or a queryset). Returns counts."""
    rng: random.Random = gen.rng
    tz = timezone.get_default_timezone()
    today = now.astimezone(tz).date()
    chosen = [a for a in sorted(accounts, key=lambda a: a.pk) if now - a.created_at >= MIN_AGE]
    chosen = [a for a in chosen if rng.random() < share * len(accounts) / max(len(chosen), 1)]

    contracts: list[Contract] = []
    for account in chosen:
        first_day = account.created_at.astimezone(tz).date() + dt.timedelta(days=14)
        room = (today - dt.timedelta(days=3) - first_day).days
        for _ in range(1 if rng.random() < 0.7 or room < 120 else 2):
            signed_on = first_day + dt.timedelta(days=int(room * rng.random() ** 0.7))
            start_on = signed_on + dt.timedelta(days=rng.randrange(0, 15))
            term = rng.choice([12, 12, 12, 24, 36])
            end_on = _add_months(start_on, term)
            status = _status(signed_on, start_on, end_on, today, rng)
            custom = rng.random() < 0.1
            contracts.append(
                Contract(
                    number=f"HT-{signed_on.year}-{len(contracts) + 1:05d}",
                    account=account,
                    owner=account.owner,
                    product_line=rng.choice(PRODUCT_LINES),
                    amount=_money(rng, 50_000, 800_000),
                    signed_on=None if status == ContractStatus.DRAFT else signed_on,
                    start_on=start_on,
                    end_on=end_on,
                    term_months=term,
                    status=status,
                    clauses="付款方式按付款计划执行；质保期十二个月；双方签字盖章后生效。",
                    has_custom_service=custom,
                    custom_service_annex="客户专属报表与接口定制开发，按工作量另行结算。"
                    if custom
                    else "",
                    created_by=account.owner,
                    created_at=_at(signed_on, rng, tz, now),
                    updated_at=_at(signed_on, rng, tz, now),
                )
            )
    Contract.objects.bulk_create(contracts)

    instalments: list[Instalment] = []
    deliveries: list[Delivery] = []
    for contract in contracts:
        percents = [Decimal(p) for p in rng.choice(PLANS)]
        base = contract.signed_on or contract.start_on
        span = (contract.end_on - base).days
        dues = [base + dt.timedelta(days=14)]
        dues += [
            base + dt.timedelta(days=int(span * (i + 1) / len(percents)) - rng.randrange(0, 30))
            for i in range(1, len(percents))
        ]
        for seq, (percent, amount, due_on) in enumerate(
            zip(percents, plan_amounts(contract.amount, percents), dues, strict=True), start=1
        ):
            instalments.append(
                Instalment(
                    contract=contract,
                    sequence=seq,
                    due_on=due_on,
                    percent=percent,
                    amount=amount,
                    note=PLAN_NOTES[0 if seq == 1 else (2 if seq == len(percents) else 1)],
                )
            )
        names = MILESTONES[rng.choice([2, 3, 3, 4])]
        stretch = min(span, 200)
        for seq, name in enumerate(names, start=1):
            planned = contract.start_on + dt.timedelta(days=int(stretch * seq / len(names)))
            actual, status = "", DeliveryStatus.PLANNED
            if contract.status == ContractStatus.DRAFT:
                pass
            elif planned <= today - dt.timedelta(days=7) and rng.random() < 0.9:
                late = rng.choice([0, 0, 0, 0, 0, 7, 14, 21])  # a few finish late
                actual = week_of(min(planned + dt.timedelta(days=late), today))
                status = DeliveryStatus.DONE
            elif planned <= today + dt.timedelta(days=30):
                status = DeliveryStatus.IN_PROGRESS  # may be past its week: late
            deliveries.append(
                Delivery(
                    contract=contract,
                    account=contract.account,
                    name=name,
                    sequence=seq,
                    planned_week=week_of(planned),
                    actual_week=actual,
                    status=status,
                    created_by=contract.owner,
                    created_at=contract.created_at,
                    updated_at=contract.created_at,
                )
            )
    Instalment.objects.bulk_create(instalments)
    Delivery.objects.bulk_create(deliveries)

    payments: list[Payment] = []
    for inst in instalments:
        contract = inst.contract
        if contract.status == ContractStatus.DRAFT or inst.due_on >= today:
            continue
        if contract.status == ContractStatus.TERMINATED and inst.sequence > 1:
            continue
        if rng.random() < 0.12:  # a few past-due instalments stay overdue
            continue
        received_on = min(inst.due_on + dt.timedelta(days=rng.randrange(-5, 21)), today)
        received_at = _at(received_on, rng, tz, now)
        payments.append(
            Payment(
                contract=contract,
                account=contract.account,
                instalment=inst,
                amount=inst.amount,
                received_on=received_on,
                method=rng.choice(METHODS),
                reference=f"BK{received_on:%Y%m%d}{rng.randrange(10**6):06d}",
                note=inst.note,
                created_at=received_at,
                updated_at=received_at,
            )
        )
    Payment.objects.bulk_create(payments)
    invoices = []
    for payment in payments:
        issued_on = min(payment.received_on + dt.timedelta(days=rng.randrange(0, 8)), today)
        issued_at = _at(issued_on, rng, tz, now)
        invoices.append(
            Invoice(
                number=f"FP{len(invoices) + 1:08d}",
                contract=payment.contract,
                account=payment.account,
                amount=payment.amount,
                issued_on=issued_on,
                note="增值税专用发票",
                created_at=issued_at,
                updated_at=issued_at,
            )
        )
    Invoice.objects.bulk_create(invoices)

    after = _build_aftersales(rng, tz, today, now, contracts)
    return {
        "contracts": len(contracts),
        "instalments": len(instalments),
        "payments": len(payments),
        "invoices": len(invoices),
        "deliveries": len(deliveries),
        **after,
    }


def _build_aftersales(rng, tz, today, now, contracts: list[Contract]) -> dict:
    """Tickets, NPS responses, complaints and renewals of the accounts with signed contracts."""
    signed = [c for c in contracts if c.signed_on is not None]
    by_account: dict[int, list[Contract]] = {}
    for contract in signed:
        by_account.setdefault(contract.account_id, []).append(contract)
    contacts: dict[int, list[int]] = {}
    ids = sorted(by_account)
    for start in range(0, len(ids), CHUNK):  # SQLite limits the parameters of a query
        rows = Contact.objects.filter(account_id__in=ids[start : start + CHUNK]).order_by("pk")
        for account_id, pk in rows.values_list("account_id", "pk"):
            contacts.setdefault(account_id, []).append(pk)

    tickets, responses, complaints, renewals = [], [], [], []
    for account_id, own in by_account.items():
        account = own[0].account
        first = min(c.signed_on for c in own)
        since = (today - first).days
        people = contacts.get(account_id) or [None]
        if rng.random() < 0.6:
            for _ in range(rng.randrange(1, 5)):
                opened_at = _at(first + dt.timedelta(days=rng.randrange(since + 1)), rng, tz, now)
                answer = dt.timedelta(minutes=rng.choice([10, 25, 45, 90, 180, 600, 1500, 3000]))
                first_response = opened_at + answer
                resolved = first_response + dt.timedelta(hours=rng.uniform(1, 240))
                ticket = ServiceTicket(
                    account=account,
                    contact_id=rng.choice(people),
                    subject=rng.choice(TICKETS),
                    priority=rng.choice(PRIORITIES),
                    opened_at=opened_at,
                    first_response_at=first_response if first_response <= now else None,
                    resolved_at=resolved if resolved <= now and rng.random() < 0.9 else None,
                    source="manual",
                    created_by=account.owner,
                    created_at=opened_at,
                    updated_at=opened_at,
                )
                ticket.derive_times()  # the stored response times, as on every save
                tickets.append(ticket)
        if rng.random() < 0.5 and since > 45:
            for _ in range(rng.randrange(1, 4)):
                responded_on = first + dt.timedelta(days=rng.randrange(30, since + 1))
                score = rng.choice([10, 10, 9, 9, 9, 8, 8, 7, 7, 6, 5, 3])
                responses.append(
                    NpsResponse(
                        account=account,
                        contact_id=rng.choice(people),
                        score=score,
                        category=nps_category(score),
                        comment=rng.choice(NPS_COMMENTS),
                        responded_on=responded_on,
                        survey=f"{responded_on.year} 年第{(responded_on.month - 1) // 3 + 1}季度回访",
                        created_at=_at(responded_on, rng, tz, now),
                        updated_at=_at(responded_on, rng, tz, now),
                    )
                )
        if rng.random() < 0.08:
            summary, details = rng.choice(COMPLAINTS)
            raised_on = first + dt.timedelta(days=rng.randrange(since + 1))
            status = rng.choice(
                [ComplaintStatus.CLOSED, ComplaintStatus.CLOSED, ComplaintStatus.RESOLVED]
                + [ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS]
            )
            done = status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)
            complaints.append(
                Complaint(
                    account=account,
                    contact_id=rng.choice(people),
                    severity=Severity.MAJOR if rng.random() < 0.25 else Severity.MINOR,
                    status=status,
                    summary=summary,
                    details=details,
                    raised_on=raised_on,
                    resolved_on=min(raised_on + dt.timedelta(days=rng.randrange(1, 20)), today)
                    if done
                    else None,
                    owner=account.owner,
                    created_by=account.owner,
                    created_at=_at(raised_on, rng, tz, now),
                    updated_at=_at(raised_on, rng, tz, now),
                )
            )
        for contract in own:
            # Renewals of the contracts ending from two months ago to six months ahead.
            if not (-60 <= (contract.end_on - today).days <= 183):
                continue
            if contract.status == ContractStatus.TERMINATED:
                continue
            status, closed_on, reason = RenewalStatus.PENDING, None, ""
            if contract.end_on < today:
                roll = rng.random()
                if roll < 0.6:
                    status, closed_on = RenewalStatus.RENEWED, contract.end_on
                elif roll < 0.8:
                    status, closed_on, reason = RenewalStatus.LOST, contract.end_on, "预算削减"
            created = min(contract.created_at + dt.timedelta(days=300), now)
            renewals.append(
                Renewal(
                    account=account,
                    contract_number=contract.number,
                    due_on=contract.end_on,
                    status=status,
                    amount=_renewal_amount(contract.amount, rng),
                    closed_on=closed_on,
                    lost_reason=reason,
                    created_by=account.owner,
                    created_at=created,
                    updated_at=created,
                )
            )
    ServiceTicket.objects.bulk_create(tickets)
    NpsResponse.objects.bulk_create(responses)
    Complaint.objects.bulk_create(complaints)
    Renewal.objects.bulk_create(renewals)
    return {
        "service tickets": len(tickets),
        "NPS responses": len(responses),
        "complaints": len(complaints),
        "renewals": len(renewals),
    }


def history_models() -> list:
    """The models whose "created" history rows the build copies after this module ran."""
    return [Contract, Delivery, Payment, Invoice, ServiceTicket, NpsResponse, Complaint, Renewal]
