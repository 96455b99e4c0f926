"""Notifications over the REST API with a personal token."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.core.tests.visibility_matrix import ROLES, Case, assert_matrix, only
from salesops.notifications import services
from salesops.notifications.models import ChannelConfig, Delivery
from salesops.org.services import api_token_create

from .factories import ChannelConfigFactory, NotificationFactory

API = "/api/v1"


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def send(user, title="Hello"):
    return NotificationFactory(recipient=user, kind="rule", title=title)


def test_my_notifications_unread_count_and_mark_read(org):
    # Given rep_a has two notifications and rep_b one
    first = send(org.rep_a, "first")
    send(org.rep_a, "second")
    send(org.rep_b, "theirs")
    api = token_client(org.rep_a)
    # When rep_a lists them
    body = api.get(f"{API}/notifications").json()
    # Then they see only their own
    assert body["count"] == 2
    assert {n["title"] for n in body["results"]} == {"first", "second"}
    assert api.get(f"{API}/notifications/unread-count").json() == {"unread": 2}
    # When they mark one read
    marked = api.post(f"{API}/notifications/{first.pk}/read").json()
    assert marked["read_at"] is not None
    assert api.get(f"{API}/notifications/unread-count").json() == {"unread": 1}
    assert api.get(f"{API}/notifications?unread=true").json()["count"] == 1
    # And the rest at once
    assert api.post(f"{API}/notifications/read-all").json() == {"marked": 1}
    assert api.get(f"{API}/notifications/unread-count").json() == {"unread": 0}


def test_another_users_notification_is_not_found(org):
    theirs = send(org.rep_b)
    api = token_client(org.rep_a)
    response = api.post(f"{API}/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_my_preferences(org, allow_private):
    bot = services.channel_create(
        actor=org.admin, kind="feishu", name="飞书群", webhook_url="http://127.0.0.1:1/x"
    )
    api = token_client(org.rep_a)
    rows = {r["kind"]: r for r in api.get(f"{API}/notification-preferences").json()}
    assert rows["*"]["custom"] is False
    assert rows["rule"]["email"] is False  # no address on the profile
    response = api.put(
        f"{API}/notification-preferences/rule",
        data={"email": False, "channel_ids": [bot.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["channel_ids"] == [bot.pk]
    assert response.json()["custom"] is True
    # email without an address is a 422 naming the field
    response = api.put(
        f"{API}/notification-preferences/*",
        data={"email": True},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "email"
    assert api.delete(f"{API}/notification-preferences/rule").status_code == 204
    rows = {r["kind"]: r for r in api.get(f"{API}/notification-preferences").json()}
    assert rows["rule"]["custom"] is False


def test_admin_channel_crud_never_returns_the_secret(org, allow_private):
    api = token_client(org.admin)
    response = api.post(
        f"{API}/notification-channels",
        data={
            "kind": "dingtalk",
            "name": "DingTalk East",
            "webhook_url": "http://127.0.0.1:1/robot/send?access_token=abc",
            "secret": "SECxyz",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["has_secret"] is True
    assert "SECxyz" not in response.content.decode()
    assert "access_token=abc" not in response.content.decode()
    channel_id = made["id"]
    response = api.patch(
        f"{API}/notification-channels/{channel_id}",
        data={"secret": "", "active": False},
        content_type="application/json",
    )
    assert response.json()["has_secret"] is False
    assert response.json()["active"] is False
    assert api.delete(f"{API}/notification-channels/{channel_id}").status_code == 204
    assert not ChannelConfig.objects.exists()


def test_admin_channel_validation_is_a_422_naming_the_field(org):
    api = token_client(org.admin)
    response = api.post(
        f"{API}/notification-channels",
        data={"kind": "wecom", "name": "x", "webhook_url": "http://192.168.0.2/hook"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "webhook_url"


CHANNELS = Case(
    list=f"{API}/notification-channels",
    list_ids=lambda body: [row["id"] for row in body],
    counted=False,
    detail=f"{API}/notification-channels/{{pk}}",
    update={"name": "renamed by the matrix"},
    delete=True,
    hidden=403,  # configuration: others are told no, not "not found"
)


@pytest.mark.parametrize("role", ROLES)
def test_bot_channels_follow_the_matrix_sales_ops_admins_only(org, role):
    channel = ChannelConfigFactory(actor=org.admin, webhook_url="https://example.com/hook")
    admins = only("admin")
    assert_matrix(CHANNELS, org=org, role=role, records={"admin": channel}, sees=admins)


@pytest.mark.parametrize("user", ["rep_a", "manager_east", "director", "finance"])
def test_channels_and_deliveries_are_forbidden_to_others(org, user):
    api = token_client(getattr(org, user))
    assert api.get(f"{API}/notification-deliveries").status_code == 403
    response = api.post(
        f"{API}/notification-channels",
        data={"kind": "wecom", "name": "x", "webhook_url": "https://example.com/"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ChannelConfig.objects.exists()


def test_admin_lists_deliveries_by_status(org, django_capture_on_commit_callbacks):
    org.rep_a.email = "a@example.com"
    org.rep_a.save(update_fields=["email"])
    send(org.rep_a)  # not committed: stays pending
    api = token_client(org.admin)
    body = api.get(f"{API}/notification-deliveries?status=pending").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert (row["channel"], row["status"], row["recipient_id"], row["target"]) == (
        "email",
        "pending",
        org.rep_a.pk,
        "a@example.com",
    )
    assert api.get(f"{API}/notification-deliveries?status=sent").json()["count"] == 0
    assert api.get(f"{API}/notification-deliveries?status=nope").status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}/notification-deliveries/{row['id']}/retry")
    assert response.status_code == 200
    assert Delivery.objects.get().status == "sent"


def test_admin_lists_webhook_deliveries_with_their_source(org):
    # Given a rule's webhook delivery beside a notification's email copy
    org.rep_a.email = "a@example.com"
    org.rep_a.save(update_fields=["email"])
    send(org.rep_a)
    hook = services.outbound_create(
        url="https://hooks.example.com/x", body="{}", source_type="rule", source_id=4, source_ref=9
    )
    api = token_client(org.admin)
    # When the admin lists the webhooks only
    body = api.get(f"{API}/notification-deliveries?channel=webhook").json()
    # Then the row carries the URL and where it came from, and no notification
    (row,) = body["results"]
    assert (row["id"], row["url"], row["source_id"], row["source_ref"]) == (
        hook.pk,
        "https://hooks.example.com/x",
        4,
        9,
    )
    assert (row["notification_id"], row["recipient_id"], row["title"]) == (None, None, "")
    assert api.get(f"{API}/notification-deliveries?q=hooks.example").json()["count"] == 1
    assert api.get(f"{API}/notification-deliveries?channel=fax").status_code == 422
    # and the automation API's webhook list reads the same rows
    old = api.get(f"{API}/automation/deliveries?rule=4").json()
    assert [(r["id"], r["rule_id"], r["firing_id"]) for r in old["results"]] == [(hook.pk, 4, 9)]
    assert api.get(f"{API}/automation/deliveries?rule=5").json()["count"] == 0
