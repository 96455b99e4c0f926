"""Huey tasks of the inbox: reading a mailbox and sending a reply, outside the request."""

from django.db import transaction
from huey.contrib.djhuey import db_task

from . import mailbox, outbound, services
from .models import InboxSource, Message


@db_task()
def poll_source(source_id: int):
    source = InboxSource.objects.filter(pk=source_id, is_active=True).first()
    if source is None:
        return None
    result = mailbox.poll(source)
    return {"stored": result.stored, "duplicates": result.duplicates, "failed": result.failed}


@db_task()
def send_reply(reply_id: int):
    reply = Message.objects.select_related("source", "reply_to").filter(pk=reply_id).first()
    if reply is None:
        return None
    error = outbound.send(reply)
    services.reply_result(reply=reply, error=error)
    return error


def send_after_commit(reply: Message) -> None:
    transaction.on_commit(lambda: send_reply(reply.pk))
