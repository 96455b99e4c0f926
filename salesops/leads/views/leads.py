"""Lead pages: the list (and its export), a lead's page with its timeline and actions,
editing and quick entry. Thin: reads through ``selectors``, writes through ``services``;
a lead outside the user's visibility is a 404, never a 403."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.exports import ExportTooLarge, Formatted, export_response
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.pagination import TwoStepPaginator
from salesops.core.validators import display_phone
from salesops.customers.models import Account
from salesops.customization import selectors as custom_selectors
from salesops.licence import photos as licence_photos
from salesops.licence import selectors as licence_selectors
from salesops.licence import services as licence_services
from salesops.org import selectors as org_selectors

from .. import selectors, services
from ..filters import FILTER_NAMES
from ..forms import (
    LeadForm,
    QuickEntryForm,
    ReassignForm,
    StatusForm,
)
from ..models import (
    Channel,
    Lead,
    LeadStatus,
    ReviewState,
    SlaState,
)
from .common import (
    _decorate,
    _error_text,
    _is_partial,
    _lead_or_404,
    _sees_others,
)

LIST_FILTERS = FILTER_NAMES
# The newest leads first: page 1 is read from the last 3 days when they hold it, else the
# last 30, 180, then all (core.pagination.TwoStepPaginator(recent=)).
RECENT_DAYS = (3, 30, 180)
SORTS = {
    "created": ("created_at", "id"),
    "company": ("company", "id"),
    "status": ("status", "id"),
    "owner": ("owner__display_name", "owner__username", "id"),
    "sla": ("sla_due_at", "id"),
    "progress": ("progressed_at", "id"),
}


TIMELINE_ICONS = {
    "intake": "ti-inbox",
    "duplicate": "ti-copy",
    "inquiry": "ti-message-plus",
    "assignment": "ti-user-share",
    "activity": "ti-phone-call",
    "status": "ti-flag",
    "rule": "ti-bell",
    "escalation": "ti-alert-triangle",
}
ACTIVITIES_TEMPLATE = "activities/_lead_activities.html"


def _label(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


EXPORT_COLUMNS = [
    (gettext_lazy("ID"), "pk"),
    (_label(Lead, "company"), "company"),
    (_label(Lead, "contact_name"), "contact_name"),
    (_label(Lead, "phone"), Formatted("phone", display_phone)),
    (_label(Lead, "email"), "email"),
    (_label(Lead, "wechat"), "wechat"),
    (_label(Lead, "province"), "province"),
    (_label(Lead, "city"), "city"),
    (_label(Lead, "industry"), "get_industry_display"),
    (_label(Lead, "size_band"), "get_size_band_display"),
    (_label(Lead, "product_line"), "product_line"),
    (_label(Lead, "need"), "need"),
    (_label(Lead, "status"), "status"),
    (_label(Lead, "owner"), "owner.label"),
    (_label(Lead, "team"), "team.name"),
    (_label(Lead, "channel"), "channel.name"),
    (_label(Lead, "campaign"), "campaign"),
    (_label(Lead, "sla_state"), "sla_state"),
    (_label(Lead, "touches"), "touches"),
    (_label(Lead, "created_at"), "created_at"),
    (_label(Lead, "progressed_at"), "progressed_at"),
]


# --- list -----------------------------------------------------------------------------------
def _tabs(user, params) -> list[dict]:
    base = reverse("leads:lead_list")
    tabs = [
        {"key": "mine", "label": _("My leads"), "url": f"{base}?owner=me", "icon": "ti-user"},
    ]
    if _sees_others(user):
        tabs.append(
            {"key": "team", "label": _("Team"), "url": base, "icon": "ti-users"},
        )
    if _sees_others(user) or user.team_id:
        # reps see their own team's unassigned pool and may take leads from it
        tabs.append(
            {"key": "pool", "label": _("Pool"), "url": f"{base}?owner=none", "icon": "ti-inbox"}
        )
    tabs.append(
        {
            "key": "review",
            "label": _("Needs review"),
            "url": f"{base}?review=1",
            "icon": "ti-copy",
        }
    )
    owner = params.get("owner", "")
    if params.get("review") == "1":
        active = "review"
    elif owner == "me" or (not _sees_others(user) and not owner):
        active = "mine"
    elif owner == "none":
        active = "pool"
    elif not owner:
        active = "team"
    else:
        active = ""
    for tab in tabs:
        tab["active"] = tab["key"] == active
    return tabs


def _list_queryset(request):
    qs = Lead.objects.visible_to(request.user).select_related("owner", "channel", "team")
    qs = selectors.filter_leads(qs, request.GET, user=request.user)
    sort = request.GET.get("sort", "")
    key = sort.lstrip("-")
    if key in SORTS:
        fields = SORTS[key]
        qs = qs.order_by(*(f"-{f}" if sort.startswith("-") else f for f in fields))
    else:
        qs = qs.order_by("-created_at", "-id")
    return qs


@login_required
@require_GET
def lead_list(request):
    user = request.user
    qs = _list_queryset(request)
    paginator = TwoStepPaginator(
        qs,
        settings.SALESOPS["PAGE_SIZE"],
        cap=settings.SALESOPS["LIST_COUNT_CAP"],
        recent=("created_at", RECENT_DAYS),
    )
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    _decorate(page.object_list)
    owners = []
    if _sees_others(user):
        owners = [("me", _("Me")), ("none", _("Nobody (pool)"))] + [
            (u.pk, u.label)
            for u in org_selectors.visible_users(user).order_by("display_name", "username")
        ]
    provinces = selectors.visible_provinces(user)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "tabs": _tabs(user, request.GET),
        "current": {name: request.GET.get(name, "") for name in LIST_FILTERS},
        "filtered": any(request.GET.get(name) for name in LIST_FILTERS),
        "sort": request.GET.get("sort", ""),
        "statuses": [("open", _("Open (new, contacted, confirmed)")), *LeadStatus.choices],
        "owners": owners,
        "channels": [(c.pk, c.name) for c in Channel.objects.all()],
        "sla_states": [
            *[(v, label) for v, label in SlaState.choices if v],
            ("none", _("Not running")),
        ],
        "provinces": [(p, p) for p in provinces],
        "can_create": not user.is_read_only_role,
        "can_configure": services.can_configure(user),
    }
    return render(request, "leads/lead_list.html", context)


@login_required
@require_GET
def lead_export(request, fmt):
    qs = _list_queryset(request)
    try:
        return export_response(qs, EXPORT_COLUMNS, fmt, "leads")
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        back = reverse("leads:lead_list") + (f"?{request.GET.urlencode()}" if request.GET else "")
        return redirect(back)


# --- detail and actions ---------------------------------------------------------------------
def _checkin_url(lead: Lead) -> str:
    try:
        base = reverse("activities:check_in")
    except NoReverseMatch:
        base = "/activities/check-in/"
    return f"{base}?lead={lead.pk}"


def _has_activities_template() -> bool:
    try:
        select_template([ACTIVITIES_TEMPLATE])
    except TemplateDoesNotExist:
        return False
    return True


def _account_visible(user, lead: Lead) -> bool:
    """A lead may link to a customer its reader may not see (an intake matched another
    rep's account, or a manager converted it into one): its name is shown only to those
    who may see it."""
    if lead.account_id is None:
        return False
    return Account.objects.visible_to(user).filter(pk=lead.account_id).exists()


def _conversion_review(user, lead: Lead, editable: bool) -> dict:
    """A lead whose conversion matched a customer the converter may not change: the
    manager who may see it gets the customer and the ways to settle it (convert into it,
    hand the lead over); anyone else only hears that it waits for their manager."""
    if not (editable and selectors.is_conversion_review(lead)):
        return {"conversion_review": False}
    match = selectors.conversion_match(lead)
    blocked = bool(selectors.conversion_blockers(lead, user))
    seen = Account.objects.visible_to(user).filter(pk__in=[a.pk for a in match.accounts])
    return {
        "conversion_review": True,
        "conversion_blocked": blocked,
        "conversion_message": services.needs_review_message(),
        "conversion_accounts": [] if blocked else list(seen.select_related("owner")),
    }


def _detail_context(request, lead: Lead, **forms) -> dict:
    user = request.user
    editable = Lead.objects.editable_by(user).filter(pk=lead.pk).exists()
    _decorate([lead])
    can_reassign = editable and services.can_reassign(user)
    duplicate_of = lead.possible_duplicate_of
    duplicate_visible = bool(
        duplicate_of and Lead.objects.visible_to(user).filter(pk=duplicate_of.pk).exists()
    )
    context = {
        "lead": lead,
        "tab": "details",
        "can_edit": editable,
        "can_reassign": can_reassign,
        "can_claim": lead.owner_id is None and not user.is_read_only_role,
        "can_convert": editable and lead.status not in (LeadStatus.CONVERTED, LeadStatus.INVALID),
        "needs_review": editable and lead.review_state == ReviewState.REVIEW,
        **_conversion_review(user, lead, editable),
        "account_visible": _account_visible(user, lead),
        "duplicate_of": duplicate_of,
        "duplicate_visible": duplicate_visible,
        "status_form": forms.get("status_form") or StatusForm(lead=lead),
        "reassign_form": forms.get("reassign_form")
        or (ReassignForm(user=user) if can_reassign else None),
        "timeline": [
            {"entry": e, "icon": TIMELINE_ICONS.get(e.kind, "ti-point")}
            for e in selectors.timeline(lead)
        ],
        "custom_rows": custom_selectors.display_rows("lead", lead),
        "checkin_url": _checkin_url(lead),
        "invalid_value": LeadStatus.INVALID.value,
        "licence_photo": licence_selectors.kept_photo("lead", lead.pk),
    }
    if _has_activities_template():
        context["show_activities"] = True
        context["activities"] = lead.activities.select_related("tag", "owner")[:50]
    return context


@login_required
@require_GET
def lead_detail(request, pk):
    lead = _lead_or_404(request.user, pk)
    return render(request, "leads/lead_detail.html", _detail_context(request, lead))


@login_required
@require_GET
def lead_history(request, pk):
    lead = _lead_or_404(request.user, pk)
    # The customer link's changes name the account: left out for readers who may not
    # see it (a lead converted by a manager into another rep's customer).
    hidden = () if _account_visible(request.user, lead) else ("account", "contact")
    entries = history_entries(lead, exclude=hidden)
    if _is_partial(request):
        return render(request, "web/_history.html", {"entries": entries})
    context = _detail_context(request, lead)
    context.update({"tab": "history", "entries": entries})
    return render(request, "leads/lead_detail.html", context)


@login_required
@require_POST
def lead_status(request, pk):
    lead = _lead_or_404(request.user, pk)
    form = StatusForm(request.POST, lead=lead)
    if form.is_valid():
        try:
            services.lead_set_status(
                actor=request.user,
                lead=lead,
                status=form.cleaned_data["status"],
                invalid_reason=form.cleaned_data["invalid_reason"],
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Status saved."))
            return redirect(lead)
    lead = _lead_or_404(request.user, pk)
    context = _detail_context(request, lead, status_form=form)
    context["open_action"] = "status"
    return render(request, "leads/lead_detail.html", context, status=422)


@login_required
@require_POST
def lead_reassign(request, pk):
    lead = _lead_or_404(request.user, pk)
    if not services.can_reassign(request.user):
        raise PermissionDenied(_("Only managers can reassign leads."))
    form = ReassignForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.lead_reassign(
                actor=request.user,
                lead=lead,
                owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
                override_cap=form.cleaned_data["override_cap"],
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Lead reassigned."))
            if Lead.objects.visible_to(request.user).filter(pk=lead.pk).exists():
                return redirect(lead)
            return redirect("leads:lead_list")
    lead = _lead_or_404(request.user, pk)
    context = _detail_context(request, lead, reassign_form=form)
    context["open_action"] = "reassign"
    return render(request, "leads/lead_detail.html", context, status=422)


@login_required
@require_POST
def lead_claim(request, pk):
    lead = _lead_or_404(request.user, pk)
    try:
        services.lead_claim(actor=request.user, lead=lead)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The lead is yours now."))
    return redirect(lead)


@login_required
@require_POST
def lead_convert(request, pk):
    lead = _lead_or_404(request.user, pk)
    try:
        lead = services.lead_convert(actor=request.user, lead=lead)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(lead)
    if lead.status != LeadStatus.CONVERTED:
        messages.warning(request, services.needs_review_message())
        return redirect(lead)
    messages.success(
        request,
        _("Converted: account “%(account)s” and contact “%(contact)s”.")
        % {"account": lead.account, "contact": lead.contact},
    )
    if Account.objects.visible_to(request.user).filter(pk=lead.account_id).exists():
        return redirect(lead.account)
    return redirect(lead)


@login_required
@require_POST
def lead_review(request, pk):
    lead = _lead_or_404(request.user, pk)
    merge = request.POST.get("action") == "merge"
    try:
        services.lead_review(actor=request.user, lead=lead, merge=merge)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if merge:
            messages.success(request, _("Merged into the earlier lead."))
        else:
            messages.success(request, _("Marked as not a duplicate."))
    return redirect(lead)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request, pk):
    lead = Lead.objects.editable_by(request.user).filter(pk=pk).first()
    if lead is None:
        if Lead.objects.visible_to(request.user).filter(pk=pk).exists():
            raise PermissionDenied(_("You cannot change this lead."))
        raise Http404(_("No such lead, or you may not open it."))
    form = LeadForm(
        request.POST or None, instance=lead, layout=request.GET.get("layout") or "default"
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        custom = data.pop("custom", None)
        try:
            with transaction.atomic():
                form.begin(request.user)
                services.lead_update(actor=request.user, lead=lead, custom=custom, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Lead “%(name)s” saved.") % {"name": lead})
            return redirect(lead)
    return render(request, "leads/lead_form.html", {"form": form, "lead": lead})


# --- quick entry ----------------------------------------------------------------------------
@login_required
@require_GET
def lead_licence_photo(request, pk):
    """The business licence photo kept with the lead, for whoever may see the lead."""
    lead = _lead_or_404(request.user, pk)
    return licence_photos.record_photo_response("lead", lead.pk)


@login_required
@require_http_methods(["GET", "POST"])
def quick_entry(request):
    user = request.user
    if user.is_read_only_role:
        raise PermissionDenied(_("Your role cannot register leads."))
    form = QuickEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        custom = data.pop("custom", None)
        channel = data.pop("channel", "")
        try:
            with transaction.atomic():
                if form.begin(user):  # sent twice: the first one registered it
                    messages.info(request, _("This form was already sent; the lead is saved."))
                    return redirect("leads:quick_entry")
                result = services.quick_entry(actor=user, data=data, custom=custom, channel=channel)
                form.finish(result.lead)
                if request.POST.get("licence_scan"):  # the photo the rep chose to keep
                    licence_services.scan_attach(
                        actor=user,
                        scan_id=request.POST["licence_scan"],
                        record_type="lead",
                        record_id=result.lead.pk,
                    )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            lead = result.lead
            visible = Lead.objects.visible_to(user).filter(pk=lead.pk).exists()
            if result.outcome == "attached":
                if visible:
                    messages.info(
                        request,
                        _("Already registered as lead %(lead)s — added as a new inquiry.")
                        % {"lead": lead},
                    )
                    return redirect(lead)
                owner = lead.owner.label if lead.owner else _("the unassigned pool")
                messages.warning(
                    request,
                    _(
                        "Already registered as a lead of %(owner)s — added as a new inquiry; "
                        "they have been told."
                    )
                    % {"owner": owner},
                )
                return redirect("leads:quick_entry")
            if visible:
                messages.success(request, _("Lead “%(lead)s” saved.") % {"lead": lead})
                return redirect(lead)
            owner = lead.owner.label if lead.owner else _("the unassigned pool")
            messages.success(
                request,
                _("Lead “%(lead)s” saved and routed to %(owner)s.")
                % {"lead": lead, "owner": owner},
            )
            return redirect("leads:quick_entry")
    return render(request, "leads/quick_entry.html", {"form": form})
