"""The inbox, the unread badge, preferences and the admin pages, through the test client."""

from __future__ import annotations

import re

import pytest

from salesops.notifications import services
from salesops.notifications.models import (
    ChannelConfig,
    Delivery,
    DeliveryPolicy,
    Notification,
    NotificationPreference,
)

ROW = re.compile(r'data-testid="notification" data-id="(\d+)" data-read="(\d)"')


def rows(response) -> list[tuple[int, bool]]:
    assert response.status_code == 200
    return [(int(i), r == "1") for i, r in ROW.findall(response.content.decode())]


def send(user, title="Hello", **kwargs):
    return services.notify(recipients=[user], kind="rule", title=title, **kwargs)[0]


@pytest.fixture
def rep(client, org):
    client.force_login(org.rep_a)
    return org.rep_a


# --- inbox -------------------------------------------------------------------------------------------


def test_the_inbox_shows_only_my_notifications_unread_first(client, org, rep):
    # Given rep_a has a read and an unread notification and rep_b one of their own
    read = send(rep, "read one")
    services.notification_mark_read(user=rep, notification_id=read.pk)
    unread = send(rep, "unread one")
    send(org.rep_b, "not mine")
    # When rep_a opens the inbox
    response = client.get("/notifications/")
    # Then they see their two, unread first, and nothing of rep_b's
    assert rows(response) == [(unread.pk, False), (read.pk, True)]
    assert "not mine" not in response.content.decode()
    # And the unread filter shows only the unread one
    assert rows(client.get("/notifications/?show=unread")) == [(unread.pk, False)]


def test_the_inbox_paginates(client, rep, settings):
    settings.SALESOPS = {**settings.SALESOPS, "PAGE_SIZE": 3}
    for i in range(7):
        send(rep, f"n{i}")
    assert len(rows(client.get("/notifications/"))) == 3
    assert len(rows(client.get("/notifications/?page=3"))) == 1
    assert 'data-testid="pager"' in client.get("/notifications/").content.decode()


def test_the_badge_endpoint_counts_my_unread(client, org, rep):
    assert client.get("/notifications/badge/").content.decode().strip() == ""
    send(rep)
    send(rep)
    send(org.rep_b)
    body = client.get("/notifications/badge/").content.decode()
    assert 'data-count="2"' in body
    assert ">2</span>" in body


def test_the_badge_stops_polling_when_logged_out(client, db):
    # htmx stops an "every 30s" poll on HTTP 286 instead of swapping in a login page
    assert client.get("/notifications/badge/").status_code == 286


def test_every_page_polls_the_badge(client, rep):
    page = client.get("/notifications/").content.decode()
    assert 'hx-get="/notifications/badge/"' in page
    assert 'hx-trigger="load, every 30s' in page


def test_mark_one_read_with_htmx_returns_the_row(client, rep):
    n = send(rep)
    response = client.post(f"/notifications/{n.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert rows(response) == [(n.pk, True)]
    assert response["HX-Trigger"] == "notifications-changed"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_all_read(client, rep):
    send(rep)
    send(rep)
    response = client.post("/notifications/read-all/", follow=True)
    assert "2 notification(s) marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()


def test_another_users_notification_is_a_404(client, org, rep):
    theirs = send(org.rep_b, link="/customers/accounts/")
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.get(f"/api/v1/notifications/{theirs.pk}").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, rep):
    n = send(rep, link="/customers/accounts/")
    response = client.get(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/customers/accounts/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_an_external_link_is_not_followed(client, rep):
    n = send(rep, link="https://evil.example.com/")
    response = client.get(f"/notifications/{n.pk}/open/")
    assert response["Location"] == "/notifications/"


# --- preferences ----------------------------------------------------------------------------------


def test_preferences_page_saves_per_kind_choices(client, org, rep, allow_private):
    rep.email = "a@example.com"
    rep.save(update_fields=["email"])
    bot = services.channel_create(
        actor=org.admin, kind="wecom", name="华东销售群", webhook_url="http://127.0.0.1:1/x"
    )
    page = client.get("/notifications/preferences/").content.decode()
    assert "华东销售群" in page
    assert 'data-testid="pref-rule"' in page
    # When rep_a keeps email as the default, and picks only the bot for rule messages
    response = client.post(
        "/notifications/preferences/",
        {"email-*": "1", "custom-rule": "1", "channel-rule": [str(bot.pk)]},
    )
    assert response.status_code == 302
    prefs = {p.kind: p for p in NotificationPreference.objects.filter(user=rep)}
    assert set(prefs) == {"*", "rule"}
    assert prefs["*"].email is True
    assert prefs["rule"].email is False
    assert [c.pk for c in prefs["rule"].channels.all()] == [bot.pk]
    # When they switch the rule kind back to the default
    client.post("/notifications/preferences/", {"email-*": "1"})
    assert set(NotificationPreference.objects.filter(user=rep).values_list("kind", flat=True)) == {
        "*"
    }


def test_preferences_page_shows_the_error_for_email_without_an_address(client, rep):
    response = client.post("/notifications/preferences/", {"email-*": "1"})
    assert response.status_code == 200
    assert 'data-testid="pref-error"' in response.content.decode()


# --- admin pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["rep_a", "manager_east", "director", "finance"])
def test_channel_and_delivery_pages_are_for_sales_ops_admins_only(client, org, user):
    client.force_login(getattr(org, user))
    for url in (
        "/notifications/channels/",
        "/notifications/channels/new/",
        "/notifications/deliveries/",
        "/notifications/deliveries/policy/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/notifications/deliveries/policy/", {"max_attempts": 9}).status_code == 403


def test_admin_creates_edits_and_deletes_a_channel(client, org, allow_private):
    client.force_login(org.admin)
    menu = client.get("/").content.decode().split('data-testid="nav-settings"')[1]
    assert 'href="/notifications/channels/"' in menu.split("</li>")[0]  # in Settings
    # Create
    response = client.post(
        "/notifications/channels/new/",
        {
            "kind": "dingtalk",
            "name": "钉钉群",
            "webhook_url": "http://127.0.0.1:1/robot/send?access_token=t0ken",
            "secret": "SECabc",
            "active": "on",
        },
    )
    assert response.status_code == 302
    channel = ChannelConfig.objects.get(name="钉钉群")
    assert channel.secret == "SECabc"
    listing = client.get("/notifications/channels/").content.decode()
    assert "t0ken" not in listing  # the access token is a credential
    assert (
        "SECabc" not in client.get(f"/notifications/channels/{channel.pk}/edit/").content.decode()
    )
    # Edit with the secret left empty keeps it
    client.post(
        f"/notifications/channels/{channel.pk}/edit/",
        {"kind": "dingtalk", "name": "钉钉群 2", "webhook_url": channel.webhook_url, "secret": ""},
    )
    channel.refresh_from_db()
    assert (channel.name, channel.secret, channel.active) == ("钉钉群 2", "SECabc", False)
    # History records the change but never the secret
    assert channel.history.count() == 2
    assert not hasattr(channel.history.first(), "secret")
    # Delete
    client.post(f"/notifications/channels/{channel.pk}/delete/")
    assert not ChannelConfig.objects.exists()


def test_the_channel_form_shows_the_url_problem_on_the_field(client, org):
    client.force_login(org.admin)
    response = client.post(
        "/notifications/channels/new/",
        {"kind": "wecom", "name": "bad", "webhook_url": "http://10.0.0.1/hook"},
    )
    assert response.status_code == 200
    assert 'data-testid="error-webhook_url"' in response.content.decode()
    assert not ChannelConfig.objects.exists()


def test_the_one_deliveries_page_filters_by_kind_and_searches(client, org):
    # given a notification's email copy and a rule's webhook delivery
    client.force_login(org.admin)
    org.rep_a.email = "rep@example.com"
    org.rep_a.save()
    send(org.rep_a, title="客户未跟进")
    webhook = services.outbound_create(
        url="https://hooks.example.com/erp",
        body="{}",
        secret="s3cret",
        source_type="rule",
        source_id=7,
        send=False,
    )
    assert webhook.signature.startswith("sha256=")
    email = Delivery.objects.get(channel="email")

    def ids(**params):
        html = client.get("/notifications/deliveries/", params).content.decode()
        return {int(i) for i in re.findall(r'data-testid="delivery-row" data-id="(\d+)"', html)}

    # when the admin filters and searches, then each filter narrows the one list
    assert ids() == {email.pk, webhook.pk}
    assert ids(channel="webhook") == {webhook.pk}
    assert ids(channel="email") == {email.pk}
    assert ids(q="hooks.example") == {webhook.pk}
    assert ids(q="未跟进") == {email.pk}
    assert ids(q="nothing-like-this") == set()
    assert "Rule #7" in client.get("/notifications/deliveries/?channel=webhook").content.decode()


def test_an_admin_sets_the_retry_policy_on_its_page(client, org):
    # given the migrated defaults
    client.force_login(org.admin)
    policy = DeliveryPolicy.objects.get()
    assert (policy.max_attempts, policy.first_retry_seconds) == (5, 60)
    page = client.get("/notifications/deliveries/policy/").content.decode()
    assert 'name="max_attempts"' in page and 'value="5"' in page
    # when the admin sends an impossible value, it is refused by name and nothing changes
    response = client.post(
        "/notifications/deliveries/policy/", {"max_attempts": 0, "first_retry_seconds": 60}
    )
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    assert DeliveryPolicy.objects.get().max_attempts == 5
    # when they save a valid one, it is in force and audited
    response = client.post(
        "/notifications/deliveries/policy/", {"max_attempts": 3, "first_retry_seconds": 120}
    )
    assert response.status_code == 302
    policy = DeliveryPolicy.objects.get()
    assert (policy.max_attempts, policy.first_retry_seconds) == (3, 120)
    assert policy.history.first().history_user == org.admin
