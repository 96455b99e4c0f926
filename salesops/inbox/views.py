"""Inbox pages: the list (filters, search, pagination, export), a message (body, match,
scenario and keyword, what it led to, the thread, reply and link-to-customer). Thin:
reads through ``selectors`` (visibility applied: a message one may not see is a 404),
writes through ``services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from salesops.core.exports import export_or_back
from salesops.core.forms import attach_service_errors
from salesops.core.pagination import TwoStepPaginator

from . import forms, selectors, services, tasks
from .filters import MATCH_CHOICES, SCOPE_CHOICES
from .models import MessageStatus, Scenario, SourceKind

FILTERS = ("q", "channel", "scenario", "status", "matched", "scope")
EXPORT_COLUMNS = [
    (gettext_lazy("Received at"), "received_at"),
    (gettext_lazy("Channel"), "channel"),
    (gettext_lazy("Sender"), "sender_address"),
    (gettext_lazy("Sender name"), "sender_name"),
    (gettext_lazy("Subject"), "subject"),
    (gettext_lazy("Body"), "body"),
    (gettext_lazy("Scenario"), "scenario"),
    (gettext_lazy("Matched keyword"), "scenario_keyword"),
    (gettext_lazy("Account"), "account"),
    (gettext_lazy("Contact"), "contact"),
    (gettext_lazy("Lead"), "lead"),
    (gettext_lazy("Assignee"), "assignee.label"),
    (gettext_lazy("Status"), "status"),
    (gettext_lazy("What happened"), "outcome_note"),
]


@login_required
@require_GET
def message_list(request):
    fs = selectors.message_filterset(user=request.user, data=request.GET, request=request)
    valid = fs.is_valid()
    queryset = fs.qs if valid else fs.queryset.none()
    paginator = TwoStepPaginator(queryset, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "filter_errors": fs.errors if not valid else {},
        "current": {name: request.GET.get(name, "") for name in FILTERS},
        "channels": SourceKind.choices,
        "scenarios": Scenario.choices,
        "statuses": MessageStatus.choices,
        "matches": MATCH_CHOICES,
        "scopes": SCOPE_CHOICES,
        "filtered": any(request.GET.get(name) for name in FILTERS),
    }
    return render(request, "inbox/message_list.html", context)


@login_required
@require_GET
def message_export(request, fmt: str):
    fs = selectors.message_filterset(user=request.user, data=request.GET, request=request)
    return export_or_back(request, fs, EXPORT_COLUMNS, fmt, "inbox", "inbox:message_list")


def _detail_context(request, message, reply_form=None, link_q=""):
    return {
        "message": message,
        "thread": selectors.message_thread(message),
        "reply_form": reply_form or forms.ReplyForm(),
        "link_q": link_q,
        "candidates": selectors.linkable_contacts(request.user, link_q) if link_q else [],
        "can_edit": not request.user.is_read_only_role,
    }


@login_required
@require_GET
def message_detail(request, pk: int):
    message = selectors.message_get(user=request.user, pk=pk)
    link_q = request.GET.get("link_q", "")[:100]
    return render(
        request, "inbox/message_detail.html", _detail_context(request, message, None, link_q)
    )


@login_required
@require_POST
def message_link(request, pk: int):
    message = selectors.message_get(user=request.user, pk=pk)
    contact = selectors.contact_for_link(request.user, request.POST.get("contact"))
    try:
        if contact is None:
            raise ValidationError({"contact": [_("Choose a contact you can see.")]})
        services.message_link(actor=request.user, message=message, contact=contact)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("Linked to %(contact)s (%(account)s).")
            % {"contact": contact, "account": contact.account},
        )
    return redirect("inbox:message_detail", pk=message.pk)


@login_required
@require_POST
def message_reply(request, pk: int):
    message = selectors.message_get(user=request.user, pk=pk)
    form = forms.ReplyForm(request.POST)
    if form.is_valid():
        try:
            reply = services.reply_record(
                actor=request.user, message=message, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            tasks.send_after_commit(reply)
            messages.success(
                request,
                _("Reply sent through %(channel)s.") % {"channel": message.get_channel_display()},
            )
            return redirect("inbox:message_detail", pk=message.pk)
    context = _detail_context(request, message, form)
    return render(request, "inbox/message_detail.html", context, status=422)


@login_required
@require_POST
def reply_resend(request, pk: int, reply_pk: int):
    """Send an undelivered reply of this message's thread again."""
    message = selectors.message_get(user=request.user, pk=pk)
    reply = message.replies.filter(pk=reply_pk).first()
    if reply is None:
        raise Http404(_("No such reply on this message."))
    try:
        with transaction.atomic():
            services.reply_resend(actor=request.user, reply=reply)
            tasks.send_after_commit(reply)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("Sending again through %(channel)s.") % {"channel": message.get_channel_display()},
        )
    return redirect("inbox:message_detail", pk=message.pk)


@login_required
@require_POST
def message_status(request, pk: int):
    message = selectors.message_get(user=request.user, pk=pk)
    try:
        services.message_mark(
            actor=request.user, message=message, status=request.POST.get("status", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(reverse("inbox:message_detail", args=[message.pk]))
