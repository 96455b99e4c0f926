"""What the offline app reads: the rep's working set (through the owning apps' selectors,
so visibility is theirs), the synced items and the open conflicts."""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

from salesops.activities import selectors as activity_selectors
from salesops.customers import selectors as customer_selectors
from salesops.customers.models import Contact
from salesops.leads import selectors as lead_selectors
from salesops.leads.models import OPEN_STATUSES
from salesops.todos import selectors as todo_selectors

from .models import ConflictStatus, FieldPolicy, SyncConflict, SyncItem

LEAD_KEYS = ("contact_name", "phone", "company", "need", "email", "wechat", "address", "city")


def _lead(lead) -> dict:
    row = {"id": lead.pk, "status": lead.status, "url": lead.get_absolute_url()}
    row.update({key: getattr(lead, key) for key in LEAD_KEYS})
    return row


def working_set(user, language: str | None = None) -> dict:
    """My open leads, my accounts with their contacts, the check-in results and today's
    tasks (due today or overdue) — what a rep reads in a lift."""
    policy = FieldPolicy.current()
    leads = (
        lead_selectors.visible_leads(user)
        .filter(owner=user, status__in=OPEN_STATUSES)
        .order_by("-progressed_at", "-id")[: policy.max_leads]
    )
    accounts = list(
        customer_selectors.account_list(user=user)
        .filter(owner=user)
        .order_by("name", "id")[: policy.max_accounts]
    )
    contacts = (
        Contact.objects.visible_to(user)
        .filter(account__in=[a.pk for a in accounts])
        .order_by("account_id", "name", "id")
    )
    end = todo_selectors.end_of_today()
    tasks = todo_selectors.task_list(user=user, status="open").filter(due_at__lt=end)
    return {
        "max_batch": policy.max_batch,
        "leads": [_lead(lead) for lead in leads],
        "accounts": [
            {
                "id": a.pk,
                "name": a.name,
                "city": a.city,
                "address": a.address,
                "url": a.get_absolute_url(),
            }
            for a in accounts
        ],
        "contacts": [
            {
                "id": c.pk,
                "account": c.account_id,
                "name": c.name,
                "phone": c.phone,
                "title": c.title,
                "email": c.email,
            }
            for c in contacts
        ],
        "tags": [
            {"code": t.code, "label": activity_selectors.tag_label(t, language)}
            for t in activity_selectors.active_tags()
        ],
        "tasks": [
            {"id": t.pk, "title": t.title, "due_at": t.due_at, "url": t.get_absolute_url()}
            for t in tasks
        ],
    }


def encode(data: dict) -> tuple[bytes, str]:
    """The JSON body and its strong ETag (a hash of exactly those bytes)."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def open_conflicts(user):
    return SyncConflict.objects.filter(user=user, status=ConflictStatus.OPEN).order_by(
        "created_at", "id"
    )


def conflicts(user):
    return SyncConflict.objects.filter(user=user).order_by("status", "-created_at", "-id")


def conflict_get(*, user, pk: int) -> SyncConflict:
    return SyncConflict.objects.get(user=user, pk=pk)


def recent_items(user, limit: int = 50):
    return SyncItem.objects.filter(user=user).order_by("-received_at", "-id")[:limit]
