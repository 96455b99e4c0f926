"""Reads of the inbox, visibility applied (``Message.objects.visible_to``): a rep sees the
messages of their own customers and leads; managers also see their team's and the
unmatched ones (to link them); directors and admins see all."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404

from salesops.customers.models import Contact

from .filters import MessageFilterSet
from .models import Direction, InboxSource, Message, ScenarioRule


def visible_messages(user):
    return (
        Message.objects.visible_to(user)
        .filter(direction=Direction.IN)
        .select_related("source", "account", "contact", "lead", "assignee")
    )


def message_filterset(*, user, data, request=None):
    return MessageFilterSet(data or {}, queryset=visible_messages(user), request=request)


def message_get(*, user, pk: int) -> Message:
    return get_object_or_404(visible_messages(user), pk=pk)


def message_thread(message: Message):
    return message.replies.select_related("created_by").order_by("received_at", "id")


def linkable_contacts(user, q: str = "", limit: int = 20):
    """Contacts the user may link a message to (those they can see), by name, phone,
    email or company."""
    qs = Contact.objects.visible_to(user).select_related("account")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(phone__icontains=q)
            | Q(email__icontains=q)
            | Q(account__name__icontains=q)
        )
    return qs.order_by("account__name", "name")[:limit]


def contact_for_link(user, pk) -> Contact | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Contact.objects.visible_to(user).select_related("account__owner").filter(pk=pk).first()


def sources():
    return InboxSource.objects.order_by("name", "id")


def rules():
    return ScenarioRule.objects.order_by("-priority", "id")
