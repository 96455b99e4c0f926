"""Notification pages: the inbox, its unread badge, my preferences, and the admins'
channel and delivery pages. Thin: selectors read, services write.

A user only ever reaches their own notifications: another user's is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.pagination import TwoStepPaginator

from . import selectors, sending, services
from .errors import DeliveryError
from .forms import ChannelForm, DeliveryPolicyForm
from .models import BOT_KINDS, DeliveryKind, DeliveryStatus, NotificationPreference

# htmx stops polling when the answer is HTTP 286 (the session has ended).
STOP_POLLING = 286


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist:
        raise Http404(_("No such record, or you may not open it.")) from None


def _page(request, queryset):
    paginator = TwoStepPaginator(queryset, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- inbox -------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("show") == "unread"
    page = _page(request, selectors.inbox(user=request.user, unread_only=unread_only))
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "unread_only": unread_only,
        "unread": selectors.unread_count(user=request.user),
    }
    return render(request, "notifications/inbox.html", context)


def badge(request):
    """The unread count for the bell in the top bar, polled by htmx every 30 s."""
    if not request.user.is_authenticated:
        return HttpResponse("", status=STOP_POLLING)
    count = selectors.unread_count(user=request.user)
    return render(request, "notifications/_badge.html", {"count": count})


@login_required
@require_POST
def mark_read(request, pk):
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such notification.")) from None
    if request.htmx:
        response = render(request, "notifications/_row.html", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(_safe_next(request, reverse("notifications:inbox")))


@login_required
@require_GET
def open_notification(request, pk):
    """Follow a notification's link, marking it read on the way."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such notification.")) from None
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    count = services.notification_mark_all_read(user=request.user)
    messages.success(request, _("%(n)d notification(s) marked read.") % {"n": count})
    return redirect(_safe_next(request, reverse("notifications:inbox")))


# --- my preferences -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Per kind: follow the default or choose email and bots. The form posts one row per
    kind: ``custom-<kind>``, ``email-<kind>``, ``channel-<kind>`` (repeated)."""
    user = request.user
    rows = selectors.preference_rows(user=user)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        for row in rows:
            kind = row["kind"]
            custom = kind == NotificationPreference.ALL_KINDS or bool(
                request.POST.get(f"custom-{kind}")
            )
            if not custom:
                if row["custom"]:
                    services.preference_clear(user=user, kind=kind)
                continue
            ids = [int(v) for v in request.POST.getlist(f"channel-{kind}") if v.isdigit()]
            try:
                services.preference_set(
                    user=user,
                    kind=kind,
                    email=bool(request.POST.get(f"email-{kind}")),
                    channel_ids=ids,
                )
            except ValidationError as exc:
                errors[kind] = [m for msgs in exc.message_dict.values() for m in msgs]
        if not errors:
            messages.success(request, _("Notification preferences saved."))
            return redirect("notifications:preferences")
        rows = selectors.preference_rows(user=user)
    for row in rows:
        row["errors"] = errors.get(row["kind"], [])
    context = {
        "rows": rows,
        "channels": list(selectors.active_channels()),
        "has_email": bool(user.email),
    }
    return render(request, "notifications/preferences.html", context)


# --- channels (sales-ops admins) --------------------------------------------------------------


@login_required
@require_GET
def channel_list(request):
    context = {
        "channels": selectors.channel_list(user=request.user),
        "tab": "channels",
    }
    return render(request, "notifications/channel_list.html", context)


def _attach_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def channel_form(request, pk=None):
    channel = None
    if pk is not None:
        channel = _get_or_404(selectors.channel_get, user=request.user, pk=pk)
    else:
        selectors.require_admin(request.user)
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        try:
            if channel is None:
                saved = services.channel_create(actor=request.user, **form.service_data())
            else:
                saved = services.channel_update(
                    actor=request.user, channel=channel, **form.service_data()
                )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Channel “%(name)s” saved.") % {"name": saved.name})
            return redirect("notifications:channel_list")
    return render(
        request,
        "notifications/channel_form.html",
        {"form": form, "channel": channel, "bot_kinds": [k.value for k in BOT_KINDS]},
    )


@login_required
@require_POST
def channel_delete(request, pk):
    channel = _get_or_404(selectors.channel_get, user=request.user, pk=pk)
    name = channel.name
    services.channel_delete(actor=request.user, channel=channel)
    messages.success(request, _("Channel “%(name)s” deleted.") % {"name": name})
    return redirect("notifications:channel_list")


@login_required
@require_POST
def channel_test(request, pk):
    channel = _get_or_404(selectors.channel_get, user=request.user, pk=pk)
    try:
        services.channel_test(actor=request.user, channel=channel)
    except DeliveryError as exc:
        messages.error(
            request,
            _("The test message to “%(name)s” failed: %(reason)s")
            % {"name": channel.name, "reason": exc},
        )
    else:
        messages.success(request, _("Test message sent to “%(name)s”.") % {"name": channel.name})
    return redirect("notifications:channel_list")


# --- deliveries (sales-ops admins) ------------------------------------------------------------

STATUS_FILTERS = [
    *DeliveryStatus.choices,
    ("gave_up", _("Gave up")),
]


@login_required
@require_GET
def delivery_list(request):
    """The one page of deliveries: notification copies (email, bots) and webhooks."""
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    q = request.GET.get("q", "").strip()[:100]
    if status not in dict(STATUS_FILTERS):
        status = ""
    if channel not in DeliveryKind.values:
        channel = ""
    page = _page(
        request,
        selectors.delivery_list(user=request.user, status=status, channel=channel, q=q),
    )
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "status": status,
        "channel": channel,
        "q": q,
        "filtered": bool(status or channel or q),
        "statuses": STATUS_FILTERS,
        "channel_kinds": DeliveryKind.choices,
        "tab": "deliveries",
    }
    return render(request, "notifications/delivery_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delivery_policy(request):
    """Settings · how often a delivery is tried (sales-ops admins)."""
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only sales-ops admins may change the delivery policy."))
    current = sending.policy()
    form = DeliveryPolicyForm(request.POST or None, policy=current)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.begin(request.user)
                services.delivery_policy_update(actor=request.user, **form.service_data())
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Delivery policy saved."))
            return redirect("notifications:delivery_policy")
    entries = history_entries(current) if current.pk else []
    context = {"form": form, "entries": entries, "tab": "policy"}
    return render(request, "notifications/delivery_policy.html", context)


@login_required
@require_POST
def delivery_retry(request, pk):
    delivery = _get_or_404(selectors.delivery_get, user=request.user, pk=pk)
    try:
        services.delivery_retry(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued for another try."))
    return redirect(_safe_next(request, reverse("notifications:delivery_list")))
