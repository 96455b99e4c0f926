"""Revenue pages: contract list (filters, export), contract detail (payment progress,
instalments with paid/overdue state, payments, invoices, deliveries, history), payment
list and invoice list.

Thin views: reads through ``selectors`` (visibility applied); a record the user may not
see is a 404. Payments can be recorded on a contract's page (the roles the revenue policy
names, finance by default; admins edit that policy on its settings page); everything else is written through the API and the finance feed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core.exports import export_or_back
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.listing import list_context
from salesops.customization import selectors as custom_selectors

from . import billing, forms, policy, selectors, services
from .models import (
    Contract,
    ContractStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)


def _label(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


CONTRACT_COLUMNS = [
    (_label(Contract, "number"), "number"),
    (_label(Contract, "account"), "account.name"),
    (_label(Contract, "owner"), "owner.label"),
    (_label(Contract, "product_line"), "product_line"),
    (_label(Contract, "amount"), "amount"),
    (gettext_lazy("Paid to date"), "paid_total"),
    (gettext_lazy("Remaining"), lambda c: c.amount - c.paid_total),
    (gettext_lazy("Invoiced"), "invoiced_total"),
    (_label(Contract, "signed_on"), "signed_on"),
    (_label(Contract, "start_on"), "start_on"),
    (_label(Contract, "end_on"), "end_on"),
    (_label(Contract, "status"), "status"),
    (_label(Contract, "has_custom_service"), "has_custom_service"),
    (_label(Contract, "external_id"), "external_id"),
]
PAYMENT_COLUMNS = [
    (_label(Payment, "contract"), "contract.number"),
    (_label(Payment, "account"), "account.name"),
    (_label(Payment, "amount"), "amount"),
    (_label(Payment, "received_on"), "received_on"),
    (_label(Payment, "method"), "method"),
    (_label(Payment, "reference"), "reference"),
    (_label(Payment, "flagged"), "flagged"),
    (_label(Payment, "flag_reason"), "flag_reason"),
    (_label(Payment, "external_id"), "external_id"),
]
INVOICE_COLUMNS = [
    (_label(Invoice, "number"), "number"),
    (_label(Invoice, "contract"), "contract.number"),
    (_label(Invoice, "account"), "account.name"),
    (_label(Invoice, "amount"), "amount"),
    (_label(Invoice, "issued_on"), "issued_on"),
    (_label(Invoice, "status"), "status"),
    (_label(Invoice, "external_id"), "external_id"),
]
CONTRACT_FILTERS = (
    "q",
    "status",
    "owner",
    "account",
    "product_line",
    "signed_after",
    "signed_before",
)
PAYMENT_FILTERS = (
    "q",
    "method",
    "flagged",
    "owner",
    "contract",
    "account",
    "received_after",
    "received_before",
)
INVOICE_FILTERS = ("q", "status", "owner", "contract", "account", "issued_after", "issued_before")


@login_required
@require_GET
def contract_list(request):
    fs = selectors.contract_filterset(user=request.user, data=request.GET)
    context = list_context(request, fs, CONTRACT_FILTERS + fs.custom_filter_names)
    context["statuses"] = ContractStatus.choices
    return render(request, "revenue/contract_list.html", context)


@login_required
@require_GET
def contract_export(request, fmt):
    fs = selectors.contract_filterset(user=request.user, data=request.GET)
    columns = CONTRACT_COLUMNS + custom_selectors.export_columns("contract")
    return export_or_back(request, fs, columns, fmt, "contracts", "revenue:contract_list")


def _contract_or_404(user, pk):
    try:
        return selectors.contract_get(user=user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such record, or you may not open it.")) from None


@login_required
@require_GET
def contract_detail(request, pk):
    contract = _contract_or_404(request.user, pk)
    summary = selectors.contract_summary(contract)
    context = {
        "contract": contract,
        "tab": "details",
        "summary": summary,
        "invoices": contract.invoices.order_by("-issued_on", "-id"),
        "deliveries": contract.deliveries.all(),
        "orders": contract.orders.order_by("-ordered_on", "-id"),
        "custom_rows": custom_selectors.display_rows("contract", contract),
        "may_record_payments": selectors.may_bill(user=request.user, contract=contract),
        "may_link_deal": policy.contract_change_refusal(
            user=request.user,
            contract=contract,
            fields={"deal"},
            editable=selectors.contract_editable(user=request.user, contract=contract),
        )
        is None,
    }
    return render(request, "revenue/contract_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def payment_new(request, pk):
    """Record money received against the contract (optionally settling an instalment)."""
    contract = _contract_or_404(request.user, pk)
    if not selectors.may_bill(user=request.user, contract=contract):
        raise PermissionDenied(policy.billing_refusal())
    form = forms.PaymentForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                earlier = form.begin(request.user)
                if earlier:  # this form was sent twice: the first one recorded it
                    return redirect(earlier)
                payment = billing.payment_record(
                    actor=request.user, contract=contract, **form.service_data()
                )
                form.finish(payment)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            if payment.flagged:
                messages.warning(request, payment.flag_reason)
            else:
                messages.success(request, _("Payment recorded."))
            return redirect(f"{contract.get_absolute_url()}#payments")
    context = {"contract": contract, "form": form, "summary": selectors.contract_summary(contract)}
    return render(request, "revenue/payment_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_deal(request, pk):
    """Link the contract to the deal it closes (a deal of its account the user sees), or
    unlink it. Those who may change the contract do this; others get 403."""
    contract = _contract_or_404(request.user, pk)
    policy.check_contract_change(
        user=request.user,
        contract=contract,
        fields={"deal"},
        editable=selectors.contract_editable(user=request.user, contract=contract),
    )
    deals = list(selectors.linkable_deals(user=request.user, contract=contract)[:200])
    form = forms.ContractDealForm(request.POST or None, contract=contract, deals=deals)
    if request.method == "POST" and form.is_valid():
        deal_id = form.service_data()["deal"]
        deal = None
        if deal_id is not None:
            deal = selectors.visible_deal(user=request.user, pk=deal_id)
            problem = (
                _("No deal with this id that you can see.")
                if deal is None
                else services.deal_link_problem(deal, contract.account)
            )
            if problem:
                form.add_error("deal", problem)
        if form.is_valid():
            try:
                with transaction.atomic():
                    form.begin(request.user)
                    services.contract_link_deal(actor=request.user, contract=contract, deal=deal)
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                if deal is None:
                    messages.success(request, _("The contract is linked to no deal."))
                else:
                    messages.success(
                        request,
                        _("Contract linked to deal “%(deal)s”.") % {"deal": deal.name},
                    )
                return redirect(contract.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    context = {"contract": contract, "form": form, "deals": deals}
    return render(request, "revenue/contract_deal.html", context, status=status)


@login_required
@require_GET
def contract_history(request, pk):
    contract = _contract_or_404(request.user, pk)
    entries = history_entries(contract)
    if request.htmx and not request.htmx.boosted:
        return render(request, "web/_history.html", {"entries": entries})
    context = {"contract": contract, "tab": "history", "entries": entries}
    return render(request, "revenue/contract_detail.html", context)


@login_required
@require_GET
def payment_list(request):
    fs = selectors.payment_filterset(user=request.user, data=request.GET)
    context = list_context(request, fs, PAYMENT_FILTERS + fs.custom_filter_names)
    context["methods"] = PaymentMethod.choices
    return render(request, "revenue/payment_list.html", context)


@login_required
@require_GET
def payment_export(request, fmt):
    fs = selectors.payment_filterset(user=request.user, data=request.GET)
    columns = PAYMENT_COLUMNS + custom_selectors.export_columns("payment")
    return export_or_back(request, fs, columns, fmt, "payments", "revenue:payment_list")


@login_required
@require_GET
def invoice_list(request):
    fs = selectors.invoice_filterset(user=request.user, data=request.GET)
    context = list_context(request, fs, INVOICE_FILTERS + fs.custom_filter_names)
    context["statuses"] = InvoiceStatus.choices
    return render(request, "revenue/invoice_list.html", context)


@login_required
@require_GET
def invoice_export(request, fmt):
    fs = selectors.invoice_filterset(user=request.user, data=request.GET)
    columns = INVOICE_COLUMNS + custom_selectors.export_columns("invoice")
    return export_or_back(request, fs, columns, fmt, "invoices", "revenue:invoice_list")


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    """Settings · Revenue policy: who records payments and invoices, who changes signed
    contracts, what happens to a payment over the contract amount (admins)."""
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only a sales-ops admin changes the revenue policy."))
    current = policy.current()
    form = forms.RevenuePolicyForm(request.POST or None, policy=current)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.begin(request.user)
                policy.policy_update(actor=request.user, **form.service_data())
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Revenue policy saved."))
            return redirect("revenue:policy")
    entries = history_entries(current) if current.pk else []
    return render(request, "revenue/policy_form.html", {"form": form, "entries": entries})
