"""The read model over the API: Account 360 and lifetime value.

These operations moved here from ``customers.api`` and ``revenue.api`` with their paths,
tags, schemas and operation ids unchanged, so API clients and the published OpenAPI
document see no difference.
"""

from __future__ import annotations

from ninja import Router

from salesops.customers import selectors as customer_selectors

from . import account360, ltv
from .schemas import LtvFormulaOut, LtvOut, RepLtvOut

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
