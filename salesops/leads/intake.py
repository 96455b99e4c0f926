"""The public intake endpoint of each channel (SPEC L1): ``POST /leads/intake/<token>/``.

Website forms post ``application/x-www-form-urlencoded`` (or multipart); social-media and
ad-platform webhooks post JSON. No login: the channel's token is the credential, so an
unknown or revoked token answers a bare 404 that tells nothing about why.

* Body over ``INTAKE_MAX_BYTES`` → 413 (checked from Content-Length before reading).
* More than the channel's ``rate_limit`` requests a minute from one client address → 429
  with ``Retry-After``. Counted in the cache: per process with the local-memory cache,
  shared by every process when ``REDIS_URL`` configures Redis.
* Malformed JSON → 400; bad or missing fields → 422 listing each field (the API's error
  shape); nothing is stored.
* A filled honeypot field (``website_url``, hidden by CSS on the embeddable form) gets
  the normal success answer but stores nothing, so form-spam bots learn nothing.
* ``Idempotency-Key`` (IETF idempotency-key draft): the same key on the same channel with
  the same body (normalised: key order and whitespace do not matter) gets the first
  request's answer again, status and body, with ``Idempotent-Replayed: true``; with a
  different body → 422 ``idempotency_key_reused`` and nothing is stored.
* Success: 201 with the new lead's id (201 also for an HTML thank-you page), or 200 with
  ``outcome: "attached"`` when the inquiry joined an existing lead.
"""

from __future__ import annotations

import hashlib
import json
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from salesops.core.configcache import ConfigCache

from . import services
from .models import Channel

HONEYPOT = "website_url"
# Active channels by token. Revoking a token or switching a channel off saves the channel,
# which invalidates this cache (see LeadsConfig.ready), so a revoked token stops working
# at once in this process and, with Redis as the cache, in every process.
channels_cache = ConfigCache("intake-channels")


def active_channel(token: str) -> Channel | None:
    return channels_cache.get(
        token, lambda: Channel.objects.filter(token=token, is_active=True).first()
    )


def _error(status: int, code: str, message: str, field=None, **extra) -> JsonResponse:
    body = {"code": code, "message": str(message), "field": field}
    body.update(extra)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _not_found() -> JsonResponse:
    return _error(404, "not_found", _("Not found."))


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def _rate_limited(channel: Channel, address: str) -> int | None:
    """Seconds to wait when the client is over the channel's limit, else ``None``."""
    limit = channel.rate_limit
    if not limit:
        return None
    now = time.time()
    window = int(now // 60)
    key = f"salesops:intake:{channel.pk}:{address}:{window}"
    if cache.add(key, 1, timeout=90):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=90)
            count = 1
    if count > limit:
        return max(1, int(60 - now % 60))
    return None


def _parse(request):
    """``(data, custom, error response)`` from a JSON or form body."""
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            body = json.loads(request.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            return (
                None,
                None,
                _error(400, "malformed_json", _("The body is not valid JSON: %(e)s") % {"e": exc}),
            )
        if not isinstance(body, dict):
            return None, None, _error(400, "malformed_json", _("Send one JSON object."))
        custom = body.pop("custom", None)
        if custom is not None and not isinstance(custom, dict):
            return (
                None,
                None,
                _error(
                    422,
                    "validation_error",
                    _("custom: send an object of custom field values."),
                    "custom",
                ),
            )
        return body, custom, None
    data = {k: request.POST.get(k) for k in request.POST}
    custom = {k[3:]: v for k, v in data.items() if k.startswith("cf_")} or None
    return data, custom, None


def _errors(exc: ValidationError) -> list[dict]:
    out = []
    for field, messages in exc.message_dict.items():
        for message in messages:
            out.append(
                {
                    "code": "invalid",
                    "field": None if field == "__all__" else field,
                    "message": message,
                }
            )
    return out


def _wants_html(request) -> bool:
    return request.content_type != "application/json" and "text/html" in request.headers.get(
        "Accept", ""
    )


def _thanks(request, status: int) -> HttpResponse:
    text = _("Thank you! We have received your inquiry and will contact you soon.")
    html = (
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{text}</title><p>{text}</p>"
    )
    return HttpResponse(html, status=status)


def request_hash(data: dict, custom: dict | None) -> str:
    """SHA-256 of the normalised body (fields sorted, compact JSON), kept with the key."""
    normal = json.dumps(
        {"data": data, "custom": custom or {}},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(normal.encode()).hexdigest()


def answer(result) -> tuple[int, dict]:
    """The status and JSON body of a new intake's answer (kept with its Idempotency-Key)."""
    lead = result.lead
    created = result.created
    return 201 if created else 200, {
        "id": lead.pk,
        "outcome": result.outcome,
        "status": lead.status,
        "owner": lead.owner.label if created and lead.owner_id else None,
        "sla_due_at": lead.sla_due_at.isoformat() if created and lead.sla_due_at else None,
    }


@csrf_exempt
@require_POST
def intake_view(request, token: str):
    # One function on purpose (~80 lines): the checks run in the order the module
    # docstring lists (token, size, rate, body, honeypot, idempotency, intake, answer),
    # each answering at once, so the public endpoint's contract reads top to bottom.
    channel = active_channel(token)
    if channel is None:
        return _not_found()
    limit = int(settings.SALESOPS["INTAKE_MAX_BYTES"])
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _error(
            413, "too_large", _("The body is larger than %(n)d KB.") % {"n": limit // 1024}
        )
    wait = _rate_limited(channel, _client_address(request))
    if wait is not None:
        response = _error(
            429, "rate_limited", _("Too many requests; try again in %(n)d seconds.") % {"n": wait}
        )
        response["Retry-After"] = str(wait)
        return response
    if len(request.body) > limit:  # no or a wrong Content-Length
        return _error(
            413, "too_large", _("The body is larger than %(n)d KB.") % {"n": limit // 1024}
        )
    data, custom, problem = _parse(request)
    if problem is not None:
        return problem
    if str(data.pop(HONEYPOT, "") or "").strip():
        return (
            _thanks(request, 201)
            if _wants_html(request)
            else JsonResponse({"id": None, "outcome": "created"}, status=201)
        )
    payload = dict(data)
    fields = {k: v for k, v in data.items() if k in services.LEAD_FIELDS}
    key = request.headers.get("Idempotency-Key", "")
    try:
        result = services.lead_intake(
            channel=channel,
            data=fields,
            custom=custom,
            idempotency_key=key,
            request_hash=request_hash(data, custom) if key.strip() else "",
            answer=answer,
            payload=payload,
        )
    except services.IdempotencyKeyReused as exc:
        message = exc.message_dict["Idempotency-Key"][0]
        errors = [
            {"code": "idempotency_key_reused", "field": "Idempotency-Key", "message": message}
        ]
        return _error(422, "idempotency_key_reused", message, "Idempotency-Key", errors=errors)
    except ValidationError as exc:
        errors = _errors(exc)
        fields_named = list(dict.fromkeys(e["field"] or "?" for e in errors))
        message = _("%(n)d field(s) need attention: %(fields)s") % {
            "n": len(fields_named),
            "fields": ", ".join(fields_named),
        }
        return _error(
            422, "validation_error", message, errors[0]["field"] if errors else None, errors=errors
        )
    except PermissionDenied:
        return _not_found()
    if result.outcome == "replayed" and result.answer is not None:
        status, body = result.answer
        response = (
            _thanks(request, status)
            if _wants_html(request)
            else JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
        )
        response["Idempotent-Replayed"] = "true"
        return response
    if result.outcome == "replayed":  # a key kept before answers were (no body stored)
        status, body = 200, {"id": result.lead.pk if result.lead else None, "outcome": "replayed"}
    else:
        status, body = answer(result)
    if _wants_html(request):
        return _thanks(request, status)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
