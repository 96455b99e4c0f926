"""API schemas for contracts, payments, invoices and delivery milestones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from salesops.core.schemas import AccountRef, UserRef

CUSTOM_HELP = "Custom field values by key; see GET /custom-fields?entity=…"


class InstalmentIn(Schema):
    due_on: dt.date
    percent: Decimal = Field(..., description="Share of the contract amount, e.g. 30 for 30 %.")
    note: str = Field("", max_length=200)

    model_config = {"extra": "forbid"}


class InstalmentOut(Schema):
    id: int
    sequence: int
    due_on: dt.date
    percent: Decimal
    amount: Decimal
    note: str


class MilestoneIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    planned_week: str = Field(..., max_length=8, description="ISO week, e.g. 2026-W49")
    actual_week: str = Field("", max_length=8)
    status: str = Field("planned", max_length=20)
    note: str = Field("", max_length=500)

    model_config = {"extra": "forbid"}


class DeliveryOut(Schema):
    id: int
    contract_id: int
    account_id: int
    name: str
    sequence: int
    planned_week: str
    actual_week: str
    status: str
    note: str
    is_late: bool
    external_id: str
    source: str


class ContractBase(Schema):
    product_line: str = Field("", max_length=100)
    signed_on: dt.date | None = None
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    term_months: int | None = Field(None, ge=0, le=1200)
    status: str = Field("draft", max_length=20)
    clauses: str = Field("", max_length=20000)
    has_custom_service: bool = False
    custom_service_annex: str = Field("", max_length=20000)
    attachments: list[dict[str, Any]] = Field(default_factory=list)


class ContractIn(ContractBase):
    number: str = Field(..., min_length=1, max_length=50)
    account_id: int
    owner_id: int | None = Field(None, description="Defaults to the account's owner.")
    deal_id: int | None = Field(
        None, description="The deal this contract closes: a deal of the same account you see."
    )
    amount: Decimal
    external_id: str = Field("", max_length=100)
    instalments: list[InstalmentIn] = Field(default_factory=list)
    milestones: list[MilestoneIn] = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_HELP)

    model_config = {"extra": "forbid"}


class ContractPatch(Schema):
    number: str | None = Field(None, min_length=1, max_length=50)
    owner_id: int | None = None
    deal_id: int | None = Field(
        None, description="The deal this contract closes (null: none); same account, visible."
    )
    amount: Decimal | None = None
    product_line: str | None = Field(None, max_length=100)
    signed_on: dt.date | None = None
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    term_months: int | None = Field(None, ge=0, le=1200)
    status: str | None = Field(None, max_length=20)
    clauses: str | None = Field(None, max_length=20000)
    has_custom_service: bool | None = None
    custom_service_annex: str | None = Field(None, max_length=20000)
    attachments: list[dict[str, Any]] | None = None
    instalments: list[InstalmentIn] | None = Field(
        None, description="The whole plan; instalments are matched by their number."
    )
    milestones: list[MilestoneIn] | None = None
    custom: dict[str, Any] | None = None

    model_config = {"extra": "forbid"}


class ContractOut(Schema):
    id: int
    number: str
    account: AccountRef
    owner: UserRef
    deal_id: int | None
    product_line: str
    amount: Decimal
    signed_on: dt.date | None
    start_on: dt.date | None
    end_on: dt.date | None
    term_months: int | None
    status: str
    clauses: str
    has_custom_service: bool
    custom_service_annex: str
    attachments: list[Any]
    first_payment_percent: Decimal | None
    paid_total: Decimal = Decimal("0.00")
    invoiced_total: Decimal = Decimal("0.00")
    remaining: Decimal = Decimal("0.00")
    instalments: list[InstalmentOut]
    milestones: list[DeliveryOut] = Field(..., validation_alias="milestones_list")
    custom: dict[str, Any]
    external_id: str
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(..., validation_alias="get_absolute_url")

    @staticmethod
    def resolve_instalments(obj) -> list:
        return sorted(obj.instalments.all(), key=lambda i: i.sequence)

    @staticmethod
    def resolve_remaining(obj) -> Decimal:
        return obj.amount - (getattr(obj, "paid_total", None) or Decimal("0"))


class ContractRef(Schema):
    id: int
    number: str


class PaymentIn(Schema):
    contract_id: int
    amount: Decimal
    received_on: dt.date
    method: str = Field("bank_transfer", max_length=20)
    instalment_id: int | None = None
    reference: str = Field("", max_length=100)
    note: str = Field("", max_length=500)
    external_id: str = Field("", max_length=100)
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_HELP)

    model_config = {"extra": "forbid"}


class PaymentPatch(Schema):
    amount: Decimal | None = None
    received_on: dt.date | None = None
    method: str | None = Field(None, max_length=20)
    instalment_id: int | None = None
    reference: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=500)
    custom: dict[str, Any] | None = None

    model_config = {"extra": "forbid"}


class PaymentOut(Schema):
    id: int
    contract: ContractRef
    account: AccountRef
    instalment_id: int | None
    amount: Decimal
    received_on: dt.date
    method: str
    reference: str
    note: str
    flagged: bool
    flag_reason: str
    custom: dict[str, Any]
    external_id: str
    source: str
    created_at: dt.datetime


class InvoiceIn(Schema):
    number: str = Field(..., min_length=1, max_length=50)
    contract_id: int
    amount: Decimal
    issued_on: dt.date
    status: str = Field("issued", max_length=20)
    note: str = Field("", max_length=500)
    external_id: str = Field("", max_length=100)
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_HELP)

    model_config = {"extra": "forbid"}


class InvoicePatch(Schema):
    number: str | None = Field(None, min_length=1, max_length=50)
    amount: Decimal | None = None
    issued_on: dt.date | None = None
    status: str | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=500)
    custom: dict[str, Any] | None = None

    model_config = {"extra": "forbid"}


class InvoiceOut(Schema):
    id: int
    number: str
    contract: ContractRef
    account: AccountRef
    amount: Decimal
    issued_on: dt.date
    status: str
    note: str
    custom: dict[str, Any]
    external_id: str
    source: str
    created_at: dt.datetime


class DeliveryIn(MilestoneIn):
    contract_id: int
    sequence: int = Field(0, ge=0, le=1000)
    external_id: str = Field("", max_length=100)


class DeliveryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    planned_week: str | None = Field(None, max_length=8)
    actual_week: str | None = Field(None, max_length=8)
    status: str | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=500)
    sequence: int | None = Field(None, ge=0, le=1000)

    model_config = {"extra": "forbid"}


class _Page(Schema):
    count: int
    page: int
    page_size: int


class ContractPage(_Page):
    results: list[ContractOut]


class PaymentPage(_Page):
    results: list[PaymentOut]


class InvoicePage(_Page):
    results: list[InvoiceOut]


class DeliveryPage(_Page):
    results: list[DeliveryOut]
