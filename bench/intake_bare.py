"""Settings module *and* URLconf of the bare baseline server of ``bench/intake.py``.

The bench starts a second ``salesops run --server gunicorn`` with
``DJANGO_SETTINGS_MODULE=intake_bare`` (``bench/`` on ``PYTHONPATH``): the product's
settings unchanged except ``ROOT_URLCONF``, which adds ``POST /bench/bare/<token>/`` beside
the product's URLs. That view parses the same JSON body and writes the lead with one
``INSERT`` — no validation, de-duplication, region, routing, SLA clock, history or events —
so the full intake's throughput can be compared with what the web stack and one insert
cost by themselves. It is never part of the product's URLs.
"""

from salesops.settings import *  # noqa: F403

ROOT_URLCONF = "intake_bare"

_channels: dict[str, int] = {}


def bare_intake(request, token):
    import json

    from django.http import JsonResponse

    from salesops.leads.models import Channel, Lead

    if token not in _channels:  # one look-up per process, then cached
        _channels[token] = Channel.objects.only("id").get(token=token).pk
    data = json.loads(request.body)
    fields = ("contact_name", "phone", "company", "need", "address", "province", "city")
    lead = Lead(channel_id=_channels[token], **{f: data.get(f) or "" for f in fields})
    lead.industry = data.get("industry") or ""
    Lead.objects.bulk_create([lead])  # one INSERT: no signals, so no history row
    return JsonResponse({"id": lead.pk, "outcome": "created"}, status=201)


def __getattr__(name):
    # The URL patterns are built on first use (by the URL resolver, after Django is set
    # up), not when this module is imported as the settings module.
    if name == "urlpatterns":
        from django.urls import include, path
        from django.views.decorators.csrf import csrf_exempt
        from django.views.decorators.http import require_POST

        view = csrf_exempt(require_POST(bare_intake))
        return [path("bench/bare/<str:token>/", view), path("", include("salesops.urls"))]
    raise AttributeError(name)
