"""Group bots against a real local HTTP server: the exact JSON each platform expects, the
DingTalk and Feishu signatures, error codes in a 200 answer, retries by the sweep with
backoff, giving up after the maximum attempts, and refusing private targets."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest
from django.core.exceptions import ValidationError

from salesops.core import clock
from salesops.notifications import sending, services, sweeps
from salesops.notifications.models import Delivery

from .conftest import at, tick

T0 = at("2026-03-02 10:00")


def send_via(bot, user, *, after_commit, title="客户未跟进", body="张三 · 30 分钟未联系", link=""):
    """rep wants this bot only; notify them once at T0 and let the commit happen."""
    services.preference_set(user=user, kind="*", email=False, channel_ids=[bot.pk])
    with clock.frozen(T0), after_commit():
        services.notify(recipients=[user], kind="rule", title=title, body=body, link=link)
    return Delivery.objects.get(notification__recipient=user, config=bot)


# --- wire formats ---------------------------------------------------------------------------------


def test_wecom_gets_a_markdown_message(org, channel, fake_bot, after_commit, settings):
    settings.SALESOPS = {**settings.SALESOPS, "SITE_URL": "https://crm.example.cn"}
    bot = channel("wecom", path="/cgi-bin/webhook/send")
    delivery = send_via(bot, org.rep_a, after_commit=after_commit, link="/customers/accounts/3/")
    (req,) = fake_bot.requests
    assert req["path"] == "/cgi-bin/webhook/send"
    assert req["headers"]["Content-Type"].startswith("application/json")
    assert req["json"] == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**客户未跟进**\n张三 · 30 分钟未联系\n"
            "[Open in SalesOps](https://crm.example.cn/customers/accounts/3/)"
        },
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 1, T0)


def test_dingtalk_gets_markdown_with_a_valid_signature(org, channel, fake_bot, after_commit):
    secret = "SEC0123456789abcdef"
    bot = channel("dingtalk", secret=secret, path="/robot/send")
    delivery = send_via(bot, org.rep_a, after_commit=after_commit)
    (req,) = fake_bot.requests
    assert req["json"] == {
        "msgtype": "markdown",
        "markdown": {"title": "客户未跟进", "text": "#### 客户未跟进\n\n张三 · 30 分钟未联系"},
    }
    # The timestamp is in milliseconds (the clock's), and the signature is what DingTalk
    # computes on its side: base64(HMAC-SHA256(secret, "timestamp\nsecret")).
    timestamp = req["query"]["timestamp"]
    assert timestamp == str(int(T0.timestamp() * 1000))
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert req["query"]["sign"] == expected
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_dingtalk_without_a_secret_is_not_signed(org, channel, fake_bot, after_commit):
    bot = channel("dingtalk")
    send_via(bot, org.rep_a, after_commit=after_commit)
    assert fake_bot.requests[0]["query"] == {}


def test_feishu_gets_a_text_message_signed_in_the_body(org, channel, fake_bot, after_commit):
    fake_bot.default = (200, {"code": 0, "data": {}, "msg": "success"})
    secret = "feishu-secret"
    bot = channel("feishu", secret=secret, path="/open-apis/bot/v2/hook/abc")
    delivery = send_via(bot, org.rep_a, after_commit=after_commit)
    (req,) = fake_bot.requests
    timestamp = str(int(T0.timestamp()))
    key = f"{timestamp}\n{secret}".encode()
    assert req["json"] == {
        "timestamp": timestamp,
        "sign": base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode(),
        "msg_type": "text",
        "content": {"text": "客户未跟进\n张三 · 30 分钟未联系"},
    }
    delivery.refresh_from_db()
    assert delivery.status == "sent"


# --- errors and retries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "answer", "reason"),
    [
        ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, "error code 93000"),
        ("dingtalk", {"errcode": 310000, "errmsg": "sign not match"}, "security settings"),
        ("feishu", {"code": 19021, "msg": "sign match fail"}, "code 19021: the signature"),
    ],
)
def test_an_error_code_in_a_200_answer_is_a_failure(
    org, channel, fake_bot, after_commit, kind, answer, reason
):
    fake_bot.answer((200, answer))
    delivery = send_via(channel(kind), org.rep_a, after_commit=after_commit)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert reason in delivery.last_error
    # the bot's own text is not repeated (only our words for its code)
    assert (answer.get("errmsg") or answer.get("msg")) not in delivery.last_error
    assert delivery.attempts == 1
    # and it will be tried again after the first backoff step (one minute)
    assert delivery.next_attempt_at == T0 + dt.timedelta(minutes=1)


def test_a_500_is_retried_by_the_sweep_after_the_backoff(org, channel, fake_bot, after_commit):
    # Given the bot answers 500 the first time, then accepts
    fake_bot.answer((500, "upstream exploded"))
    delivery = send_via(channel("wecom"), org.rep_a, after_commit=after_commit)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("HTTP 500")
    # When the sweep runs before the backoff is over, nothing is sent
    with clock.frozen(T0 + dt.timedelta(seconds=30)), after_commit():
        tick(T0 + dt.timedelta(seconds=30))
    assert len(fake_bot.requests) == 1
    # When `salesops tick` runs after it, the delivery goes out
    later = T0 + dt.timedelta(minutes=2)
    with clock.frozen(later), after_commit():
        output = tick(later)
    assert "notifications.retry_deliveries: queued 1" in output
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 2, later)
    assert delivery.next_attempt_at is None
    assert len(fake_bot.requests) == 2
    # And another sweep finds nothing more to do
    with clock.frozen(later + dt.timedelta(hours=1)), after_commit():
        tick(later + dt.timedelta(hours=1))
    assert len(fake_bot.requests) == 2


def test_backoff_doubles_from_the_policy_s_first_retry_delay(db, org):
    # the migrated default: the first retry after 60 s
    assert [sending.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert sending.backoff(30) == dt.timedelta(hours=6)
    # an admin changes it: in force at once
    services.delivery_policy_update(actor=org.admin, first_retry_seconds=30)
    assert [sending.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


def test_after_max_attempts_the_delivery_gives_up_and_shows_on_the_deliveries_page(
    org, channel, fake_bot, after_commit, settings, client
):
    # Given three attempts at most, and a bot that always fails
    services.delivery_policy_update(actor=org.admin, max_attempts=3)
    fake_bot.default = (500, "down for maintenance")
    delivery = send_via(channel("wecom"), org.rep_a, after_commit=after_commit)
    # When the sweep keeps retrying as time goes by
    moment = T0
    for _ in range(5):
        moment += dt.timedelta(hours=1)
        with clock.frozen(moment), after_commit():
            tick(moment)
    # Then it was tried exactly three times and then left alone, marked failed for good
    delivery.refresh_from_db()
    assert len(fake_bot.requests) == 3
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert "gave up after 3 attempts" in delivery.last_error
    # And an admin sees it, with the error, on the deliveries page
    client.force_login(org.admin)
    page = client.get("/notifications/deliveries/?status=gave_up").content.decode()
    assert f'data-testid="delivery-row" data-id="{delivery.pk}" data-status="failed"' in page
    assert "HTTP 500: the bot did not take the message." in page
    assert "down for maintenance" not in page  # the answer's body is never shown
    assert 'data-testid="gave-up"' in page
    # And the retry button gives it one more try, which now succeeds
    fake_bot.default = (200, {"errcode": 0, "errmsg": "ok"})
    with after_commit():
        response = client.post(f"/notifications/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 4)


def test_a_delivery_is_sent_once_even_if_two_workers_hold_it(org, channel, fake_bot):
    # Given a delivery that is due (its after-commit task never ran)
    bot = channel("wecom")
    services.preference_set(user=org.rep_a, kind="*", email=False, channel_ids=[bot.pk])
    services.notify(recipients=[org.rep_a], kind="rule", title="once")
    delivery = Delivery.objects.get()
    # When the task and a sweep's task both attempt it, one after the other
    first = sending.attempt(delivery.pk)
    second = sending.attempt(delivery.pk)
    # Then only the first sends
    assert (first, second) == ("sent", "")
    assert len(fake_bot.requests) == 1


def test_the_sweep_picks_up_deliveries_whose_task_never_ran(org, channel, fake_bot, after_commit):
    bot = channel("wecom")
    services.preference_set(user=org.rep_a, kind="*", email=False, channel_ids=[bot.pk])
    with clock.frozen(T0):
        services.notify(recipients=[org.rep_a], kind="rule", title="lost task")  # no commit
    # Within the lease the sweep leaves it to the task…
    with after_commit():
        assert sweeps.retry_deliveries(T0 + dt.timedelta(minutes=1)) == ""
    # …after it, the sweep sends it.
    with clock.frozen(T0 + dt.timedelta(minutes=6)), after_commit():
        sweeps.retry_deliveries(T0 + dt.timedelta(minutes=6))
    assert Delivery.objects.get().status == "sent"
    assert len(fake_bot.requests) == 1


def test_a_connection_error_is_a_failure_with_the_reason(org, channel, after_commit):
    bot = channel("wecom")
    services.channel_update(actor=org.admin, channel=bot, webhook_url="http://127.0.0.1:9/x")
    delivery = send_via(bot, org.rep_a, after_commit=after_commit)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "ConnectionError" in delivery.last_error


# --- URL safety -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_private_and_loopback_targets_are_refused_by_default(org, url):
    with pytest.raises(ValidationError) as exc:
        services.channel_create(actor=org.admin, kind="wecom", name="x", webhook_url=url)
    assert "private or loopback" in exc.value.message_dict["webhook_url"][0]


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "javascript:alert(1)", "example.com"])
def test_only_http_and_https_urls_are_accepted(org, url):
    with pytest.raises(ValidationError) as exc:
        services.channel_create(actor=org.admin, kind="dingtalk", name="x", webhook_url=url)
    assert "http://" in exc.value.message_dict["webhook_url"][0]


def test_a_public_host_name_is_accepted(org):
    made = services.channel_create(
        actor=org.admin,
        kind="wecom",
        name="销售群",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
    )
    assert made.target_display == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…"


def test_a_private_target_is_refused_again_when_sending(
    org, channel, fake_bot, after_commit, settings
):
    # Given a channel saved while private targets were allowed
    bot = channel("wecom")
    # When the setting is switched off before the message goes out
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    delivery = send_via(bot, org.rep_a, after_commit=after_commit)
    # Then nothing reaches the server and the delivery says why
    delivery.refresh_from_db()
    assert fake_bot.requests == []
    assert delivery.status == "failed"
    assert "private or loopback" in delivery.last_error


# --- test button ---------------------------------------------------------------------------------------


def test_the_send_test_message_button_reports_success_and_failure(org, channel, fake_bot, client):
    bot = channel("wecom")
    client.force_login(org.admin)
    response = client.post(f"/notifications/channels/{bot.pk}/test/", follow=True)
    assert "Test message sent" in response.content.decode()
    assert fake_bot.requests[0]["json"]["msgtype"] == "markdown"
    assert "SalesOps test message" in fake_bot.requests[0]["json"]["markdown"]["content"]
    fake_bot.answer((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    response = client.post(f"/notifications/channels/{bot.pk}/test/", follow=True)
    assert "error code 93000: the webhook key is invalid" in response.content.decode()
    assert "invalid webhook url" not in response.content.decode()
