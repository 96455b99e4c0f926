"""Deal pages: the list (filters, totals, export), create, edit, a lead's conversion into a
deal, the deal's page and its history, and the manager's reassignment.

Thin views: reads through ``Deal.objects.visible_to`` / ``selectors`` and the one
``DealFilterSet``; writes through ``services``. A deal outside the user's visibility is a
404, never a 403. The deal's page is assembled in :mod:`.dealpage`; its evidence
(upload, download) lives in :mod:`.evidence`, whose URLs are joined here.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import choices
from salesops.core.exports import export_or_back
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.listing import list_context, sees_owners
from salesops.core.visibility import visible_users
from salesops.customers.models import Account
from salesops.customization import selectors as custom_selectors
from salesops.leads.models import Lead, LeadStatus
from salesops.org.models import Team

from .. import selectors, services
from ..filters import DealFilterSet
from ..forms import DealForm, ReassignForm
from ..models import CommitCategory, Deal, DealStatus, Stage
from . import dealpage, evidence
from .dealpage import deal_or_404

DEAL_FILTERS = (
    "q",
    "pipeline",
    "stage",
    "status",
    "owner",
    "team",
    "account",
    "product_line",
    "commit_category",
    "qualified",
    "stalled",
    "close_after",
    "close_before",
)


def _label(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


EXPORT_COLUMNS = [
    (gettext_lazy("ID"), "pk"),
    (_label(Deal, "name"), "name"),
    (_label(Deal, "account"), "account.name"),
    (_label(Deal, "owner"), "owner.label"),
    (_label(Deal, "pipeline"), "pipeline.name"),
    (_label(Deal, "stage"), "stage.name"),
    (gettext_lazy("Probability (%)"), "stage.probability"),
    (_label(Deal, "status"), "status"),
    (_label(Deal, "product_line"), "get_product_line_display"),
    (_label(Deal, "amount"), "amount"),
    (gettext_lazy("Weighted amount (CNY)"), "weighted_amount"),
    (_label(Deal, "expected_close_date"), "expected_close_date"),
    (_label(Deal, "commit_category"), "commit_category"),
    (_label(Deal, "need_confirmed"), "need_confirmed"),
    (_label(Deal, "budget_confirmed"), "budget_confirmed"),
    (_label(Deal, "decision_maker_identified"), "decision_maker_identified"),
    (gettext_lazy("Qualified"), "qualified"),
    (_label(Deal, "stage_entered_at"), "stage_entered_at"),
    (_label(Deal, "stall_due_at"), "stall_due_at"),
    (_label(Deal, "health_passed"), "health_passed"),
    (_label(Deal, "lost_reason"), "get_lost_reason_display"),
    (_label(Deal, "created_at"), "created_at"),
]

WEIGHTED = ExpressionWrapper(
    F("amount") * F("stage__probability") / Decimal(100),
    output_field=DecimalField(max_digits=20, decimal_places=2),
)


# --- helpers --------------------------------------------------------------------------------
def _deal_for_edit(user, pk) -> Deal:
    deal = Deal.objects.editable_by(user).filter(pk=pk).first()
    if deal is None:
        if Deal.objects.visible_to(user).filter(pk=pk).exists():
            raise PermissionDenied(_("You cannot change this deal."))
        raise Http404(_("No such deal, or you may not open it."))
    return deal


def can_create(user) -> bool:
    """Finance reads deals; customer success reads those of their book. Neither opens one."""
    return not (user.is_read_only_role or user.is_customer_success_role)


def _is_partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _filterset(request):
    return DealFilterSet(request.GET, queryset=selectors.deals_for(request.user))


def totals(queryset) -> dict:
    """The amount and the weighted amount (amount × stage probability) of ``queryset``."""
    sums = queryset.order_by().aggregate(total=Sum("amount"), weighted=Sum(WEIGHTED))
    return {
        "amount": sums["total"] or Decimal("0"),
        "weighted": (sums["weighted"] or Decimal("0")).quantize(Decimal("0.01")),
    }


# --- list and export ------------------------------------------------------------------------
@login_required
@require_GET
def deal_list(request):
    user = request.user
    fs = _filterset(request)
    context = list_context(request, fs, DEAL_FILTERS + fs.custom_filter_names)
    rows = list(context["rows"])
    dealpage.decorate(rows)
    context["rows"] = rows
    pipelines = list(selectors.active_pipelines())
    pipeline_id = context["current"]["pipeline"]
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__order", "order", "id")
    if pipeline_id.isdigit():
        stages = stages.filter(pipeline_id=pipeline_id)
    many = len(pipelines) > 1 and not pipeline_id.isdigit()
    account_id = context["current"]["account"]
    teams = []
    if sees_owners(user):
        teams = Team.objects.filter(
            pk__in=visible_users(user).exclude(team=None).values("team_id")
        ).order_by("path")
    context.update(
        {
            "totals": totals(fs.qs) if fs.is_valid() else totals(Deal.objects.none()),
            "pipelines": [(p.pk, p.name) for p in pipelines],
            "stages": [(s.pk, f"{s.pipeline.name} · {s.name}" if many else s.name) for s in stages],
            "statuses": DealStatus.choices,
            "teams": [(t.pk, t.name) for t in teams],
            "product_lines": choices.all_choices(choices.PRODUCT_LINE),
            "categories": CommitCategory.choices,
            "yes_no": [("true", _("Yes")), ("false", _("No"))],
            "filter_account": Account.objects.visible_to(user).filter(pk=account_id).first()
            if account_id.isdigit()
            else None,
            "can_create": can_create(user),
        }
    )
    return render(request, "pipeline/deal_list.html", context)


@login_required
@require_GET
def deal_export(request, fmt=None):
    if fmt is None:
        # ``{% url 'pipeline:deal_export' %}`` without a format: the Excel workbook.
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(reverse("pipeline:deal_export", args=["xlsx"]) + query)
    fs = _filterset(request)
    columns = EXPORT_COLUMNS + custom_selectors.export_columns("deal")
    return export_or_back(request, fs, columns, fmt, "deals", "pipeline:deal_list")


# --- create, edit, convert ------------------------------------------------------------------
def _form(request, deal=None, *, initial=None, lead=None) -> DealForm:
    initial = dict(initial or {})
    if request.GET.get("account", "").isdigit():
        # "New deal" from an account's page, or the contacts picker asking for the
        # contacts of the account just chosen.
        initial["account"] = int(request.GET["account"])
    return DealForm(
        request.POST or None,
        instance=deal,
        initial=initial,
        user=request.user,
        account_query=request.GET.get("account_q", ""),
        lead=lead,
    )


def _partial(request, form):
    """htmx asks for one picker's options: the accounts matching the typed text, or the
    contacts of the account just chosen."""
    if not _is_partial(request):
        return None
    if "account_q" in request.GET:
        return render(request, "pipeline/_account_options.html", {"form": form})
    if request.GET.get("part") == "contacts":
        return render(request, "pipeline/_contacts_field.html", {"form": form})
    return None


def _save(request, form, write, message: str):
    try:
        with transaction.atomic():
            earlier = form.begin(request.user)
            if earlier:
                return redirect(earlier)
            data = form.service_data()
            deal = write(data)
            form.finish(deal)
    except ValidationError as exc:
        attach_service_errors(form, exc)
        return None
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You cannot change this deal."))
        return None
    messages.success(request, message % {"name": deal})
    if Deal.objects.visible_to(request.user).filter(pk=deal.pk).exists():
        return redirect(deal)
    return redirect("pipeline:deal_list")


def _form_page(request, form, *, deal=None, lead=None, cancel_url=""):
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "deal": deal,
        "lead": lead,
        "cancel_url": cancel_url
        or (deal.get_absolute_url() if deal else reverse("pipeline:deal_list")),
    }
    return render(request, "pipeline/deal_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request):
    if not can_create(request.user):
        raise PermissionDenied(_("Your role cannot open deals."))
    form = _form(request)
    partial = _partial(request, form)
    if partial is not None:
        return partial
    if request.method == "POST" and form.is_valid():

        def write(data):
            custom = data.pop("custom", None)
            account = data.pop("account")
            return services.deal_create(
                actor=request.user, account=account, custom=custom or None, **data
            )

        response = _save(request, form, write, _("Deal “%(name)s” created."))
        if response:
            return response
    return _form_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request, pk):
    deal = _deal_for_edit(request.user, pk)
    form = _form(request, deal)
    partial = _partial(request, form)
    if partial is not None:
        return partial
    if request.method == "POST" and form.is_valid():

        def write(data):
            custom = data.pop("custom", None)
            contacts = data.pop("contacts")
            return services.deal_update(
                actor=request.user, deal=deal, contacts=contacts, custom=custom, **data
            )

        response = _save(request, form, write, _("Deal “%(name)s” saved."))
        if response:
            return response
    return _form_page(request, form, deal=deal)


def _lead_for_deal(user, pk) -> Lead:
    lead = (
        Lead.objects.visible_to(user)
        .select_related("account", "contact", "owner")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404(_("No such lead, or you may not open it."))
    if not Lead.objects.editable_by(user).filter(pk=pk).exists() or not can_create(user):
        raise PermissionDenied(_("You cannot convert this lead."))
    return lead


@login_required
@require_http_methods(["GET", "POST"])
def deal_from_lead(request, pk):
    """A lead's "Convert to deal": the deal form prefilled from the lead. Saving converts
    the lead first when it is not yet (account and contact from it)."""
    lead = _lead_for_deal(request.user, pk)
    existing = Deal.objects.filter(lead=lead).first()
    if existing is not None:
        messages.info(request, _("This lead already has a deal: %(name)s.") % {"name": existing})
        if Deal.objects.visible_to(request.user).filter(pk=existing.pk).exists():
            return redirect(existing)
        return redirect(lead)
    if lead.status == LeadStatus.INVALID:
        messages.error(request, _("An invalid lead cannot become a deal; reopen it first."))
        return redirect(lead)
    if lead.status == LeadStatus.CONVERTED and lead.account_id is None:
        # Converted before accounts were linked (imported history): no account to open on.
        messages.error(
            request, _("This lead was converted without an account; link it to one first.")
        )
        return redirect(lead)
    product_line = choices.active_or_blank(choices.PRODUCT_LINE, lead.product_line)
    initial = {"product_line": product_line}
    if lead.account_id:
        initial["account"] = lead.account_id
        if lead.contact_id:
            initial["contacts"] = [lead.contact_id]
    label = choices.label(choices.PRODUCT_LINE, product_line)
    initial["name"] = (f"{lead.company} · {label}" if label else lead.company)[:200]
    form = _form(request, initial=initial, lead=lead)
    # The account is the lead's (made when it converts): nothing to pick.
    form.fields.pop("account", None)
    if lead.account_id is None:
        form.fields.pop("contacts", None)
    partial = _partial(request, form)
    if partial is not None:
        return partial
    if request.method == "POST" and form.is_valid():

        def write(data):
            data.pop("account", None)
            contacts = data.pop("contacts", None)
            custom = data.pop("custom", None)
            deal = services.deal_from_lead(
                actor=request.user, lead=lead, custom=custom or None, **data
            )
            chosen = {c.pk for c in contacts or ()}
            if lead.account_id and chosen != {lead.contact_id} - {None}:
                # The decision chain as picked (the service starts it with the lead's contact).
                deal = services.deal_update(actor=request.user, deal=deal, contacts=contacts)
            return deal

        response = _save(request, form, write, _("Deal “%(name)s” created from the lead."))
        if response:
            return response
    return _form_page(request, form, lead=lead, cancel_url=lead.get_absolute_url())


# --- the deal's page ------------------------------------------------------------------------
@login_required
@require_GET
def deal_detail(request, pk):
    deal = deal_or_404(request.user, pk)
    return render(request, "pipeline/deal_detail.html", dealpage.context(request, deal))


@login_required
@require_GET
def deal_history(request, pk):
    deal = deal_or_404(request.user, pk)
    entries = history_entries(deal)
    if _is_partial(request):
        return render(request, "web/_history.html", {"entries": entries})
    context = dealpage.context(request, deal, tab="history")
    context["entries"] = entries
    return render(request, "pipeline/deal_detail.html", context)


@login_required
@require_POST
def deal_reassign(request, pk):
    deal = deal_or_404(request.user, pk)
    if not dealpage.can_reassign(request.user, deal):
        raise PermissionDenied(_("Only managers can reassign deals."))
    form = ReassignForm(request.POST, user=request.user)
    if form.is_valid():
        owner = form.cleaned_data["owner"]
        if owner is None:
            form.add_error("owner", _("Pick the new owner."))
        else:
            try:
                services.deal_reassign(
                    actor=request.user,
                    deal=deal,
                    owner=owner,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Deal reassigned to %(owner)s.") % {"owner": owner.label}
                )
                if Deal.objects.visible_to(request.user).filter(pk=deal.pk).exists():
                    return redirect(deal)
                return redirect("pipeline:deal_list")
    deal = deal_or_404(request.user, pk)
    context = dealpage.context(request, deal, reassign_form=form)
    context["open_action"] = "reassign"
    return render(request, "pipeline/deal_detail.html", context, status=422)


urlpatterns = [
    path("", deal_list, name="deal_list"),
    path("new/", deal_create, name="deal_create"),
    path("export.<str:fmt>", deal_export, name="deal_export"),
    path("export/", deal_export, name="deal_export"),
    path("from-lead/<int:pk>/", deal_from_lead, name="deal_from_lead"),
    path("<int:pk>/", deal_detail, name="deal_detail"),
    path("<int:pk>/edit/", deal_edit, name="deal_edit"),
    path("<int:pk>/history/", deal_history, name="deal_history"),
    path("<int:pk>/reassign/", deal_reassign, name="deal_reassign"),
    *evidence.urlpatterns,
]
