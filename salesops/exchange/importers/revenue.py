"""Contracts, payments, invoices and delivery milestones, written through the revenue
services (the same checks as the API and the finance feed).

- One row is one record. A row with an external id updates the record that has it — the
  one the finance feed wrote — exactly as the feed's upsert does (SPEC C2: "import from
  finance by Excel"). Without one: contracts are found by contract number, invoices by
  invoice number, payments by bank reference on their contract, milestones by name on
  their contract. A payment with none of these that matches a stored payment of the same
  contract, day and amount is a *duplicate*, not a second payment.
- A contract's payment plan is one column, "payment plan": its instalments as
  ``due date:percent`` separated by ``;`` (``2026-12-01:50%;2027-03-01:50%``; any accepted
  date format; an optional third part is the instalment's note). Left empty, a new
  contract has no plan (as from the API, where the plan is optional) and an existing one
  keeps its plan.
- Attachments are one column too: ``name|link`` of each, separated by ``;``.
- Payments, invoices and milestones name their contract by contract number (or its
  external id); a payment names the instalment it settles by its number in the plan.
- Who: admins and finance import as the finance feed writes (``integrations.feed``
  accepts exactly them): any contract and record. Everyone else imports what the API
  lets them write: contracts on accounts they may edit (a signed contract's amount, plan
  and clauses only when the revenue policy lets their role), payments and invoices when
  the revenue policy names their role, milestones on contracts they may edit or have in
  their customer-success book. A row about anything else is an error naming the field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import visibility
from salesops.customers.models import Account
from salesops.org.models import Role
from salesops.pipeline.models import Deal
from salesops.revenue import billing, policy, selectors, services
from salesops.revenue.models import (
    Contract,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)

from ..registry import (
    Field,
    Importer,
    Kind,
    Outcome,
    custom_fields,
    custom_values,
    register,
    split_custom,
    user_name,
)
from .customers import find_account
from .revenue_refs import (
    billing_contract,
    by_external_id,
    feed_user,
    find_contract,
    format_attachments,
    format_plan,
    may_bill,
    nested_errors,
    parse_attachments,
    parse_plan,
    parse_week_cell,
    plan_differs,
    refuse_hidden,
    user_cell,
    written,
)

# --- contracts -------------------------------------------------------------------------------


@register
class ContractImporter(Importer):
    entity = "contract"
    label = _l("Contracts")
    model = Contract

    def can_import(self, user) -> bool:
        return bool(
            user
            and user.is_active
            and (feed_user(user) or user.edits_everything or user.role in (Role.MANAGER, Role.REP))
        )

    def fields(self):
        return [
            Field(
                "number",
                _l("contract number"),
                required=True,
                identifies=True,
                aliases=("合同号", "合同编码", "contract no", "contract no."),
            ),
            Field(
                "account",
                _l("account"),
                kind=Kind.REF,
                required=True,
                aliases=("客户名称", "公司名称", "company name", "company"),
                help=_l("The account's credit code or company name."),
            ),
            Field("owner", _l("owner"), kind=Kind.REF, aliases=("销售", "签约人")),
            Field("deal", _l("deal"), kind=Kind.REF, aliases=("商机名称", "deal name")),
            Field("product_line", _l("product line")),
            Field(
                "amount",
                _l("contract amount"),
                kind=Kind.MONEY,
                required=True,
                aliases=("金额", "amount"),
            ),
            Field("signed_on", _l("signed on"), kind=Kind.DATE, aliases=("签约日期", "签订日")),
            Field("start_on", _l("starts on"), kind=Kind.DATE),
            Field("end_on", _l("ends on"), kind=Kind.DATE),
            Field("term_months", _l("term (months)"), kind=Kind.INT, aliases=("期限",)),
            Field("status", _l("status"), kind=Kind.CHOICE, choices=tuple(ContractStatus.choices)),
            Field(
                "instalments",
                _l("payment plan"),
                aliases=("付款计划", "回款计划", "instalments"),
                help=_l("Instalments as due date:percent, separated by “;”."),
            ),
            Field("clauses", _l("clauses")),
            Field("has_custom_service", _l("has customised-service clauses"), kind=Kind.BOOL),
            Field("custom_service_annex", _l("customised-service annex")),
            Field(
                "attachments",
                _l("attachments"),
                aliases=("合同附件",),
                help=_l("Name|link of each scan or annex, separated by “;”."),
            ),
            Field("external_id", _l("external id"), aliases=("ERP编号",)),
            Field("source", _l("source system")),
            *custom_fields("contract"),
        ]

    def write(self, values, ctx):
        data, custom = split_custom(values)
        existing = by_external_id(Contract, data, ctx)
        if existing is None:
            existing = Contract.objects.filter(number=data["number"]).first()
        if existing is not None and not (
            Contract.objects.visible_to(ctx.actor).filter(pk=existing.pk).exists()
        ):
            return Outcome.error(
                "number",
                _(
                    "Contract %(number)s belongs to someone outside your team; it is not "
                    "yours to change."
                )
                % {"number": existing.number},
            )
        account = self._account(data, existing, ctx)
        data["account"] = account
        owner = user_cell(data, "owner", ctx)
        if owner is None:
            data.pop("owner", None)
        else:
            ids = visibility.visible_owner_ids(ctx.actor)
            if not feed_user(ctx.actor) and ids is not None and owner.pk not in set(ids):
                raise ValidationError(
                    {
                        "owner": _("%(name)s is not in your team; choose an owner in your team.")
                        % {"name": owner.label}
                    }
                )
            data["owner"] = owner
        if data.get("deal"):
            data["deal"] = self._deal(data["deal"], account, ctx)
        if data.get("instalments"):
            data["instalments"] = parse_plan(data["instalments"])
        else:
            data.pop("instalments", None)
        if data.get("attachments"):
            data["attachments"] = parse_attachments(data["attachments"])
        if existing is not None:
            self._may_change(existing, data, custom, ctx)
        try:
            contract, changed = services.contract_write(
                actor=ctx.actor,
                contract=existing,
                custom=custom if existing is None else (custom or None),
                **data,
            )
        except ValidationError as exc:
            raise nested_errors(exc) from None
        return written(existing is None, contract, changed)

    @staticmethod
    def _account(data, existing, ctx):
        text = data.get("account")
        account = find_account(text, ctx)
        if account is None:
            raise ValidationError(
                {
                    "account": _(
                        "No account you can see is called “%(name)s”; write its credit code "
                        "or its exact company name."
                    )
                    % {"name": text}
                }
            )
        moved = existing is None or existing.account_id != account.pk
        if moved and not feed_user(ctx.actor):
            if not Account.objects.editable_by(ctx.actor).filter(pk=account.pk).exists():
                raise ValidationError(
                    {
                        "account": _(
                            "Account “%(name)s” is not yours to change; contracts are added "
                            "by its owner's team."
                        )
                        % {"name": account.name}
                    }
                )
        return account

    @staticmethod
    def _deal(text, account, ctx):
        deal = (
            Deal.objects.visible_to(ctx.actor)
            .filter(account=account, name=str(text).strip())
            .order_by("pk")
            .first()
        )
        if deal is None:
            raise ValidationError(
                {
                    "deal": _("Account “%(account)s” has no deal called “%(name)s” that you see.")
                    % {"account": account.name, "name": text}
                }
            )
        return deal

    @staticmethod
    def _may_change(contract, data, custom, ctx) -> None:
        """The API's rule for changing a contract (the revenue policy for signed terms);
        admins and finance change it as the feed does."""
        if feed_user(ctx.actor):
            return
        fields = {
            k for k, v in data.items() if k != "instalments" and getattr(contract, k, None) != v
        }
        if "instalments" in data and plan_differs(contract, data["instalments"]):
            fields.add("instalments")
        stored = contract.custom or {}
        if any(stored.get(k) != v for k, v in custom.items()):
            fields.add("custom")
        refusal = policy.contract_change_refusal(
            user=ctx.actor,
            contract=contract,
            fields=fields,
            data=data,
            editable=selectors.contract_editable(user=ctx.actor, contract=contract),
        )
        if refusal:
            signed = sorted(fields & set(policy.SIGNED_TERMS)) or ["number"]
            raise ValidationError({signed[0]: refusal})

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("contract")]
        queryset = (
            Contract.objects.visible_to(actor)
            .select_related("account", "owner", "deal")
            .prefetch_related("instalments")
            .order_by("pk")
        )
        for contract in queryset.iterator(chunk_size=2000):
            row = {
                "number": contract.number,
                "account": contract.account.credit_code or contract.account.name,
                "owner": user_name(contract.owner),
                "deal": contract.deal.name if contract.deal else "",
                "product_line": contract.product_line,
                "amount": contract.amount,
                "signed_on": contract.signed_on,
                "start_on": contract.start_on,
                "end_on": contract.end_on,
                "term_months": contract.term_months,
                "status": contract.status,
                "instalments": format_plan(contract),
                "clauses": contract.clauses,
                "has_custom_service": contract.has_custom_service,
                "custom_service_annex": contract.custom_service_annex,
                "attachments": format_attachments(contract.attachments),
                "external_id": contract.external_id,
                "source": contract.source,
            }
            row.update(custom_values(contract, keys))
            yield row


@register
class PaymentImporter(Importer):
    entity = "payment"
    label = _l("Payments")
    model = Payment

    def can_import(self, user) -> bool:
        return may_bill(user)

    def fields(self):
        return [
            Field(
                "contract",
                _l("contract"),
                kind=Kind.REF,
                required=True,
                aliases=("合同编号", "合同号", "contract number"),
            ),
            Field(
                "amount",
                _l("amount"),
                kind=Kind.MONEY,
                required=True,
                aliases=("回款金额", "到账金额", "payment amount"),
            ),
            Field(
                "received_on",
                _l("received on"),
                kind=Kind.DATE,
                required=True,
                aliases=("到账日期", "收款日期"),
            ),
            Field(
                "method",
                _l("method"),
                kind=Kind.CHOICE,
                choices=tuple(PaymentMethod.choices),
                aliases=("回款方式", "付款方式"),
            ),
            Field("instalment", _l("instalment"), kind=Kind.INT, aliases=("期次", "第几期")),
            Field(
                "reference",
                _l("bank reference"),
                identifies=True,
                aliases=("流水号", "交易流水号"),
            ),
            Field("note", _l("note")),
            Field("external_id", _l("external id"), identifies=True, aliases=("ERP编号",)),
            Field("source", _l("source system")),
            *custom_fields("payment"),
        ]

    def write(self, values, ctx):
        data, custom = split_custom(values)
        existing = by_external_id(Payment, data, ctx)
        contract = find_contract(data.get("contract"), ctx)
        if existing is None and data.get("reference"):
            existing = Payment.objects.filter(
                contract=contract, reference=data["reference"]
            ).first()
        refuse_hidden(Payment, existing, ctx, "contract", _("This payment"))
        data["contract"] = billing_contract(data, ctx, existing)
        if data.get("instalment") is not None:
            number = data["instalment"]
            data["instalment"] = contract.instalments.filter(sequence=number).first()
            if data["instalment"] is None:
                raise ValidationError(
                    {
                        "instalment": _("Contract %(number)s has no instalment %(n)s.")
                        % {"number": contract.number, "n": number}
                    }
                )
        if existing is None and not data.get("external_id") and not data.get("reference"):
            twin = (
                Payment.objects.filter(
                    contract=contract, received_on=data["received_on"], amount=data["amount"]
                )
                .order_by("pk")
                .first()
            )
            if twin is not None:
                return Outcome(
                    "duplicate",
                    message=_(
                        "Contract %(number)s already has a payment of %(amount)s received on "
                        "%(day)s (#%(id)d); not imported. Add the bank reference to tell them apart."
                    )
                    % {
                        "number": contract.number,
                        "amount": twin.amount,
                        "day": twin.received_on.isoformat(),
                        "id": twin.pk,
                    },
                )
        payment, changed = billing.payment_write(
            actor=ctx.actor,
            payment=existing,
            custom=custom if existing is None else (custom or None),
            **data,
        )
        outcome = written(existing is None, payment, changed)
        if payment.flagged and outcome.status != "unchanged":
            outcome.message = payment.flag_reason
        return outcome

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("payment")]
        queryset = (
            Payment.objects.visible_to(actor)
            .select_related("contract", "instalment")
            .order_by("pk")
        )
        for payment in queryset.iterator(chunk_size=2000):
            row = {
                "contract": payment.contract.number,
                "amount": payment.amount,
                "received_on": payment.received_on,
                "method": payment.method,
                "instalment": payment.instalment.sequence if payment.instalment else None,
                "reference": payment.reference,
                "note": payment.note,
                "external_id": payment.external_id,
                "source": payment.source,
            }
            row.update(custom_values(payment, keys))
            yield row


@register
class InvoiceImporter(Importer):
    entity = "invoice"
    label = _l("Invoices")
    model = Invoice

    def can_import(self, user) -> bool:
        return may_bill(user)

    def fields(self):
        return [
            Field(
                "number",
                _l("invoice number"),
                required=True,
                identifies=True,
                aliases=("发票号码", "发票编号", "invoice no"),
            ),
            Field(
                "contract",
                _l("contract"),
                kind=Kind.REF,
                required=True,
                aliases=("合同编号", "合同号", "contract number"),
            ),
            Field(
                "amount",
                _l("amount"),
                kind=Kind.MONEY,
                required=True,
                aliases=("开票金额", "价税合计"),
            ),
            Field(
                "issued_on",
                _l("issued on"),
                kind=Kind.DATE,
                required=True,
                aliases=("开票日", "发票日期"),
            ),
            Field("status", _l("status"), kind=Kind.CHOICE, choices=tuple(InvoiceStatus.choices)),
            Field("note", _l("note")),
            Field("external_id", _l("external id"), aliases=("ERP编号",)),
            Field("source", _l("source system")),
            *custom_fields("invoice"),
        ]

    def write(self, values, ctx):
        data, custom = split_custom(values)
        existing = by_external_id(Invoice, data, ctx)
        if existing is None:
            existing = Invoice.objects.filter(number=data["number"]).first()
        refuse_hidden(
            Invoice, existing, ctx, "number", _("Invoice %(number)s") % {"number": data["number"]}
        )
        data["contract"] = billing_contract(data, ctx, existing)
        invoice, changed = billing.invoice_write(
            actor=ctx.actor,
            invoice=existing,
            custom=custom if existing is None else (custom or None),
            **data,
        )
        return written(existing is None, invoice, changed)

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("invoice")]
        queryset = Invoice.objects.visible_to(actor).select_related("contract").order_by("pk")
        for invoice in queryset.iterator(chunk_size=2000):
            row = {
                "number": invoice.number,
                "contract": invoice.contract.number,
                "amount": invoice.amount,
                "issued_on": invoice.issued_on,
                "status": invoice.status,
                "note": invoice.note,
                "external_id": invoice.external_id,
                "source": invoice.source,
            }
            row.update(custom_values(invoice, keys))
            yield row


@register
class DeliveryImporter(Importer):
    entity = "delivery"
    label = _l("Delivery milestones")
    model = Delivery

    def can_import(self, user) -> bool:
        # Finance only reads contracts, but pushes milestones through the feed.
        return feed_user(user) or bool(user and user.is_active and not user.is_read_only_role)

    def fields(self):
        return [
            Field(
                "contract",
                _l("contract"),
                kind=Kind.REF,
                required=True,
                aliases=("合同编号", "合同号", "contract number"),
            ),
            Field("name", _l("milestone"), required=True, aliases=("里程碑名称", "交付内容")),
            Field("sequence", _l("order"), kind=Kind.INT, aliases=("序号",)),
            Field("planned_week", _l("planned week"), required=True, aliases=("计划交付周",)),
            Field("actual_week", _l("actual week"), aliases=("实际交付周",)),
            Field("status", _l("status"), kind=Kind.CHOICE, choices=tuple(DeliveryStatus.choices)),
            Field("note", _l("note")),
            Field("external_id", _l("external id"), identifies=True, aliases=("ERP编号",)),
            Field("source", _l("source system")),
        ]

    def write(self, values, ctx):
        data = {k: v for k, v in values.items() if v is not None}
        contract = find_contract(data.get("contract"), ctx)
        existing = by_external_id(Delivery, data, ctx)
        if existing is None:
            existing = Delivery.objects.filter(contract=contract, name=data["name"]).first()
        for field in ("planned_week", "actual_week"):
            if data.get(field):
                data[field] = parse_week_cell(data[field], field)
        if not feed_user(ctx.actor):
            editable = Contract.objects.editable_by(ctx.actor) | Contract.objects.in_success_book(
                ctx.actor
            )
            targets = [contract, existing.contract if existing is not None else None]
            if any(t is not None and not editable.filter(pk=t.pk).exists() for t in targets):
                raise ValidationError(
                    {
                        "contract": _(
                            "Contract %(number)s is not yours to change; its milestones are "
                            "kept by its owner's team."
                        )
                        % {"number": contract.number}
                    }
                )
        data["contract"] = contract
        delivery, changed = services.delivery_write(actor=ctx.actor, delivery=existing, **data)
        return written(existing is None, delivery, changed)

    def export_rows(self, actor):
        queryset = Delivery.objects.visible_to(actor).select_related("contract").order_by("pk")
        for delivery in queryset.iterator(chunk_size=2000):
            yield {
                "contract": delivery.contract.number,
                "name": delivery.name,
                "sequence": delivery.sequence,
                "planned_week": delivery.planned_week,
                "actual_week": delivery.actual_week,
                "status": delivery.status,
                "note": delivery.note,
                "external_id": delivery.external_id,
                "source": delivery.source,
            }
