"""The callback URLs WeCom and DingTalk call. No login, no CSRF: the signature is the
authentication. A refused callback is a 403 with a short reason, logged, nothing written."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import receiving
from .crypto import CallbackRefused
from .models import InboxSource

log = logging.getLogger(__name__)


def _refused(source_id: int, kind: str, reason: str) -> HttpResponse:
    log.warning("inbox: %s callback for source %s refused: %s", kind, source_id, reason)
    return HttpResponse(reason, status=403, content_type="text/plain; charset=utf-8")


def _bad(source_id: int, kind: str, exc: Exception) -> HttpResponse:
    reason = "; ".join(getattr(exc, "messages", [str(exc)]))
    log.warning("inbox: %s callback for source %s not stored: %s", kind, source_id, reason)
    return HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wecom(request, source_id: int):
    source = InboxSource.objects.filter(pk=source_id).first()
    try:
        if request.method == "GET":
            plain = receiving.wecom_verify(source, request.GET)
            return HttpResponse(plain, content_type="text/plain; charset=utf-8")
        receiving.wecom_receive(source, request.GET, request.body)
    except CallbackRefused as exc:
        return _refused(source_id, "wecom", exc.reason)
    except (ValidationError, PermissionDenied) as exc:
        return _bad(source_id, "wecom", exc)
    return HttpResponse("success", content_type="text/plain")


@csrf_exempt
@require_POST
def dingtalk(request, source_id: int):
    source = InboxSource.objects.filter(pk=source_id).first()
    try:
        receiving.dingtalk_receive(source, request.headers, request.body)
    except CallbackRefused as exc:
        return _refused(source_id, "dingtalk", exc.reason)
    except (ValidationError, PermissionDenied) as exc:
        return _bad(source_id, "dingtalk", exc)
    return JsonResponse({"msgtype": "empty"})
