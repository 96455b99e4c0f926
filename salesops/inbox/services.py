"""Every write of the inbox: one path for every message that arrives (``message_receive``,
used by WeCom, DingTalk, IMAP and the API), linking a message to a customer by hand and
recording a reply. Each is atomic and audited (the message's history row names the actor
and the reason); a bad input raises ``ValidationError`` naming the field and the fix, with
nothing written."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salesops.aftersales import services as aftersales_services
from salesops.aftersales.models import Renewal, RenewalStatus
from salesops.core import clock, unitofwork
from salesops.core.history import save_with_history
from salesops.leads import configuration as lead_configuration
from salesops.leads.models import Channel, ChannelKind
from salesops.leads.receive import lead_intake

from . import matching
from .models import (
    ContactHandle,
    Direction,
    InboxSource,
    MatchedBy,
    Message,
    MessageStatus,
    Scenario,
    SourceKind,
)

log = logging.getLogger(__name__)

SOURCE_ID_MAX = 200
LIMITS = {"sender_address": 200, "sender_name": 200, "subject": 300, "body": 20000}


def _text(value, field: str, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(field, []).append(_("Enter text."))
        return ""
    value = value.strip()
    if field in LIMITS and len(value) > LIMITS[field]:
        errors.setdefault(field, []).append(
            _("At most %(n)d characters; shorten it.") % {"n": LIMITS[field]}
        )
    return value


def _check_incoming(source, source_message_id, address, name, subject, body) -> dict:
    errors: dict[str, list] = {}
    if source is None or not source.is_active:
        errors["source"] = [_("This inbox source is switched off or missing; turn it on first.")]
    values = {
        "source_message_id": _text(source_message_id, "source_message_id", errors),
        "sender_address": _text(address, "sender_address", errors),
        "sender_name": _text(name, "sender_name", errors),
        "subject": _text(subject, "subject", errors),
        "body": _text(body, "body", errors),
    }
    sid = values["source_message_id"]
    if not sid and "source_message_id" not in errors:
        errors["source_message_id"] = [_("Send the message's id in the sending system.")]
    elif len(sid) > SOURCE_ID_MAX:
        errors["source_message_id"] = [
            _("At most %(n)d characters; shorten it.") % {"n": SOURCE_ID_MAX}
        ]
    if not values["body"] and not values["subject"] and "body" not in errors:
        errors["body"] = [_("The message is empty; send a subject or a body.")]
    if not values["sender_address"] and "sender_address" not in errors:
        errors["sender_address"] = [
            _("Send who wrote the message: a phone, an email or a WeCom/DingTalk user id.")
        ]
    if errors:
        raise ValidationError(errors)
    return values


def lead_channel_for(source: InboxSource) -> Channel:
    """The leads channel of an inbox source (created with the source's name the first
    time an inquiry needs it): leads from the inbox are counted and routed like any other
    channel's."""
    if source.lead_channel_id is not None:
        return source.lead_channel
    # Through the leads app's own service (no actor: the system sets it up), machine-fed
    # like the API channel so nobody picks it when typing a lead in.
    channel = lead_configuration.channel_create(
        actor=None,
        name=(_("Inbox · %(name)s") % {"name": source.name})[:100],
        kind=ChannelKind.API,
    )
    source.lead_channel = channel
    source.save(update_fields=["lead_channel"])
    return channel


def _lead_from_inquiry(message: Message, match: matching.SenderMatch, actor) -> None:
    """An inquiry from an unknown sender becomes a lead through the normal intake (its
    de-duplication and routing); a message without a phone number cannot, and says so."""
    if not match.phone:
        message.outcome_note = _(
            "No lead created: the message has no phone number. Link it to a customer or "
            "enter the lead by hand."
        )
        return
    text = f"{message.subject}\n{message.body}".strip()
    company = matching.company_of(text) or matching.company_of(message.sender_name)
    name = (message.sender_name or message.sender_address)[:100]
    # A placeholder shared by every lead would make the duplicate check take them all
    # for one company: the person's own name marks the company as still unknown.
    data = {
        "contact_name": name,
        "phone": match.phone,
        "company": company or (_("%(name)s (company unknown)") % {"name": name})[:200],
        "need": text[:1000],
    }
    if match.email:
        data["email"] = match.email
    try:
        with transaction.atomic():
            result = lead_intake(
                channel=lead_channel_for(message.source),
                data=data,
                actor=actor,
                payload={"inbox_message": message.source_message_id},
            )
    except (ValidationError, PermissionDenied) as exc:
        message.outcome_note = (
            _("No lead created: %(reason)s") % {"reason": "; ".join(exc.messages)}
        )[:300]
        return
    message.lead = result.lead
    message.assignee_id = result.lead.owner_id
    message.outcome_note = (
        _("New lead created.") if result.created else _("Added to an existing lead.")
    )


def _complaint(message: Message, actor) -> None:
    summary = (message.subject or message.body or "").strip().splitlines()[0][:200]
    message.complaint = aftersales_services.complaint_create(
        actor=actor,
        account=message.account,
        contact=message.contact,
        summary=summary or _("Complaint from the inbox"),
        details=message.body[:4000],
        raised_on=clock.today(),
        source="inbox",
        external_id=f"inbox:{message.pk}",
    )
    message.outcome_note = _("Complaint recorded.")


def _attach_renewal(message: Message) -> None:
    renewal = (
        Renewal.objects.filter(account_id=message.account_id, status=RenewalStatus.PENDING)
        .order_by("due_on", "id")
        .first()
    )
    message.renewal = renewal
    message.outcome_note = (
        _("Attached to the account's open renewal.")
        if renewal is not None
        else _("The account has no open renewal to attach to.")
    )


def _outcome(message: Message, match: matching.SenderMatch, actor) -> None:
    if message.scenario == Scenario.INQUIRY and not message.is_matched:
        _lead_from_inquiry(message, match, actor)
    elif message.scenario == Scenario.COMPLAINT and message.account_id:
        _complaint(message, actor)
    elif message.scenario == Scenario.RENEWAL and message.account_id:
        _attach_renewal(message)


@transaction.atomic
def message_receive(
    *,
    source: InboxSource,
    source_message_id: str,
    sender_address: str,
    sender_name: str = "",
    subject: str = "",
    body: str = "",
    received_at: dt.datetime | None = None,
    reply_address: str = "",
    actor=None,
    rules=None,
) -> tuple[Message, bool]:
    """Store one incoming message, match its sender, tag its scenario and act on it (a
    lead, a complaint, the renewal). Returns ``(message, created)``: a message the source
    already delivered (same id) is returned as it is, nothing changes."""
    values = _check_incoming(source, source_message_id, sender_address, sender_name, subject, body)
    match = matching.match_sender(source.kind, values["sender_address"], values["body"])
    found = matching.tag(values["subject"], values["body"], rules)
    message = Message(
        source=source,
        channel=source.kind,
        direction=Direction.IN,
        received_at=received_at or clock.now(),
        reply_address=(reply_address or "")[:500],
        scenario=found.scenario,
        scenario_keyword=found.keyword[:100],
        contact_id=match.contact_id,
        account_id=match.account_id,
        lead_id=match.lead_id,
        matched_by=match.matched_by,
        assignee_id=match.owner_id,
        created_by=actor if getattr(actor, "pk", None) else None,
        **values,
    )
    try:
        # The unique (source, message id) index decides whether it is new: no look-up
        # first, and two deliveries of one message at once cannot both be stored.
        with transaction.atomic():
            unitofwork.insert_now(message, actor, "received")
    except IntegrityError:
        existing = (
            Message.objects.filter(source=source, source_message_id=values["source_message_id"])
            .order_by("pk")
            .first()
        )
        if existing is None:
            raise
        return existing, False
    before = (message.lead_id, message.complaint_id, message.renewal_id, message.outcome_note)
    _outcome(message, match, actor)
    after = (message.lead_id, message.complaint_id, message.renewal_id, message.outcome_note)
    if after != before:
        save_with_history(message, actor, "processed")
    return message, True


def _require_editable(user, message: Message) -> None:
    if not Message.objects.editable_by(user).filter(pk=message.pk).exists():
        raise PermissionDenied(_("You cannot change this message."))


@transaction.atomic
def message_link(*, actor, message: Message, contact, remember: bool = True) -> Message:
    """Link a message to a contact (and its account) by hand; the sender's WeCom or
    DingTalk id is remembered for that contact, so the next message matches by itself.
    A complaint or renewal message is then acted on as if it had matched on arrival."""
    _require_editable(actor, message)
    if contact is None:
        raise ValidationError({"contact": [_("Choose the contact who wrote this message.")]})
    message = Message.objects.select_for_update().get(pk=message.pk)
    message.contact = contact
    message.account = contact.account
    message.assignee = contact.account.owner
    message.matched_by = MatchedBy.MANUAL
    if (
        remember
        and message.channel in (SourceKind.WECOM, SourceKind.DINGTALK)
        and message.sender_address
    ):
        ContactHandle.objects.update_or_create(
            kind=message.channel,
            value=message.sender_address,
            defaults={"contact": contact, "created_by": actor},
        )
    if message.complaint_id is None and message.renewal_id is None:
        _outcome(message, matching.SenderMatch.of_contact(contact), actor)
    save_with_history(message, actor, "linked")
    return message


@transaction.atomic
def message_mark(*, actor, message: Message, status: str) -> Message:
    _require_editable(actor, message)
    if status not in MessageStatus.values:
        raise ValidationError({"status": [_("Choose new or handled.")]})
    message.status = status
    save_with_history(message, actor, "status")
    return message


def reply_record(*, actor, message: Message, body: str) -> Message:
    """The outgoing message of a reply (written before it is sent, so a failed send is
    visible on the thread with its reason)."""
    _require_editable(actor, message)
    errors: dict[str, list] = {}
    text = _text(body, "body", errors)
    if not text and "body" not in errors:
        errors["body"] = [_("Write the reply first.")]
    if message.direction != Direction.IN:
        errors["message"] = [_("Reply to the incoming message, not to a reply.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reply = Message(
            source=message.source,
            channel=message.channel,
            direction=Direction.OUT,
            source_message_id=f"reply:{message.pk}:{clock.now().timestamp():.6f}",
            sender_address=getattr(actor, "email", "") or "",
            sender_name=str(actor),
            subject=(("Re: " + message.subject) if message.subject else "")[:300],
            body=text,
            received_at=clock.now(),
            account=message.account,
            contact=message.contact,
            lead=message.lead,
            assignee=message.assignee,
            scenario=message.scenario,
            status=MessageStatus.HANDLED,
            reply_to=message,
            created_by=actor,
        )
        save_with_history(reply, actor, "reply")
        if message.status != MessageStatus.HANDLED:
            message.status = MessageStatus.HANDLED
            save_with_history(message, actor, "replied")
    return reply


def reply_resend(*, actor, reply: Message) -> Message:
    """Send a reply that was not delivered again (the channel was down, a token expired):
    its error is cleared and the worker sends it once more; the result replaces it."""
    if reply.direction != Direction.OUT or reply.reply_to_id is None:
        raise ValidationError({"reply": [_("Only a reply can be sent again.")]})
    _require_editable(actor, reply.reply_to)
    if not reply.delivery_error:
        raise ValidationError({"reply": [_("This reply was delivered; nothing to send again.")]})
    reply.delivery_error = ""
    save_with_history(reply, actor, "send again")
    return reply


def reply_result(*, reply: Message, error: str) -> None:
    reply.delivery_error = (error or "")[:500]
    save_with_history(reply, None, "sent" if not error else "send failed")


def require_configurer(actor) -> None:
    if not lead_configuration.can_configure(actor):
        raise PermissionDenied(_("Only sales-ops admins and directors can change this."))
