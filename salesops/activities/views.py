"""Pages of the activities app: the 30-second check-in (one phone screen), "My
activities" with filters and export, and the result-tag settings for admins.

A lead, account or activity the user may not see is a 404, like every other record.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import orgsettings
from salesops.core.exports import ExportTooLarge, export_response
from salesops.core.forms import attach_service_errors
from salesops.core.pagination import TwoStepPaginator, capped_count
from salesops.customers.models import Account, Contact
from salesops.customization import selectors as custom_selectors
from salesops.leads.models import Lead
from salesops.org import selectors as org_selectors
from salesops.pipeline.models import Deal, DealStatus

from . import selectors, services
from .forms import CheckInForm, ResultTagForm
from .models import Activity, ActivityKind, ResultTag, effective_seconds

LIST_FILTERS = (
    "q",
    "kind",
    "tag",
    "effective",
    "finished",
    "date_from",
    "date_to",
    "owner",
    "deal",
)
# The newest activities first: page 1 is read from the last 2 days when they hold it,
# else the last 14, 90, then all (core.pagination.TwoStepPaginator(recent=)).
RECENT_DAYS = (2, 14, 90)
DEAL_CHOICES = 50  # the picker offers the account's latest deals, open ones first
KIND_ICONS = {
    "call": "ti-phone",
    "visit": "ti-walk",
    "wechat": "ti-brand-wechat",
    "email": "ti-mail",
    "meeting": "ti-users",
}
EXPORT_COLUMNS = [
    (gettext_lazy("Started"), "started_at"),
    (gettext_lazy("Type"), "kind"),
    (gettext_lazy("Owner"), "owner.label"),
    (gettext_lazy("Lead"), lambda a: str(a.lead) if a.lead_id else ""),
    (gettext_lazy("Account"), lambda a: str(a.account) if a.account_id else ""),
    (gettext_lazy("Contact"), lambda a: str(a.contact) if a.contact_id else ""),
    (gettext_lazy("Deal"), lambda a: str(a.deal) if a.deal_id else ""),
    (gettext_lazy("Result"), lambda a: a.tag.label if a.tag_id else ""),
    (gettext_lazy("Duration (seconds)"), "duration_seconds"),
    (gettext_lazy("Duration source"), lambda a: a.get_duration_source_display()),
    (gettext_lazy("Effective touch"), "effective"),
    (gettext_lazy("Note"), "note"),
]


def _export_columns():
    return EXPORT_COLUMNS + custom_selectors.export_columns("activity")


def _language(request) -> str:
    return translation.get_language() or getattr(request.user, "language", "") or "zh-hans"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _record_url(record) -> str | None:
    try:
        return record.get_absolute_url()
    except (NoReverseMatch, AttributeError):
        return None  # the record's pages are not there (yet): the caller falls back


def _pk(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _target(request):
    """``?lead=`` / ``?account=`` / ``?contact=`` / ``?deal=`` → the visible records (404
    otherwise). A deal alone stands for its account, with the deal picked."""
    user = request.user
    names = ("lead", "account", "contact", "deal")
    ids = {name: _pk(request.GET.get(name)) for name in names}
    for name in ids:
        if request.GET.get(name) and ids[name] is None:
            raise Http404(_("No such record, or you may not open it."))
    if not any(ids.values()):
        raise Http404(_("Open the check-in from a lead, an account or a contact."))
    target = {}
    for name, model in (("lead", Lead), ("account", Account), ("contact", Contact), ("deal", Deal)):
        if ids[name] is not None:
            target[name] = get_object_or_404(model.objects.visible_to(user), pk=ids[name])
    if "contact" in target and "account" not in target:
        target["account"] = target["contact"].account
    if "deal" in target and "account" not in target:
        if "lead" in target and target["lead"].account_id not in (None, target["deal"].account_id):
            raise Http404(_("No such record, or you may not open it."))
        target["account"] = target["deal"].account
    return target


def _account_deals(user, account_id) -> list:
    """The deals the picker offers: the account's deals ``user`` may see, open first."""
    if account_id is None:
        return []
    return list(
        Deal.objects.visible_to(user)
        .filter(account_id=account_id)
        .select_related("stage")
        .order_by(
            Case(When(status=DealStatus.OPEN, then=0), default=1), "-stage_entered_at", "-id"
        )[:DEAL_CHOICES]
    )


def _attach_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):  # a stale form, a message about the whole record
        attach_service_errors(form, exc)
        return
    aliases = {"duration_seconds": "seconds", "ended_at": "seconds", "started_at": "seconds"}
    for field, errors in exc.message_dict.items():
        field = aliases.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request):
    """Log a finished call, visit, WeChat chat, email or meeting in one screen."""
    target = _target(request)
    kind = request.GET.get("kind")
    initial = {"kind": kind if kind in ActivityKind.values else ActivityKind.CALL}
    account = target.get("account") or getattr(target.get("lead"), "account", None)
    deals = _account_deals(request.user, account.pk if account else None)
    if "deal" in target:
        initial["deal"] = target.pop("deal").pk
        if initial["deal"] not in {d.pk for d in deals}:  # an older one: offer it too
            deals.append(Deal.objects.select_related("stage").get(pk=initial["deal"]))
    form = CheckInForm(
        request.POST or None, initial=initial, language=_language(request), deals=deals
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if form.begin(request.user):  # sent twice: the first one saved it
                    messages.info(request, _("This form was already sent; the check-in is saved."))
                    return redirect(_next(request) or reverse("activities:activity_list"))
                activity = services.activity_log(
                    actor=request.user,
                    kind=data["kind"],
                    duration_seconds=form.duration_seconds(),
                    duration_source=data["duration_source"] or None,
                    finish=True,
                    custom=form.service_data()["custom"],
                    tag=data["tag"],
                    note=data["note"],
                    deal=form.chosen_deal(),
                    **target,
                )
        except ValidationError as exc:
            if not data["tag"] and "tag" in exc.message_dict:
                # The service says the record cannot be finished without a tag; on this
                # screen the rep needs to hear what to do about it.
                exc = ValidationError({**exc.message_dict, "tag": [form.missing_tag_message]})
            _attach_errors(form, exc)
        else:
            text = _("Check-in saved: %(result)s.") % {"result": activity.tag.label}
            if activity.effective:
                text += " " + _("Counted as an effective touch.")
            messages.success(request, text)
            record = target.get("lead") or target.get("account") or target.get("contact")
            return redirect(
                _next(request) or _record_url(record) or reverse("activities:activity_list")
            )
    record = target.get("lead") or target.get("account") or target.get("contact")
    context = {
        "form": form,
        "target": target,
        "record": record,
        "record_url": _record_url(record),
        "kinds": [(v, label, KIND_ICONS.get(v, "ti-point")) for v, label in ActivityKind.choices],
        "selected_kind": form["kind"].value() or ActivityKind.CALL,
        "selected_tag": form["tag"].value() or "",
        "note_max": orgsettings.current().checkin_note_max,
        "effective_seconds": effective_seconds(),
        "custom_fields": form.custom_bound_fields,
        "deal_field": form["deal"] if "deal" in form.fields else None,
        "next": _next(request),
    }
    return render(request, "activities/check_in.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_detail(request, pk):
    """One activity: what happened, its custom fields, and — while it has no result and
    the user may finish it — the check-in form that finishes it (SPEC A2)."""
    try:
        activity = selectors.activity_get(user=request.user, pk=pk)
    except Activity.DoesNotExist:
        raise Http404(_("No such record, or you may not open it.")) from None
    can_finish = (
        not activity.is_finished
        and not request.user.is_read_only_role
        and Activity.objects.editable_by(request.user).filter(pk=pk).exists()
    )
    form = None
    if can_finish:
        account_id = activity.account_id or getattr(activity.lead, "account_id", None)
        form = CheckInForm(
            request.POST or None,
            initial={"deal": activity.deal_id},
            language=_language(request),
            activity=activity,
            deals=_account_deals(request.user, account_id),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    form.begin(request.user)
                    services.check_in(
                        actor=request.user,
                        activity=activity,
                        tag=data["tag"] or None,
                        note=data["note"],
                        duration_seconds=form.duration_seconds(),
                        duration_source=data["duration_source"] or None,
                        custom=form.service_data()["custom"],
                        deal=form.chosen_deal(),
                    )
            except ValidationError as exc:
                if not data["tag"] and "tag" in getattr(exc, "message_dict", {}):
                    exc = ValidationError({**exc.message_dict, "tag": [form.missing_tag_message]})
                _attach_errors(form, exc)
            else:
                messages.success(request, _("Check-in finished."))
                return redirect(_next(request) or activity.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied(_("This activity is finished, or you may not finish it."))
    record = activity.lead or activity.account or activity.contact
    context = {
        "activity": activity,
        "form": form,
        "record": record,
        "record_url": _record_url(record) if record else None,
        "custom_rows": custom_selectors.display_rows("activity", activity),
        "custom_fields": form.custom_bound_fields if form else [],
        "deal_field": form["deal"] if form and "deal" in form.fields else None,
        "selected_tag": form["tag"].value() or "" if form else "",
        "note_max": orgsettings.current().checkin_note_max,
        "effective_seconds": effective_seconds(),
        "next": _next(request),
    }
    return render(request, "activities/activity_detail.html", context)


def _sees_team(user) -> bool:
    return user.is_manager_role or user.sees_everything


def _filter_data(request) -> dict:
    return {
        k: v for k, v in request.GET.items() if (k in LIST_FILTERS or k.startswith("cf_")) and v
    }


@login_required
@require_GET
def activity_list(request):
    """My (or, for managers, my team's) activities, latest first."""
    user = request.user
    fs = selectors.activity_filterset(user=user, data=_filter_data(request))
    valid = fs.is_valid()
    queryset = fs.qs if valid else fs.queryset.none()
    cap = settings.SALESOPS["LIST_COUNT_CAP"]
    paginator = TwoStepPaginator(
        queryset, settings.SALESOPS["PAGE_SIZE"], cap=cap, recent=("started_at", RECENT_DAYS)
    )
    effective = capped_count(queryset.filter(effective=True), cap)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    language = _language(request)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "filter_errors": fs.errors if not valid else {},
        "current": {name: request.GET.get(name, "") for name in LIST_FILTERS},
        "deal_filter": Deal.objects.visible_to(user).filter(pk=_pk(request.GET.get("deal"))).first()
        if _pk(request.GET.get("deal"))
        else None,
        "filtered": any(request.GET.get(name) for name in LIST_FILTERS),
        "effective_count": min(effective, cap),
        "effective_capped": effective > cap,
        "kinds": ActivityKind.choices,
        "tags": [(t.code, selectors.tag_label(t, language)) for t in selectors.all_tags()],
        "effective_choices": [("true", _("Effective")), ("false", _("Not effective"))],
        "owners": [
            (u.pk, u.label)
            for u in org_selectors.visible_users(user).order_by("display_name", "username")
        ]
        if _sees_team(user)
        else [],
        "show_owner": _sees_team(user),
        "kind_icons": KIND_ICONS,
        "unfinished_count": selectors.unfinished_checkins(user).count(),
        "finished_choices": [("false", _("Unfinished")), ("true", _("Finished"))],
    }
    return render(request, "activities/activity_list.html", context)


@login_required
@require_GET
def activity_export(request, fmt):
    fs = selectors.activity_filterset(user=request.user, data=_filter_data(request))
    back = reverse("activities:activity_list") + (
        f"?{request.GET.urlencode()}" if request.GET else ""
    )
    if not fs.is_valid():
        messages.error(request, _("The filters are not valid; fix them and export again."))
        return redirect(back)
    try:
        return export_response(fs.qs, _export_columns(), fmt, "activities")
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)


# --- result tags (admins) -------------------------------------------------------------------
def _require_tag_admin(request) -> None:
    if not services.can_manage_tags(request.user):
        raise PermissionDenied(_("Only sales-ops admins may change the result tags."))


@login_required
@require_GET
def tag_list(request):
    _require_tag_admin(request)
    tags = selectors.all_tags().annotate(uses=Count("activities"))
    return render(request, "activities/tag_list.html", {"tags": tags})


@login_required
@require_http_methods(["GET", "POST"])
def tag_create(request):
    _require_tag_admin(request)
    form = ResultTagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if form.begin(request.user):
                    return redirect("activities:tag_list")
                tag = services.result_tag_create(actor=request.user, **form.service_data())
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Result “%(label)s” added.") % {"label": tag.label})
            return redirect("activities:tag_list")
    return render(request, "activities/tag_form.html", {"form": form, "tag": None})


@login_required
@require_http_methods(["GET", "POST"])
def tag_edit(request, pk):
    _require_tag_admin(request)
    tag = get_object_or_404(ResultTag, pk=pk)
    form = ResultTagForm(request.POST or None, instance=tag)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if data.get("order") is None:
            data.pop("order", None)
        try:
            with transaction.atomic():
                form.begin(request.user)
                services.result_tag_update(actor=request.user, tag=tag, **data)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Result “%(label)s” saved.") % {"label": tag.label})
            return redirect("activities:tag_list")
    return render(request, "activities/tag_form.html", {"form": form, "tag": tag})


@login_required
@require_POST
def tag_deactivate(request, pk):
    _require_tag_admin(request)
    tag = get_object_or_404(ResultTag, pk=pk)
    try:
        services.result_tag_deactivate(actor=request.user, tag=tag)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Result “%(label)s” is no longer offered at check-in.") % {"label": tag.label},
        )
    return redirect("activities:tag_list")


@login_required
@require_POST
def tag_activate(request, pk):
    _require_tag_admin(request)
    tag = get_object_or_404(ResultTag, pk=pk)
    services.result_tag_update(actor=request.user, tag=tag, is_active=True)
    messages.success(request, _("Result “%(label)s” is offered again.") % {"label": tag.label})
    return redirect("activities:tag_list")


@login_required
@require_POST
def tag_move(request, pk, direction):
    """Move a result one place up or down in the check-in choices."""
    _require_tag_admin(request)
    codes = list(selectors.all_tags().filter(is_active=True).values_list("code", flat=True))
    tag = get_object_or_404(ResultTag, pk=pk, is_active=True)
    i = codes.index(tag.code)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(codes):
        codes[i], codes[j] = codes[j], codes[i]
        services.result_tag_reorder(actor=request.user, codes=codes)
    return redirect("activities:tag_list")
