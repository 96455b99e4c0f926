"""Replies go back through the message's channel: WeCom's app API, DingTalk's session
webhook (a local fake server standing in for both), email over Django's mail."""

from __future__ import annotations

import pytest
from django.core import mail

from salesops.customers.tests.factories import make_account, make_contact
from salesops.inbox import configuration, services
from salesops.inbox.models import Direction, Message, MessageStatus

from .conftest import ding_payload, dingtalk_post, wecom_inner, wecom_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org):
    return make_contact(make_account(org.rep_a), phone="+8613900000006", email="c@x-example.cn")


def _reply(client, user, message, body="您好，报价已发邮箱。"):
    client.force_login(user)
    return client.post(f"/inbox/{message.pk}/reply/", {"body": body})


def test_a_wecom_reply_goes_through_gettoken_and_message_send(
    client, org, wecom_source, fake_api, django_capture_on_commit_callbacks
):
    configuration.source_save(actor=org.admin, source=wecom_source, api_base=fake_api.url())
    fake_api.answer("/cgi-bin/gettoken", (200, {"errcode": 0, "access_token": "TOKEN-1"}))
    wecom_post(client, wecom_source, wecom_inner("wm_zhang", "想要报价", "w-1"))
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = _reply(client, org.admin, message)
    assert response.status_code == 302
    token_call, send_call = fake_api.requests
    assert (token_call["method"], token_call["path"]) == ("GET", "/cgi-bin/gettoken")
    assert token_call["query"] == {"corpid": "ww_test_corp", "corpsecret": "agent-secret-abc"}
    assert send_call["path"] == "/cgi-bin/message/send"
    assert send_call["query"] == {"access_token": "TOKEN-1"}
    assert send_call["json"] == {
        "touser": "wm_zhang",
        "msgtype": "text",
        "agentid": 1000002,
        "text": {"content": "您好，报价已发邮箱。"},
    }
    reply = Message.objects.get(direction=Direction.OUT)
    assert reply.reply_to == message and reply.delivery_error == ""
    message.refresh_from_db()
    assert message.status == MessageStatus.HANDLED


def test_a_refused_wecom_send_is_shown_on_the_reply(
    client, org, wecom_source, fake_api, django_capture_on_commit_callbacks
):
    configuration.source_save(actor=org.admin, source=wecom_source, api_base=fake_api.url())
    fake_api.answer("/cgi-bin/gettoken", (200, {"errcode": 0, "access_token": "T"}))
    fake_api.answer("/cgi-bin/message/send", (200, {"errcode": 81013, "errmsg": "user invalid"}))
    wecom_post(client, wecom_source, wecom_inner("wm_zhang", "hi", "w-2"))
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _reply(client, org.admin, message)
    reply = Message.objects.get(direction=Direction.OUT)
    assert "81013" in reply.delivery_error
    page = client.get(f"/inbox/{message.pk}/").content.decode()
    assert 'data-testid="delivery-error"' in page


def test_a_dingtalk_reply_posts_to_the_session_webhook(
    client, org, dingtalk_source, fake_api, django_capture_on_commit_callbacks
):
    payload = ding_payload("staff9", "续费怎么办理", "d-1", webhook=fake_api.url("/robot/send"))
    assert dingtalk_post(client, dingtalk_source, payload).status_code == 200
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _reply(client, org.admin, message, "稍后发您续费合同")
    assert fake_api.requests[-1]["path"] == "/robot/send"
    assert fake_api.requests[-1]["json"] == {
        "msgtype": "text",
        "text": {"content": "稍后发您续费合同"},
    }
    assert Message.objects.get(direction=Direction.OUT).delivery_error == ""


def test_a_dingtalk_session_webhook_to_a_private_address_is_refused_in_production(
    client, org, dingtalk_source, fake_api, settings, django_capture_on_commit_callbacks
):
    payload = ding_payload("staff9", "hi", "d-2", webhook=fake_api.url("/robot/send"))
    dingtalk_post(client, dingtalk_source, payload)
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    with django_capture_on_commit_callbacks(execute=True):
        _reply(client, org.admin, Message.objects.get())
    assert fake_api.requests == []
    assert "private or loopback" in Message.objects.get(direction=Direction.OUT).delivery_error


def test_an_email_reply_is_threaded(
    client, org, customer, api_source, django_capture_on_commit_callbacks, email_source
):
    message, _ = services.message_receive(
        source=email_source,
        source_message_id="<abc@x-example.cn>",
        sender_address="c@x-example.cn",
        subject="报价",
        body="请报价",
        reply_address="<abc@x-example.cn>",
    )
    with django_capture_on_commit_callbacks(execute=True):
        _reply(client, org.rep_a, message, "附件是报价单")
    sent = mail.outbox[-1]
    assert sent.to == ["c@x-example.cn"]
    assert sent.subject == "Re: 报价"
    assert sent.extra_headers["In-Reply-To"] == "<abc@x-example.cn>"
    assert sent.body == "附件是报价单"


def test_an_empty_reply_is_refused_with_nothing_written(client, org, customer, api_source):
    message, _ = services.message_receive(
        source=api_source, source_message_id="e-1", sender_address="13900000006", body="hi"
    )
    response = _reply(client, org.rep_a, message, "   ")
    assert response.status_code == 422
    assert Message.objects.filter(direction=Direction.OUT).count() == 0


def test_an_undelivered_reply_is_sent_again_from_the_thread(
    client, org, wecom_source, fake_api, django_capture_on_commit_callbacks
):
    configuration.source_save(actor=org.admin, source=wecom_source, api_base=fake_api.url())
    fake_api.answer("/cgi-bin/gettoken", (200, {"errcode": 0, "access_token": "T"}))
    fake_api.answer("/cgi-bin/message/send", (200, {"errcode": 45009, "errmsg": "api freq"}))
    wecom_post(client, wecom_source, wecom_inner("wm_zhang", "hi", "w-9"))
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _reply(client, org.admin, message)
    reply = Message.objects.get(direction=Direction.OUT)
    assert "45009" in reply.delivery_error
    page = client.get(f"/inbox/{message.pk}/").content.decode()
    assert 'data-testid="reply-resend"' in page
    # the channel is back: sent again, delivered, the same reply (no second copy)
    fake_api.answer("/cgi-bin/message/send", (200, {"errcode": 0, "errmsg": "ok"}))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/{message.pk}/replies/{reply.pk}/resend/")
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.delivery_error == ""
    assert Message.objects.filter(direction=Direction.OUT).count() == 1
    assert fake_api.requests[-1]["json"]["text"] == {"content": "您好，报价已发邮箱。"}
    # a delivered reply is not sent again
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/inbox/{message.pk}/replies/{reply.pk}/resend/")
    sends = [r for r in fake_api.requests if r["path"] == "/cgi-bin/message/send"]
    assert len(sends) == 2


def test_a_rep_cannot_resend_a_reply_on_a_message_they_cannot_see(
    client, org, wecom_source, fake_api, django_capture_on_commit_callbacks
):
    configuration.source_save(actor=org.admin, source=wecom_source, api_base=fake_api.url())
    fake_api.answer("/cgi-bin/gettoken", (200, {"errcode": 0, "access_token": "T"}))
    fake_api.answer("/cgi-bin/message/send", (200, {"errcode": 45009, "errmsg": "api freq"}))
    wecom_post(client, wecom_source, wecom_inner("wm_zhang", "hi", "w-10"))
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _reply(client, org.admin, message)
    reply = Message.objects.get(direction=Direction.OUT)
    client.force_login(org.rep_b)
    response = client.post(f"/inbox/{message.pk}/replies/{reply.pk}/resend/")
    assert response.status_code == 404
    reply.refresh_from_db()
    assert "45009" in reply.delivery_error


def test_the_wecom_token_is_kept_until_it_expires_and_renewed_when_refused(
    client, org, wecom_source, fake_api, django_capture_on_commit_callbacks
):
    configuration.source_save(actor=org.admin, source=wecom_source, api_base=fake_api.url())
    fake_api.answer(
        "/cgi-bin/gettoken",
        (200, {"errcode": 0, "access_token": "OLD", "expires_in": 7200}),
        (200, {"errcode": 0, "access_token": "NEW", "expires_in": 7200}),
    )
    fake_api.answer(
        "/cgi-bin/message/send",
        (200, {"errcode": 0}),
        (200, {"errcode": 0}),
        (200, {"errcode": 42001, "errmsg": "access_token expired"}),
        (200, {"errcode": 0}),
    )
    for n in range(3):
        wecom_post(client, wecom_source, wecom_inner("wm_zhang", f"问题 {n}", f"w-t{n}"))
    for message in Message.objects.filter(direction=Direction.IN).order_by("pk"):
        with django_capture_on_commit_callbacks(execute=True):
            _reply(client, org.admin, message)
    calls = [(r["path"], r["query"].get("access_token")) for r in fake_api.requests]
    assert calls == [
        ("/cgi-bin/gettoken", None),
        ("/cgi-bin/message/send", "OLD"),
        ("/cgi-bin/message/send", "OLD"),  # the second reply: no second gettoken
        ("/cgi-bin/message/send", "OLD"),  # refused: expired
        ("/cgi-bin/gettoken", None),
        ("/cgi-bin/message/send", "NEW"),  # sent once more with the new token
    ]
    assert not Message.objects.filter(direction=Direction.OUT).exclude(delivery_error="").exists()
