"""Issue 11, item 4: bot channels may only call globally routable hosts, and what a URL
answers is never shown to the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.core.tests.test_netsafety import REFUSED
from salesops.notifications.models import ChannelConfig
from salesops.org.services import api_token_create

API = "/api/v1"


@pytest.fixture
def admin_api(org):
    _, key = api_token_create(user=org.admin, name="ops")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("url", REFUSED)
def test_the_api_refuses_every_non_public_target_with_a_field_error(admin_api, settings, url):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    response = admin_api.post(
        f"{API}/notification-channels",
        data={"kind": "wecom", "name": "群", "webhook_url": url},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["field"] == "webhook_url"
    assert "private or loopback" in body["message"]
    assert not ChannelConfig.objects.exists()


def test_the_same_refusal_when_a_channel_is_changed(admin_api, org, settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    made = admin_api.post(
        f"{API}/notification-channels",
        data={"kind": "wecom", "name": "群", "webhook_url": "https://8.8.8.8/hook"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    response = admin_api.patch(
        f"{API}/notification-channels/{made.json()['id']}",
        data={"webhook_url": "http://100.100.100.200/latest/meta-data/"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "webhook_url"


@pytest.mark.parametrize("status", [200, 404, 500])
def test_the_bot_test_button_never_shows_the_answer(org, channel, fake_bot, client, status):
    # Given a "bot" URL whose server answers with something secret (as a metadata service
    # reached through a bad URL would)
    bot = channel("wecom")
    secret = "AccessKeySecret=LTAI-do-not-show"
    fake_bot.answer((status, {"errcode": 40001, "errmsg": secret} if status == 200 else secret))
    client.force_login(org.admin)
    # When the admin presses "send a test message"
    page = client.post(f"/notifications/channels/{bot.pk}/test/", follow=True).content.decode()
    # Then the page says it failed, with the status code, but nothing of the answer
    assert "LTAI" not in page and "AccessKeySecret" not in page
    if status == 200:
        assert "error code 40001" in page
    else:
        assert f"HTTP {status}: the bot did not take the message." in page


def test_a_redirect_is_a_failure_and_is_not_followed(org, channel, fake_bot, client):
    bot = channel("wecom")
    fake_bot.answer((302, ""))
    client.force_login(org.admin)
    page = client.post(f"/notifications/channels/{bot.pk}/test/", follow=True).content.decode()
    assert "HTTP 302: the bot did not take the message." in page
    assert len(fake_bot.requests) == 1


def test_a_bot_on_a_name_is_sent_to_the_address_checked_for_it(org, channel, fake_bot, client):
    # "localhost" (allowed in tests) is resolved once and the request goes to that address
    # with the name in the Host header
    bot = channel("wecom")
    ChannelConfig.objects.filter(pk=bot.pk).update(
        webhook_url=bot.webhook_url.replace("127.0.0.1", "localhost")
    )
    client.force_login(org.admin)
    page = client.post(f"/notifications/channels/{bot.pk}/test/", follow=True).content.decode()
    assert "Test message sent" in page
    assert fake_bot.requests[0]["headers"]["Host"] == f"localhost:{fake_bot.port}"


def test_the_api_bot_test_answers_with_the_status_code_only(org, channel, fake_bot, admin_api):
    bot = channel("wecom")
    fake_bot.answer((500, "ram-role: AliyunECSInstanceRole; AccessKeyId=STS.abc"))
    response = admin_api.post(f"{API}/notification-channels/{bot.pk}/test")
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "message": "HTTP 500: the bot did not take the message.",
    }
