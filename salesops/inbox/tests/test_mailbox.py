"""Email: the worker reads an IMAP mailbox (here a small in-process IMAP server): unseen
mail is parsed (encoded headers in GB2312/GB18030/UTF-8), stored and then marked seen."""

from __future__ import annotations

from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

import pytest

from salesops.core import sweeps
from salesops.customers.tests.factories import make_account, make_contact
from salesops.inbox import configuration, mailbox, tasks
from salesops.inbox.models import InboxSource, Message

pytestmark = pytest.mark.django_db


def raw_mail(
    *,
    sender=("张伟", "zhang@c5-example.cn"),
    subject="关于设备故障",
    body="生产线扫码枪故障，请尽快派人。",
    charset="gb2312",
    message_id="<m1@c5-example.cn>",
    html=False,
) -> bytes:
    part = MIMEText(body, "html" if html else "plain", charset)
    msg = MIMEMultipart() if html else part
    if html:
        msg.attach(part)
    msg["Subject"] = Header(subject, charset)
    msg["From"] = formataddr((str(Header(sender[0], charset)), sender[1]))
    msg["To"] = "sales@example.com"
    msg["Date"] = "Thu, 03 Dec 2026 10:00:00 +0800"
    if message_id:
        msg["Message-ID"] = message_id
    return msg.as_bytes()


def test_unseen_mail_is_stored_decoded_and_marked_seen(org, email_source, imap_server):
    contact = make_contact(make_account(org.rep_a), email="zhang@c5-example.cn")
    imap_server.add(raw_mail())
    imap_server.add(
        raw_mail(
            sender=("李娜", "li@x-example.com"),
            subject="续约报价",
            body="合同快到期了。",
            charset="gb18030",
            message_id="<m2@x>",
        )
    )
    imap_server.add(
        raw_mail(
            sender=("Mark", "mark@y-example.com"),
            subject="Quote ✓",
            body="<p>Please send a <b>quote</b></p>",
            charset="utf-8",
            message_id="<m3@y>",
            html=True,
        )
    )
    result = mailbox.poll(email_source)
    assert (result.stored, result.failed, result.errors) == (3, 0, [])
    first = Message.objects.get(source_message_id="<m1@c5-example.cn>")
    assert (first.subject, first.sender_name, first.sender_address) == (
        "关于设备故障",
        "张伟",
        "zhang@c5-example.cn",
    )
    assert first.body == "生产线扫码枪故障，请尽快派人。"
    assert first.contact == contact and first.scenario == "complaint"
    assert first.complaint is not None
    assert Message.objects.get(source_message_id="<m2@x>").subject == "续约报价"
    html = Message.objects.get(source_message_id="<m3@y>")
    assert (html.subject, html.body) == ("Quote ✓", "Please send a quote")
    assert all(seen for _raw, seen in imap_server.mails.values())
    assert any(c.startswith("UID STORE") for c in imap_server.commands)


def test_a_second_poll_finds_nothing_new(email_source, imap_server):
    imap_server.add(raw_mail())
    mailbox.poll(email_source)
    again = mailbox.poll(email_source)
    assert (again.stored, again.duplicates) == (0, 0)
    assert Message.objects.count() == 1


def test_mail_seen_again_after_a_reset_is_not_stored_twice(email_source, imap_server):
    uid = imap_server.add(raw_mail())
    mailbox.poll(email_source)
    imap_server.mails[uid][1] = False  # someone marked it unread in their mail client
    again = mailbox.poll(email_source)
    assert (again.stored, again.duplicates) == (0, 1)
    assert Message.objects.count() == 1


def test_a_mail_without_message_id_gets_one_from_its_content(email_source, imap_server):
    imap_server.add(raw_mail(message_id=""))
    mailbox.poll(email_source)
    assert Message.objects.get().source_message_id.startswith("sha1:")


def test_a_mail_that_cannot_be_stored_stays_unseen(email_source, imap_server):
    uid = imap_server.add(raw_mail(sender=("", ""), message_id="<nobody@x>"))
    result = mailbox.poll(email_source)
    assert result.failed == 1 and result.stored == 0
    assert imap_server.mails[uid][1] is False
    assert not Message.objects.exists()


def test_a_wrong_password_is_recorded_on_the_source(org, email_source, imap_server):
    configuration.source_save(actor=org.admin, source=email_source, imap_password="wrong")
    imap_server.add(raw_mail())
    result = mailbox.poll(email_source)
    assert result.errors and "invalid credentials" in result.errors[0]
    email_source.refresh_from_db()
    assert "invalid credentials" in email_source.last_error
    assert email_source.last_polled_at is not None
    assert not Message.objects.exists()


def test_the_sweep_polls_a_mailbox_when_its_interval_has_passed(email_source, imap_server):
    imap_server.add(raw_mail())
    assert [s.pk for s in mailbox.due_sources()] == [email_source.pk]
    tasks.poll_source.call_local(email_source.pk)
    assert Message.objects.count() == 1
    email_source.refresh_from_db()
    assert list(mailbox.due_sources()) == []
    assert "inbox.poll_mailboxes" in [s.name for s in sweeps.registered()]


def test_poll_now_button(client, org, email_source, imap_server):
    """Huey runs tasks inline under the tests: the button reads the mailbox at once."""
    imap_server.add(raw_mail())
    client.force_login(org.admin)
    response = client.post(f"/inbox/settings/sources/{email_source.pk}/poll/")
    assert response.status_code == 302
    assert Message.objects.count() == 1
    assert InboxSource.objects.get(pk=email_source.pk).last_polled_at is not None
