"""Intake channel administration: list, detail (intake URL, embed snippet, curl
example), create/edit and new token."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.forms import attach_service_errors

from .. import services
from ..forms import (
    ChannelForm,
)
from ..models import (
    Channel,
)
from .common import (
    _require_configure,
)


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
