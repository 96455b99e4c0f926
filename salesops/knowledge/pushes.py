"""Push services (SPEC N4): content sent to a rep, and its lifecycle.

delivered (the push is created and the in-app notification queued, in one transaction)
→ read (the recipient first opens it) → note submitted (when the push requires a study
note: non-empty, at most :data:`NOTE_MAX` characters) → closed (refused while a required
note is missing). Only the recipient moves their push along; managers read the states
(``push_selectors``). A push is idempotent per (item, user, key): delivering it again
returns the existing one and sends nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from salesops.core import clock

from .models import KnowledgeItem, KnowledgeUsage, Push, UsageAction

NOTE_MAX = 2000
REASON_MAX = 2000
KEY_MAX = 150


def _require_recipient(actor, push: Push) -> None:
    if actor is None or not actor.is_authenticated or actor.pk != push.user_id:
        raise PermissionDenied(_("Only the person this was pushed to can do this."))


def push_deliver(
    *,
    item: KnowledgeItem,
    user,
    key: str,
    reason: str = "",
    requires_note: bool = False,
    firing=None,
) -> tuple[Push, bool]:
    """The push of ``item`` to ``user`` for occurrence ``key``: ``(push, created)``. An
    existing one (same item, user, key) is returned unchanged."""
    errors: dict[str, str] = {}
    key = (key or "").strip()
    if not key:
        errors["key"] = _("This field is required.")
    elif len(key) > KEY_MAX:
        errors["key"] = _("At most %(n)d characters.") % {"n": KEY_MAX}
    if not item.is_active:
        errors["item"] = _("“%(title)s” is inactive: it cannot be pushed.") % {"title": item.title}
    if user is None or not user.is_active:
        errors["user"] = _("Pushes go to active users only.")
    if errors:
        raise ValidationError(errors)
    existing = Push.objects.filter(item=item, user=user, key=key).first()
    if existing is not None:
        return existing, False
    now = clock.now()
    try:
        with transaction.atomic():
            push = Push.objects.create(
                item=item,
                user=user,
                key=key,
                reason=(reason or "")[:REASON_MAX],
                requires_note=bool(requires_note),
                firing=firing,
                delivered_at=now,
                created_at=now,
            )
    except IntegrityError:  # delivered by a concurrent run a moment ago
        return Push.objects.get(item=item, user=user, key=key), False
    return push, True


@transaction.atomic
def push_open(*, actor, push: Push) -> Push:
    """The recipient opens the push: the first time marks it read (and records a view of
    the item). Someone else opening it (a manager) changes nothing."""
    if actor is None or actor.pk != push.user_id:
        return push
    if push.read_at is None:
        now = clock.now()
        updated = Push.objects.filter(pk=push.pk, read_at__isnull=True).update(read_at=now)
        push.read_at = now if updated else Push.objects.get(pk=push.pk).read_at
        if updated:
            KnowledgeUsage.objects.create(
                item_id=push.item_id, user_id=actor.pk, action=UsageAction.VIEWED, at=now
            )
    return push


def clean_note(note) -> str:
    if note is not None and not isinstance(note, str):
        raise ValidationError({"note": _("Enter text.")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write your study note: it cannot be empty.")})
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {
                "note": _("The study note is too long: at most %(max)d characters (it has %(n)d).")
                % {"max": NOTE_MAX, "n": len(note)}
            }
        )
    return note


@transaction.atomic
def push_submit_note(*, actor, push: Push, note) -> Push:
    """The recipient's study note (replacing an earlier one until the push is closed).
    Submitting also counts as reading."""
    _require_recipient(actor, push)
    push = Push.objects.select_for_update().get(pk=push.pk)
    if push.closed_at is not None:
        raise ValidationError({"note": _("This push is closed: its note can no longer change.")})
    push.note = clean_note(note)
    now = clock.now()
    push.note_at = now
    push.read_at = push.read_at or now
    push.save(update_fields=["note", "note_at", "read_at"])
    return push


@transaction.atomic
def push_close(*, actor, push: Push) -> Push:
    """The recipient closes the push; refused while a required study note is missing.
    Closing a closed push changes nothing."""
    _require_recipient(actor, push)
    push = Push.objects.select_for_update().get(pk=push.pk)
    if push.closed_at is not None:
        return push
    if push.requires_note and not push.note_at:
        raise ValidationError(
            {"note": _("This push needs a study note before it can be closed: submit it first.")}
        )
    now = clock.now()
    push.closed_at = now
    push.read_at = push.read_at or now
    push.save(update_fields=["closed_at", "read_at"])
    return push


def state(push: Push) -> str:
    """The push's latest state: delivered, read, noted or closed."""
    if push.closed_at:
        return "closed"
    if push.note_at:
        return "noted"
    if push.read_at:
        return "read"
    return "delivered"


def state_label(code: str) -> str:
    return {
        "delivered": pgettext("push", "Delivered"),
        "read": pgettext("push", "Read"),
        "noted": pgettext("push", "Note submitted"),
        "closed": pgettext("push", "Closed"),
    }[code]
