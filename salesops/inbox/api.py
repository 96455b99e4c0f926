"""The inbox over the API: other systems post messages (``POST /inbox/messages``, the same
intake as WeCom, DingTalk and email); people list, read, link and answer them with the
pages' visibility (a message one may not see is a 404)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from salesops.core.pagination import paginate

from . import schemas, selectors, services, tasks
from .models import InboxSource, SourceKind

router = Router(tags=["inbox"])


def _api_source(user, source_id):
    if not (user.edits_everything or user.is_manager_role):
        raise PermissionDenied(
            _("Only sales-ops admins, directors and managers post messages into the inbox.")
        )
    sources = InboxSource.objects.filter(kind=SourceKind.API, is_active=True)
    source = sources.filter(pk=source_id).first() if source_id else sources.order_by("id").first()
    if source is None:
        raise ValidationError(
            {"source": [_("No active API inbox source; add one on Settings · Inbox sources.")]}
        )
    return source


@router.post(
    "/inbox/messages",
    response={200: schemas.MessageOut, 201: schemas.MessageOut},
    summary="Post an incoming message",
    description="Matched to a customer and tagged like a WeCom or email message; the same "
    "message_id again returns the stored message with 200.",
    operation_id="inbox_receive",
)
def receive(request, payload: schemas.MessageIn):
    source = _api_source(request.user, payload.source)
    message, created = services.message_receive(
        source=source,
        source_message_id=payload.message_id,
        sender_address=payload.sender,
        sender_name=payload.sender_name,
        subject=payload.subject,
        body=payload.body,
        received_at=payload.received_at,
        actor=request.user,
    )
    return Status(201 if created else 200, message)


@router.get(
    "/inbox/messages",
    response=schemas.MessagePage,
    summary="List inbox messages",
    operation_id="inbox_list",
)
def list_messages(request, query: Query[schemas.MessageQuery]):
    data = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    fs = selectors.message_filterset(user=request.user, data=data, request=request)
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return paginate(fs.qs, query.page, query.page_size)


@router.get(
    "/inbox/messages/{message_id}",
    response=schemas.MessageOut,
    summary="Get an inbox message",
    operation_id="inbox_get",
)
def get_message(request, message_id: int):
    return selectors.message_get(user=request.user, pk=message_id)


@router.post(
    "/inbox/messages/{message_id}/link",
    response=schemas.MessageOut,
    summary="Link a message to a contact",
    operation_id="inbox_link",
)
def link_message(request, message_id: int, payload: schemas.LinkIn):
    message = selectors.message_get(user=request.user, pk=message_id)
    contact = selectors.contact_for_link(request.user, payload.contact)
    if contact is None:
        raise ValidationError({"contact": [_("No such contact among those you can see.")]})
    return services.message_link(actor=request.user, message=message, contact=contact)


@router.post(
    "/inbox/messages/{message_id}/reply",
    response={201: schemas.MessageOut},
    summary="Reply through the message's channel",
    operation_id="inbox_reply",
)
def reply_message(request, message_id: int, payload: schemas.ReplyIn):
    message = selectors.message_get(user=request.user, pk=message_id)
    reply = services.reply_record(actor=request.user, message=message, body=payload.body)
    tasks.send_after_commit(reply)
    return Status(201, reply)
