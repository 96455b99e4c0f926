"""Contracts, payments, invoices and delivery milestones over the API: parse →
service/selector → serialise.

A record outside the user's visibility is a 404; one they can see but not change (finance
and a contract, a rep and a colleague's payment seen through a shared account) is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate
from salesops.customers import selectors as customer_selectors
from salesops.org import selectors as org_selectors

from . import billing, policy, selectors, services
from .models import Contract, Delivery, Instalment, Invoice, Payment
from .schemas import (
    ContractIn,
    ContractOut,
    ContractPage,
    ContractPatch,
    DeliveryIn,
    DeliveryOut,
    DeliveryPage,
    DeliveryPatch,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoicePatch,
    PaymentIn,
    PaymentOut,
    PaymentPage,
    PaymentPatch,
)

router = Router(tags=["revenue"])


class ListQuery(Schema):
    q: str | None = None
    account: int | None = None
    contract: int | None = None
    owner: int | None = None
    status: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


class ContractQuery(ListQuery):
    deal: int | None = None
    product_line: str | None = None
    has_custom_service: bool | None = None
    signed_after: str | None = None
    signed_before: str | None = None


class PaymentQuery(ListQuery):
    method: str | None = None
    flagged: bool | None = None
    received_after: str | None = None
    received_before: str | None = None


def _filters(query: Schema, request) -> dict:
    filters = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    filters.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v})
    return filters


def _page(filterset, query):
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return paginate(filterset.qs, query.page, query.page_size)


def _editable_or_403(model, user, pk, message):
    """The record if ``user`` may change it; 403 if they only see it; 404 otherwise."""
    queryset = model.objects.select_related("account")
    record = queryset.editable_by(user).filter(pk=pk).first()
    if record is not None:
        return record
    queryset.visible_to(user).get(pk=pk)  # DoesNotExist → 404
    raise PermissionDenied(message)


def _contract_for_billing(user, contract_id: int) -> Contract:
    """A contract ``user`` may record payments and invoices on (``selectors.may_bill``:
    the roles the revenue policy names, on the contracts they see)."""
    contract = Contract.objects.visible_to(user).filter(pk=contract_id).first()
    if contract is None:
        raise ValidationError({"contract_id": _("No contract with this id that you can see.")})
    if not selectors.may_bill(user=user, contract=contract):
        raise PermissionDenied(policy.billing_refusal())
    return contract


def _billing_record_or_403(model, user, pk):
    """A payment or invoice ``user`` may change: 404 unless they see it, 403 unless the
    revenue policy lets their role record money."""
    record = model.objects.visible_to(user).select_related("contract", "account").get(pk=pk)
    if not selectors.may_bill(user=user, contract=record.contract):
        raise PermissionDenied(policy.billing_refusal())
    return record


def _instalment(contract: Contract, instalment_id):
    if instalment_id is None:
        return {"instalment": None}
    instalment = Instalment.objects.filter(pk=instalment_id, contract=contract).first()
    if instalment is None:
        raise ValidationError({"instalment_id": _("This contract has no instalment with this id.")})
    return {"instalment": instalment}


def _owner(actor, owner_id):
    if owner_id is None:
        return {}
    owner = org_selectors.visible_users(actor).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError({"owner_id": _("Pick an owner in your team.")})
    return {"owner": owner}


def _deal(user, account, deal_id):
    """``{"deal": …}`` for a contract of ``account``: a deal ``user`` sees, of the same
    account, not lost (None unlinks)."""
    if deal_id is None:
        return {"deal": None}
    deal = selectors.visible_deal(user=user, pk=deal_id)
    if deal is None:
        raise ValidationError({"deal_id": _("No deal with this id that you can see.")})
    problem = services.deal_link_problem(deal, account)
    if problem:
        raise ValidationError({"deal_id": problem})
    return {"deal": deal}


# --- contracts ------------------------------------------------------------------------------


def _contract_out(user, pk):
    return selectors.contract_get(user=user, pk=pk)


@router.get("/contracts", response=ContractPage, summary="List contracts")
def list_contracts(request, query: Query[ContractQuery]):
    fs = selectors.contract_filterset(user=request.user, data=_filters(query, request))
    fs.queryset = fs.queryset.prefetch_related("instalments", "deliveries")
    return _page(fs, query)


@router.post("/contracts", response={201: ContractOut}, summary="Create a contract")
def create_contract(request, payload: ContractIn):
    if request.user.is_read_only_role:
        raise PermissionDenied(_("Your role can read contracts but not create them."))
    account = (
        customer_selectors.Account.objects.editable_by(request.user)
        .filter(pk=payload.account_id)
        .first()
    )
    if account is None:
        raise ValidationError({"account_id": _("No account with this id that you may edit.")})
    data = payload.dict(exclude={"account_id", "owner_id", "deal_id"})
    data.update(_owner(request.user, payload.owner_id), account=account)
    if payload.deal_id is not None:
        data.update(_deal(request.user, account, payload.deal_id))
    contract = services.contract_create(actor=request.user, **data)
    return Status(201, _contract_out(request.user, contract.pk))


@router.get("/contracts/{contract_id}", response=ContractOut, summary="Get a contract")
@with_etag(Contract, "contract_id")
def get_contract(request, contract_id: int):
    return _contract_out(request.user, contract_id)


@router.patch(
    "/contracts/{contract_id}",
    response=ContractOut,
    summary="Change a contract",
    description="Once a contract is signed, its amount, payment plan (instalments) and "
    "clauses are changed only by the roles the revenue policy names (finance by default); "
    "anyone else gets 403.",
)
@if_match(Contract, "contract_id")
def update_contract(request, contract_id: int, payload: ContractPatch):
    contract = (
        Contract.objects.visible_to(request.user).select_related("account").get(pk=contract_id)
    )
    fields = {"owner" if f == "owner_id" else f for f in payload.model_fields_set}
    policy.check_contract_change(
        user=request.user,
        contract=contract,
        fields=fields,
        data=payload.dict(exclude_unset=True),
        editable=selectors.contract_editable(user=request.user, contract=contract),
    )
    data = payload.dict(exclude_unset=True, exclude={"owner_id", "deal_id"})
    if payload.owner_id is not None:
        data.update(_owner(request.user, payload.owner_id))
    if "deal_id" in payload.model_fields_set:
        data.update(_deal(request.user, contract.account, payload.deal_id))
    services.contract_update(actor=request.user, contract=contract, **data)
    return _contract_out(request.user, contract_id)


# --- payments -------------------------------------------------------------------------------


@router.get("/payments", response=PaymentPage, summary="List payments")
def list_payments(request, query: Query[PaymentQuery]):
    fs = selectors.payment_filterset(user=request.user, data=_filters(query, request))
    return _page(fs, query)


@router.post(
    "/payments",
    response={201: PaymentOut},
    summary="Record a payment",
    description="Recorded by the roles the revenue policy names (finance by default).",
)
def create_payment(request, payload: PaymentIn):
    with transaction.atomic():
        contract = _contract_for_billing(request.user, payload.contract_id)
        data = payload.dict(exclude={"contract_id", "instalment_id"})
        data.update(_instalment(contract, payload.instalment_id), contract=contract)
        return Status(201, billing.payment_record(actor=request.user, **data))


@router.get("/payments/{payment_id}", response=PaymentOut, summary="Get a payment")
@with_etag(Payment, "payment_id")
def get_payment(request, payment_id: int):
    return selectors.payment_get(user=request.user, pk=payment_id)


@router.patch("/payments/{payment_id}", response=PaymentOut, summary="Change a payment")
@if_match(Payment, "payment_id")
def update_payment(request, payment_id: int, payload: PaymentPatch):
    payment = _billing_record_or_403(Payment, request.user, payment_id)
    data = payload.dict(exclude_unset=True, exclude={"instalment_id"})
    if "instalment_id" in payload.model_fields_set:
        data.update(_instalment(payment.contract, payload.instalment_id))
    return billing.payment_update(actor=request.user, payment=payment, **data)


# --- invoices -------------------------------------------------------------------------------


@router.get("/invoices", response=InvoicePage, summary="List invoices")
def list_invoices(request, query: Query[ListQuery]):
    fs = selectors.invoice_filterset(user=request.user, data=_filters(query, request))
    return _page(fs, query)


@router.post(
    "/invoices",
    response={201: InvoiceOut},
    summary="Record an invoice",
    description="Recorded by the roles the revenue policy names (finance by default).",
)
def create_invoice(request, payload: InvoiceIn):
    contract = _contract_for_billing(request.user, payload.contract_id)
    data = payload.dict(exclude={"contract_id"})
    return Status(201, billing.invoice_create(actor=request.user, contract=contract, **data))


@router.get("/invoices/{invoice_id}", response=InvoiceOut, summary="Get an invoice")
@with_etag(Invoice, "invoice_id")
def get_invoice(request, invoice_id: int):
    return selectors.invoice_get(user=request.user, pk=invoice_id)


@router.patch("/invoices/{invoice_id}", response=InvoiceOut, summary="Change an invoice")
@if_match(Invoice, "invoice_id")
def update_invoice(request, invoice_id: int, payload: InvoicePatch):
    invoice = _billing_record_or_403(Invoice, request.user, invoice_id)
    data = payload.dict(exclude_unset=True)
    return billing.invoice_update(actor=request.user, invoice=invoice, **data)


# --- delivery milestones --------------------------------------------------------------------


@router.get("/deliveries", response=DeliveryPage, summary="List delivery milestones")
def list_deliveries(request, query: Query[ListQuery]):
    fs = selectors.delivery_filterset(user=request.user, data=_filters(query, request))
    return _page(fs, query)


@router.post("/deliveries", response={201: DeliveryOut}, summary="Add a delivery milestone")
def create_delivery(request, payload: DeliveryIn):
    if request.user.is_read_only_role:
        raise PermissionDenied(_("Your role can read milestones but not change them."))
    # Customer success schedules milestones on the contracts of their book's accounts.
    contracts = Contract.objects.editable_by(request.user) | Contract.objects.in_success_book(
        request.user
    )
    contract = contracts.filter(pk=payload.contract_id).first()
    if contract is None:
        raise ValidationError({"contract_id": _("No contract with this id that you may edit.")})
    data = payload.dict(exclude={"contract_id"})
    return Status(201, services.delivery_create(actor=request.user, contract=contract, **data))


@router.get("/deliveries/{delivery_id}", response=DeliveryOut, summary="Get a milestone")
@with_etag(Delivery, "delivery_id")
def get_delivery(request, delivery_id: int):
    return selectors.delivery_get(user=request.user, pk=delivery_id)


@router.patch("/deliveries/{delivery_id}", response=DeliveryOut, summary="Change a milestone")
@if_match(Delivery, "delivery_id")
def update_delivery(request, delivery_id: int, payload: DeliveryPatch):
    delivery = _editable_or_403(
        Delivery, request.user, delivery_id, _("You can read this milestone but not change it.")
    )
    return services.delivery_update(
        actor=request.user, delivery=delivery, **payload.dict(exclude_unset=True)
    )
