"""The read model over the API: Account 360 and lifetime value.

These operations moved here from ``customers.api`` and ``revenue.api`` with their paths,
tags, schemas and operation ids unchanged, so API clients and the published OpenAPI
document see no difference.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema

from salesops.core.pagination import paginate
from salesops.customers import selectors as customer_selectors
from salesops.pipeline.models import Deal

from . import account360, deal_health, ltv
from .health_filters import report_filterset
from .schemas import DealHealthOut, DealHealthPage, LtvFormulaOut, LtvOut, RepLtvOut

router = Router(tags=["reports"])


@router.get(
    "/accounts/{account_id}/360",
    response=dict,
    summary="Account 360: everything about one account",
    description="The decision chain, contracts with payment progress and overdue "
    "instalments, invoices, deliveries (late ones marked), service tickets with response "
    "times, open complaints, the NPS trend, renewals, lifetime value with its breakdown, "
    "recent activities and changes. Each list holds the latest 10; ``links`` point to the "
    "full lists filtered by the account. Visible when the account is (404 otherwise).",
    tags=["customers"],
    operation_id="salesops_customers_api_get_account_360",
)
def get_account_360(request, account_id: int):
    return account360.as_json(account360.account_360(user=request.user, pk=account_id))


@router.get(
    "/accounts/{account_id}/ltv",
    response=LtvOut,
    summary="An account's lifetime value with its breakdown",
    description="Realised revenue plus the configured projection, with the inputs and the "
    "formula it was computed from. Visible when the account is.",
    tags=["revenue", "customers"],
    operation_id="salesops_revenue_api_get_account_ltv",
)
def get_account_ltv(request, account_id: int):
    account = customer_selectors.account_get(user=request.user, pk=account_id)
    value = ltv.account_value_get(user=request.user, account_id=account.pk)
    if value is None:  # not computed yet (a new account before its first event)
        value = ltv.ltv_recompute(account=account)
    return ltv.payload(value)


@router.get(
    "/ltv/reps",
    response=list[RepLtvOut],
    summary="Total and average LTV per rep",
    description="For each owner of accounts you can see: their accounts, the total LTV and "
    "the average per account.",
    tags=["revenue"],
    operation_id="salesops_revenue_api_list_rep_ltv",
)
def list_rep_ltv(request):
    return ltv.rep_ltv(user=request.user)


@router.get(
    "/ltv/formula",
    response=LtvFormulaOut,
    summary="The LTV formula in force",
    tags=["revenue"],
    operation_id="salesops_revenue_api_get_ltv_formula",
)
def get_ltv_formula(request):
    version, source = ltv.current_formula()
    return {
        "version": version,
        "source": source,
        "inputs": {name: str(label) for name, label in ltv.INPUTS.items()},
    }


class DealHealthQuery(Schema):
    q: str | None = None
    team: int | None = None
    owner: int | None = None
    pipeline: int | None = None
    status: str | None = None
    failing: str | None = None
    max_passed: int | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


@router.get(
    "/deal-health",
    response=DealHealthPage,
    summary="The healthy-deal report",
    description="The deals you can see (not lost) with their healthy-deal check (SPEC D7): "
    "the five criteria, each met (true), failed (false, with its risk signal) or not yet "
    "applicable (null: no contract yet). Filters as on the report page; ``failing`` is a "
    "criterion code. ``health`` is null until the deal's first check (within a minute).",
    tags=["pipeline"],
)
def list_deal_health(request, query: Query[DealHealthQuery]):
    data = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    filterset = report_filterset(user=request.user, data=data)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    page = paginate(filterset.qs, query.page, query.page_size)
    page["results"] = [
        {
            **{
                f: getattr(d, f)
                for f in (
                    "id",
                    "name",
                    "account_id",
                    "owner_id",
                    "pipeline_id",
                    "stage_id",
                    "status",
                    "amount",
                    "health_checked_at",
                )
            },
            "health": d.health or None,
        }
        for d in page["results"]
    ]
    return page


@router.get(
    "/deals/{deal_id}/health",
    response=DealHealthOut,
    summary="A deal's healthy-deal check",
    description="The stored check (checked now if it never was). Visible when the deal is.",
    tags=["pipeline"],
)
def get_deal_health(request, deal_id: int):
    deal = Deal.objects.visible_to(request.user).get(pk=deal_id)
    if not deal.health:
        deal_health.recompute([deal])
    return deal.health
