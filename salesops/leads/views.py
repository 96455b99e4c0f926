"""Pages of the leads app (SPEC L1–L8): the lead list, a lead's page with its timeline
and actions, quick entry, editing, channel and routing administration, and the monthly
dwell TOP10 report.

Thin views: reads go through ``Lead.objects.visible_to`` / ``selectors``, writes through
``services``. A lead outside the user's visibility is a 404, never a 403.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock
from salesops.core.exports import FORMATS, ExportTooLarge, export_filename, export_response
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.pagination import TwoStepPaginator
from salesops.customization import selectors as custom_selectors
from salesops.org import selectors as org_selectors

from . import selectors, services
from .forms import (
    ChannelForm,
    LeadForm,
    QuickEntryForm,
    ReassignForm,
    RoutingRuleForm,
    RoutingTestForm,
    StatusForm,
)
from .models import (
    Channel,
    Lead,
    LeadStatus,
    ReviewState,
    RoutingMember,
    RoutingRule,
    SlaState,
)

LIST_FILTERS = ("q", "status", "owner", "channel", "sla", "province", "city", "team", "review")
SORTS = {
    "created": ("created_at", "id"),
    "company": ("company", "id"),
    "status": ("status", "id"),
    "owner": ("owner__display_name", "owner__username", "id"),
    "sla": ("sla_due_at", "id"),
    "progress": ("progressed_at", "id"),
}
STATUS_COLORS = {
    LeadStatus.NEW: "blue",
    LeadStatus.CONTACTED: "azure",
    LeadStatus.QUALIFIED: "purple",
    LeadStatus.CONVERTED: "green",
    LeadStatus.INVALID: "secondary",
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
    (_label(Lead, "phone"), "phone_display"),
    (_label(Lead, "email"), "email"),
    (_label(Lead, "wechat"), "wechat"),
    (_label(Lead, "province"), "province"),
    (_label(Lead, "city"), "city"),
    (_label(Lead, "industry"), "industry"),
    (_label(Lead, "size_band"), "size_band"),
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


# --- helpers --------------------------------------------------------------------------------
def _lead_or_404(user, pk) -> Lead:
    lead = (
        Lead.objects.visible_to(user)
        .select_related("owner", "team", "channel", "account", "contact", "possible_duplicate_of")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404(_("No such lead, or you may not open it."))
    return lead


def _require_configure(user) -> None:
    if not services.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors can change this."))


def _sees_others(user) -> bool:
    return user.is_manager_role or user.sees_everything


def _is_partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _sla_left(minutes: int | None) -> str:
    if minutes is None or minutes < 0:
        return ""
    if minutes < 120:
        return ngettext("%(n)d min left", "%(n)d min left", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d h left", "%(n)d h left", hours) % {"n": hours}


def _decorate(leads, now=None) -> None:
    """Attach the SLA badge (and its countdown text) and status colour to each lead."""
    now = now or clock.now()
    for lead in leads:
        badge = selectors.sla_badge(lead, now)
        if badge and not lead.is_open and badge.state in (SlaState.RUNNING, SlaState.DUE_SOON):
            # Converted or invalid: the timers stopped; no countdown to show.
            badge = None
        lead.sla = badge
        lead.sla_left = _sla_left(badge.minutes_left) if badge else ""
        lead.status_color = STATUS_COLORS.get(lead.status, "secondary")


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
    paginator = TwoStepPaginator(qs, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    _decorate(page.object_list)
    visible = Lead.objects.visible_to(user)
    owners = []
    if _sees_others(user):
        owners = [("me", _("Me")), ("none", _("Nobody (pool)"))] + [
            (u.pk, u.label)
            for u in org_selectors.visible_users(user).order_by("display_name", "username")
        ]
    provinces = (
        visible.exclude(province="")
        .order_by("province")
        .values_list("province", flat=True)
        .distinct()[:100]
    )
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
    from salesops.customers.models import Account

    if lead.account_id is None:
        return False
    return Account.objects.visible_to(user).filter(pk=lead.account_id).exists()


def _conversion_review(user, lead: Lead, editable: bool) -> dict:
    """A lead whose conversion matched a customer the converter may not change: the
    manager who may see it gets the customer and the ways to settle it (convert into it,
    hand the lead over); anyone else only hears that it waits for their manager."""
    if not (editable and selectors.is_conversion_review(lead)):
        return {"conversion_review": False}
    from salesops.customers.models import Account

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
    from salesops.customers.models import Account

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
@require_http_methods(["GET", "POST"])
def quick_entry(request):
    user = request.user
    if user.is_read_only_role:
        raise PermissionDenied(_("Your role cannot register leads."))
    form = QuickEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        custom = data.pop("custom", None)
        try:
            with transaction.atomic():
                if form.begin(user):  # sent twice: the first one registered it
                    messages.info(request, _("This form was already sent; the lead is saved."))
                    return redirect("leads:quick_entry")
                result = services.quick_entry(actor=user, data=data, custom=custom)
                form.finish(result.lead)
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


# --- channels -------------------------------------------------------------------------------
def _site() -> str:
    return str(settings.SALESOPS.get("SITE_URL", "")).rstrip("/")


def _intake_url(channel: Channel) -> str:
    return _site() + reverse("leads:intake", args=[channel.token])


def _embed_snippet(channel: Channel) -> str:
    url = _intake_url(channel)
    rows = [
        ("contact_name", _("Your name"), "text", True),
        ("phone", _("Mobile phone"), "tel", True),
        ("company", _("Company"), "text", True),
        ("email", _("Email"), "email", False),
        ("province", _("Province"), "text", False),
        ("city", _("City"), "text", False),
    ]
    lines = [f'<form method="post" action="{url}" accept-charset="utf-8">']
    for name, label, kind, required in rows:
        req = " required" if required else ""
        lines.append(f'  <label>{label} <input type="{kind}" name="{name}"{req}></label>')
    lines.append(
        f'  <label>{_("What do you need?")} <textarea name="need" required></textarea></label>'
    )
    lines.append(
        '  <input type="text" name="website_url" value="" tabindex="-1" autocomplete="off"'
        ' style="display:none" aria-hidden="true">'
    )
    lines.append(f'  <button type="submit">{_("Send")}</button>')
    lines.append("</form>")
    return "\n".join(lines)


def _curl_example(channel: Channel) -> str:
    body = {
        "contact_name": "张伟",
        "phone": "138 0013 8000",
        "company": "杭州云帆智能科技有限公司",
        "need": "想了解产线数字化方案",
        "email": "zhang@example.com",
        "campaign": channel.campaign or "2026-expo",
    }
    payload = json.dumps(body, ensure_ascii=False, indent=2)
    return (
        f"curl -X POST '{_intake_url(channel)}' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        "  -H 'Idempotency-Key: 7f3c9e2a-4b1d-4c8e-9a6f-1d2e3f4a5b6c' \\\n"
        f"  -d '{payload}'"
    )


@login_required
@require_GET
def channel_list(request):
    _require_configure(request.user)
    channels = Channel.objects.select_related("team").order_by("name", "id")
    return render(request, "leads/channel_list.html", {"channels": channels})


@login_required
@require_GET
def channel_detail(request, pk):
    _require_configure(request.user)
    channel = get_object_or_404(Channel.objects.select_related("team"), pk=pk)
    context = {
        "channel": channel,
        "intake_url": _intake_url(channel),
        "snippet": _embed_snippet(channel),
        "curl": _curl_example(channel),
        "lead_count": channel.leads.count(),
    }
    return render(request, "leads/channel_detail.html", context)


def _channel_form_page(request, channel: Channel | None):
    _require_configure(request.user)
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            with transaction.atomic():
                earlier = form.begin(request.user)
                if earlier:
                    return redirect(earlier)
                if channel is None:
                    saved = services.channel_create(actor=request.user, **data)
                    message = _("Channel “%(name)s” created.")
                else:
                    saved = services.channel_update(actor=request.user, channel=channel, **data)
                    message = _("Channel “%(name)s” saved.")
                form.finish(saved)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, message % {"name": saved})
            return redirect(saved)
    return render(request, "leads/channel_form.html", {"form": form, "channel": channel})


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request):
    return _channel_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request, pk):
    _require_configure(request.user)
    channel = get_object_or_404(Channel, pk=pk)
    return _channel_form_page(request, channel)


@login_required
@require_POST
def channel_token(request, pk):
    _require_configure(request.user)
    channel = get_object_or_404(Channel, pk=pk)
    services.channel_new_token(actor=request.user, channel=channel)
    messages.success(
        request, _("New token issued. The old one stopped working; update every form and client.")
    )
    return redirect(channel)


# --- routing rules --------------------------------------------------------------------------
def _routing_list_context(request) -> dict:
    rules = list(
        RoutingRule.objects.select_related("team")
        .prefetch_related("members__user")
        .order_by("priority", "id")
    )
    return {"rules": rules, "test_form": RoutingTestForm(), "result": None}


@login_required
@require_GET
def routing_list(request):
    _require_configure(request.user)
    return render(request, "leads/routing_list.html", _routing_list_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def routing_test(request):
    _require_configure(request.user)
    data = request.POST if request.method == "POST" else request.GET
    form = RoutingTestForm(data)
    result = None
    if form.is_valid():
        try:
            decision, snapshot, sample = services.routing_test(form.sample())
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            result = {
                "decision": decision,
                "rule": decision.rule,
                "candidates": [snapshot.names.get(u, str(u)) for u in decision.candidates],
                "sample": sample,
            }
    context = {"test_form": form, "result": result, "tested": True}
    if _is_partial(request):
        return render(request, "leads/_routing_test_result.html", context)
    full = _routing_list_context(request)
    full.update(context)
    return render(request, "leads/routing_list.html", full)


def _posted_members(request) -> list[dict]:
    users = request.POST.getlist("member_user")
    weights = request.POST.getlist("member_weight")
    members = []
    for i, user_id in enumerate(users):
        if not str(user_id).strip():
            continue
        weight = weights[i] if i < len(weights) and str(weights[i]).strip() else 1
        members.append({"user_id": user_id, "weight": weight})
    return members


def _member_rows(rule: RoutingRule | None, posted: list[dict] | None) -> list[dict]:
    if posted is not None:
        rows = [{"user_id": str(m["user_id"]), "weight": m["weight"]} for m in posted]
    elif rule is not None and rule.pk:
        rows = [
            {"user_id": str(m.user_id), "weight": m.weight}
            for m in RoutingMember.objects.filter(rule=rule)
        ]
    else:
        rows = []
    return rows + [{"user_id": "", "weight": 1} for _i in range(max(2, 4 - len(rows)))]


def _rule_form_page(request, rule: RoutingRule | None):
    _require_configure(request.user)
    form = RoutingRuleForm(request.POST or None, instance=rule)
    posted = _posted_members(request) if request.method == "POST" else None
    members_error = []
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            with transaction.atomic():
                earlier = form.begin(request.user)
                if earlier:
                    return redirect("leads:routing_list")
                if rule is None:
                    saved = services.routing_rule_create(actor=request.user, members=posted, **data)
                    message = _("Routing rule “%(name)s” created.")
                else:
                    saved = services.routing_rule_update(
                        actor=request.user, rule=rule, members=posted, **data
                    )
                    message = _("Routing rule “%(name)s” saved.")
                form.finish(saved)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            members_error = errors.pop("members", [])
            if errors or not hasattr(exc, "error_dict"):
                attach_service_errors(form, ValidationError(errors) if errors else exc)
        else:
            messages.success(request, message % {"name": saved})
            return redirect("leads:routing_list")
    from salesops.core import entities

    context = {
        "form": form,
        "rule": rule,
        "members": _member_rows(rule, posted),
        "members_error": members_error,
        "users": [
            (str(u.pk), u.label)
            for u in org_selectors.sales_users().order_by("display_name", "username")
        ],
        "variables": sorted(entities.get("lead").variable_names()),
    }
    return render(request, "leads/routing_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def routing_create(request):
    return _rule_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def routing_edit(request, pk):
    _require_configure(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    return _rule_form_page(request, rule)


@login_required
@require_POST
def routing_delete(request, pk):
    _require_configure(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    name = str(rule)
    try:
        services.routing_rule_delete(actor=request.user, rule=rule)
    except ProtectedError:
        messages.error(
            request, _("“%(name)s” is still in use and cannot be deleted.") % {"name": name}
        )
    else:
        messages.success(request, _("Routing rule “%(name)s” deleted.") % {"name": name})
    return redirect("leads:routing_list")


# --- dwell report ---------------------------------------------------------------------------
def _dwell(request):
    month = (request.GET.get("month") or "").strip() or None
    error = ""
    try:
        first, _start, _end = selectors.month_bounds(month)
    except ValueError as exc:
        error = str(exc)
        month = None
        first, _start, _end = selectors.month_bounds(None)
    overall, by_team, by_owner = selectors.dwell_rows(request.user, first.strftime("%Y-%m"))
    _decorate([r.lead for r in overall])
    teams = sorted(by_team.items(), key=lambda kv: (kv[0] is None, getattr(kv[0], "path", "")))
    owners = sorted(by_owner.items(), key=lambda kv: (kv[0] is None, getattr(kv[0], "label", "")))
    return first, error, overall, teams, owners


def _dwell_xlsx(first: dt.date, overall, teams, owners):
    import xlsxwriter

    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    workbook = xlsxwriter.Workbook(handle, {"in_memory": False})
    sheet = workbook.add_worksheet(_("Dwell TOP10")[:31])
    bold = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    headers = [
        _("Group type"),
        _("Group"),
        _("Rank"),
        _("Lead ID"),
        _("Company"),
        _("Contact"),
        _("Owner"),
        _("Team"),
        _("Status"),
        _("Last progress"),
        _("Days without progress"),
    ]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, 14 if col not in (4, 1) else 28)
    sheet.freeze_panes(1, 0)
    tz = timezone.get_current_timezone()
    groups = [(_("Overall"), _("All"), overall)]
    groups += [(_("Team"), t.name if t else _("No team"), rows) for t, rows in teams]
    groups += [(_("Owner"), o.label if o else _("Pool"), rows) for o, rows in owners]
    row_no = 1
    for kind, name, rows in groups:
        for rank, row in enumerate(rows, start=1):
            lead = row.lead
            sheet.write_string(row_no, 0, str(kind))
            sheet.write_string(row_no, 1, str(name))
            sheet.write_number(row_no, 2, rank)
            sheet.write_number(row_no, 3, lead.pk)
            sheet.write_string(row_no, 4, lead.company)
            sheet.write_string(row_no, 5, lead.contact_name)
            sheet.write_string(row_no, 6, lead.owner.label if lead.owner else "")
            sheet.write_string(row_no, 7, lead.team.name if lead.team else "")
            sheet.write_string(row_no, 8, str(lead.get_status_display()))
            progressed = lead.progressed_at.astimezone(tz).replace(tzinfo=None, microsecond=0)
            sheet.write_datetime(row_no, 9, progressed, stamp)
            sheet.write_number(row_no, 10, row.days)
            row_no += 1
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(f"lead-dwell-{first:%Y-%m}", "xlsx"),
        content_type=FORMATS["xlsx"],
    )


@login_required
@require_GET
def dwell_report(request):
    first, error, overall, teams, owners = _dwell(request)
    if request.GET.get("format") == "xlsx":
        return _dwell_xlsx(first, overall, teams, owners)
    context = {
        "month": first.strftime("%Y-%m"),
        "month_error": error,
        "overall": overall,
        "teams": teams,
        "owners": owners,
        "own_only": not _sees_others(request.user),
    }
    return render(request, "leads/dwell_report.html", context)
