"""Webhook actions: signed JSON to a local fake server, retries after a 5xx with backoff,
every attempt logged; private and loopback targets refused unless allowed. The deliveries
are the notifications app's (one delivery mechanism): the first attempt goes out after
the commit, retries through its sweep."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from salesops.automation import services
from salesops.automation.models import RuleFiring
from salesops.core import clock
from salesops.customers.tests.factories import make_account
from salesops.notifications import senders, sending
from salesops.notifications import services as notification_services
from salesops.notifications.models import Delivery

from .conftest import at, make_rule
from .conftest import tick as tick_only

pytestmark = pytest.mark.django_db


def tick(moment):
    """``salesops tick`` at ``moment``, then what it queued for after the commit (the
    delivery task, inline under pytest), as a real commit would, at the same instant."""
    with clock.frozen(moment), TestCase.captureOnCommitCallbacks(execute=True):
        return tick_only(moment)


def webhook_deliveries(**filters):
    return Delivery.objects.filter(channel="webhook", **filters)


class FakeReceiver:
    """An HTTP server on 127.0.0.1 (port chosen by the OS) that answers with the next
    status from ``statuses`` and checks each request's signature with ``secret``."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.secret = ""
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = (
                    "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                )
                signature = self.headers.get("X-SalesOps-Signature", "")
                receiver.requests.append(
                    {
                        "body": body,
                        "signature_ok": hmac.compare_digest(signature, expected),
                        "content_type": self.headers.get("Content-Type"),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"server trouble")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/salesops"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def webhook_rule(org, url, when):
    return make_rule(
        org.admin,
        when=when,
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60},
        actions=[{"kind": "webhook", "url": url}],
    )


def test_delivery_retries_after_a_500_and_is_signed(org, allow_private):
    with FakeReceiver([500, 200]) as receiver:
        # given a timer rule calling the receiver, which fails once
        rule = webhook_rule(org, receiver.url, at("2026-11-23", "09:00"))
        receiver.secret = rule.webhook_secret
        with clock.frozen(at("2026-11-23", "10:00")):
            account = make_account(org.rep_a, name="回调客户")
        # when the timer falls due: the firing is made and the first attempt gets a 500
        tick(at("2026-11-23", "11:00"))
        delivery = webhook_deliveries().get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "failed",
            1,
            500,
        )
        assert delivery.next_attempt_at == at("2026-11-23", "11:01")  # waiting to retry
        assert not delivery.gave_up
        # a tick before the backoff has passed does not retry
        tick(at("2026-11-23", "11:00"))
        assert webhook_deliveries().get().attempts == 1
        # when the backoff has passed, the retry succeeds
        tick(at("2026-11-23", "11:01"))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 2, 200)
    assert [entry["status_code"] for entry in delivery.log] == [500, 200]
    assert delivery.sent_at == at("2026-11-23", "11:01")
    assert (delivery.source_type, delivery.source_id) == ("rule", rule.pk)
    # the same signed bytes were sent both times, and the receiver verified the signature
    assert [r["signature_ok"] for r in receiver.requests] == [True, True]
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    payload = json.loads(receiver.requests[0]["body"])
    firing = RuleFiring.objects.get()
    assert payload["rule"] == {"id": rule.pk, "name": rule.name, "version": 1}
    assert payload["firing"]["id"] == firing.pk
    assert (payload["entity"], payload["object_id"]) == ("account", account.pk)
    assert payload["variables"]["name"] == "回调客户"
    assert firing.results[0]["delivery_id"] == delivery.pk
    assert delivery.source_ref == firing.pk


def test_a_delivery_gives_up_after_the_maximum_attempts(org, allow_private):
    notification_services.delivery_policy_update(actor=org.admin, max_attempts=3)
    with FakeReceiver([503, 503, 503, 200]) as receiver:
        rule = webhook_rule(org, receiver.url, at("2026-11-23", "09:00"))
        receiver.secret = rule.webhook_secret
        with clock.frozen(at("2026-11-23", "10:00")):
            make_account(org.rep_a)
        for moment in ("11:00", "11:01", "11:03", "11:07", "12:00"):
            tick(at("2026-11-23", moment))
    delivery = webhook_deliveries().get()
    assert (delivery.status, delivery.attempts, delivery.gave_up) == ("failed", 3, True)
    assert [e["status_code"] for e in delivery.log] == [503, 503, 503]
    assert len(receiver.requests) == 3


def test_a_client_error_is_not_retried(org, allow_private):
    with FakeReceiver([404]) as receiver:
        rule = webhook_rule(org, receiver.url, at("2026-11-23", "09:00"))
        receiver.secret = rule.webhook_secret
        with clock.frozen(at("2026-11-23", "10:00")):
            make_account(org.rep_a)
        tick(at("2026-11-23", "11:00"))
        tick(at("2026-11-23", "12:00"))
    delivery = webhook_deliveries().get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 404)
    assert delivery.gave_up


def test_the_event_path_sends_right_after_the_commit(
    org, allow_private, django_capture_on_commit_callbacks
):
    with FakeReceiver([200]) as receiver:
        rule = make_rule(
            org.admin,
            trigger_type="event",
            trigger={"event": "account.created"},
            actions=[{"kind": "webhook", "url": receiver.url}],
        )
        receiver.secret = rule.webhook_secret
        with django_capture_on_commit_callbacks(execute=True):
            make_account(org.rep_a)
    assert webhook_deliveries().get().status == "sent"
    assert [r["signature_ok"] for r in receiver.requests] == [True]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_loopback_targets_are_refused_by_default(org, url):
    with pytest.raises(ValidationError) as info:
        make_rule(
            org.admin,
            trigger_type="event",
            trigger={"event": "account.created"},
            actions=[{"kind": "webhook", "url": url}],
        )
    message = info.value.message_dict["actions.0.url"][0]
    assert "private or loopback" in message or "local address" in message


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/x", ""])
def test_only_http_urls_are_accepted(org, url):
    with pytest.raises(ValidationError) as info:
        make_rule(
            org.admin,
            trigger_type="event",
            trigger={"event": "account.created"},
            actions=[{"kind": "webhook", "url": url}],
        )
    assert "actions.0.url" in info.value.message_dict


def test_a_target_that_turned_private_is_refused_at_sending(org, allow_private, settings):
    # given a delivery to a loopback address made while that was allowed
    rule = webhook_rule(org, "http://127.0.0.1:9/hook", at("2026-11-23", "09:00"))
    with clock.frozen(at("2026-11-23", "10:00")):
        make_account(org.rep_a)
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    # when it is sent: refused, not retried
    tick(at("2026-11-23", "11:00"))
    delivery = webhook_deliveries().get(source_id=rule.pk)
    assert delivery.status == "failed" and delivery.gave_up
    assert "private or loopback" in delivery.last_error


def test_signature_and_backoff_helpers():
    assert senders.sign("s3cret", b"{}") == (
        "sha256=" + hmac.new(b"s3cret", b"{}", hashlib.sha256).hexdigest()
    )
    # the one backoff of every delivery: the policy's first delay (60 s), doubling, ≤ 6 h
    assert [sending.backoff(n).total_seconds() for n in (1, 2, 3, 10)] == [60, 120, 240, 21600]


def test_the_preview_shows_the_payload_without_sending(org, allow_private):
    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.created"},
        actions=[{"kind": "webhook", "url": "http://127.0.0.1:9/hook"}],
    )
    account = make_account(org.rep_a)
    answer = services.rule_preview(actor=org.admin, rule=rule, object_id=account.pk)
    assert answer["actions"][0]["payload"]["object_id"] == account.pk
    assert not webhook_deliveries().exists()


def test_a_failed_attempt_logs_the_status_code_not_the_answer(org, allow_private):
    # Issue 11, item 4: the receiver's answer is never kept or shown to the rule's admins.
    with FakeReceiver([500]) as receiver:
        rule = webhook_rule(org, receiver.url, at("2026-11-23", "09:00"))
        with clock.frozen(at("2026-11-23", "10:00")):
            make_account(org.rep_a)
        tick(at("2026-11-23", "11:00"))
    delivery = webhook_deliveries().get(source_id=rule.pk)
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500: the receiver did not accept the delivery."
    assert "server trouble" not in str(delivery.log)


@pytest.mark.parametrize(
    "url",
    ["http://100.100.100.200/latest/meta-data/", "http://[2002:7f00:1::]/", "http://0177.0.0.1/"],
)
def test_a_rule_refuses_targets_that_are_not_globally_routable(org, url):
    with pytest.raises(ValidationError) as info:
        make_rule(
            org.admin,
            trigger_type="event",
            trigger={"event": "account.created"},
            actions=[{"kind": "webhook", "url": url}],
        )
    assert "private or loopback" in info.value.message_dict["actions.0.url"][0]
