"""notify / notify_many: inbox rows and deliveries per the recipients' preferences, email
through Django's mail API, preferences and their validation."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesops.core import clock
from salesops.notifications import selectors, services
from salesops.notifications.models import Delivery, Notification

from .conftest import at


def with_email(user, address=None):
    user.email = address or f"{user.username}@example.com"
    user.save(update_fields=["email"])
    return user


# --- defaults ---------------------------------------------------------------------------------


def test_notify_writes_one_inbox_row_per_recipient_and_drops_duplicates(org):
    # Given two reps, one named twice (once as a user, once by id)
    # When a rule notifies them
    made = services.notify(
        recipients=[org.rep_a, org.rep_b.pk, org.rep_a],
        kind="rule",
        title="Lead not contacted",
        body="Call 张三 within the hour.",
        link="/customers/accounts/1/",
        source="rule:5:v2",
    )
    # Then each gets exactly one unread inbox row with everything the caller gave
    assert sorted(n.recipient_id for n in made) == sorted([org.rep_a.pk, org.rep_b.pk])
    row = Notification.objects.get(recipient=org.rep_a)
    assert (row.kind, row.title, row.body, row.link, row.source) == (
        "rule",
        "Lead not contacted",
        "Call 张三 within the hour.",
        "/customers/accounts/1/",
        "rule:5:v2",
    )
    assert row.read_at is None


def test_without_preferences_a_user_gets_the_inbox_plus_email_if_they_have_an_address(
    org, after_commit
):
    # Given rep_a has an email address and rep_b has none
    with_email(org.rep_a)
    # When both are notified and the transaction commits
    with after_commit():
        services.notify(recipients=[org.rep_a, org.rep_b], kind="rule", title="Hello")
    # Then only rep_a gets an email delivery, and it was sent through Django's mail API
    deliveries = list(Delivery.objects.all())
    assert [(d.notification.recipient_id, d.channel) for d in deliveries] == [
        (org.rep_a.pk, "email")
    ]
    assert deliveries[0].status == "sent"
    assert deliveries[0].attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep_a@example.com"]
    assert mail.outbox[0].subject == "Hello"


def test_email_body_carries_the_message_and_the_full_link(org, settings, after_commit):
    settings.SALESOPS = {**settings.SALESOPS, "SITE_URL": "https://crm.example.cn"}
    with_email(org.rep_a)
    with after_commit():
        services.notify(
            recipients=[org.rep_a],
            kind="rule",
            title="Deal stalled",
            body="No activity for 14 days.",
            link="/customers/accounts/7/",
        )
    assert mail.outbox[0].body == (
        "No activity for 14 days.\n\nhttps://crm.example.cn/customers/accounts/7/"
    )


def test_nothing_is_sent_before_the_transaction_commits(org, django_capture_on_commit_callbacks):
    with_email(org.rep_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(recipients=[org.rep_a], kind="rule", title="Hello")
    # The delivery waits for the commit; a rolled-back transaction sends nothing.
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert Delivery.objects.get().status == "pending"


def test_inactive_users_get_nothing(org, after_commit):
    with_email(org.rep_a)
    org.rep_a.is_active = False
    org.rep_a.save(update_fields=["is_active"])
    with after_commit():
        made = services.notify(recipients=[org.rep_a, org.rep_b], kind="rule", title="Hi")
    assert [n.recipient_id for n in made] == [org.rep_b.pk]
    assert mail.outbox == []


def test_an_unknown_kind_format_is_a_programming_error(org):
    with pytest.raises(ValueError, match="notification kind"):
        services.notify(recipients=[org.rep_a], kind="Not A Kind!", title="x")


def test_long_titles_are_shortened_not_refused(org):
    (n,) = services.notify(recipients=[org.rep_a], kind="rule", title="长" * 300)
    assert len(n.title) == 200
    assert n.title.endswith("…")


# --- preferences --------------------------------------------------------------------------------


def test_a_kind_preference_overrides_the_default_row(org, channel, after_commit, fake_bot):
    # Given rep_a wants email by default, but only the WeCom bot for "rule" notifications
    with_email(org.rep_a)
    bot = channel("wecom")
    services.preference_set(user=org.rep_a, kind="*", email=True)
    services.preference_set(user=org.rep_a, kind="rule", email=False, channel_ids=[bot.pk])
    # When a rule notification and a system message arrive
    with after_commit():
        services.notify(recipients=[org.rep_a], kind="rule", title="Rule says hi")
        services.notify(recipients=[org.rep_a], kind="system", title="System says hi")
    # Then the rule one went to the bot only and the system one by email only
    got = {(d.notification.kind, d.channel, d.status) for d in Delivery.objects.all()}
    assert got == {("rule", "wecom", "sent"), ("system", "email", "sent")}
    assert [m.subject for m in mail.outbox] == ["System says hi"]
    assert len(fake_bot.requests) == 1


def test_inbox_only_preference_sends_no_copies(org, after_commit):
    with_email(org.rep_a)
    services.preference_set(user=org.rep_a, kind="*", email=False)
    with after_commit():
        services.notify(recipients=[org.rep_a], kind="rule", title="Quiet")
    assert Notification.objects.filter(recipient=org.rep_a).count() == 1
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_switched_off_channels_are_skipped(org, channel, after_commit):
    bot = channel("wecom")
    services.preference_set(user=org.rep_a, kind="*", email=False, channel_ids=[bot.pk])
    services.channel_update(actor=org.admin, channel=bot, active=False)
    with after_commit():
        services.notify(recipients=[org.rep_a], kind="rule", title="x")
    assert not Delivery.objects.exists()


def test_preference_validation_names_every_problem(org, channel):
    bot = channel("wecom")
    services.channel_update(actor=org.admin, channel=bot, active=False)
    with pytest.raises(ValidationError) as exc:
        services.preference_set(user=org.rep_b, kind="rule", email=True, channel_ids=[bot.pk, 999])
    errors = exc.value.message_dict
    assert "email address" in errors["email"][0]
    assert "999" in errors["channels"][0]


def test_clearing_a_kind_preference_falls_back_to_the_default(org):
    with_email(org.rep_a)
    services.preference_set(user=org.rep_a, kind="rule", email=False)
    services.preference_clear(user=org.rep_a, kind="rule")
    rule = next(r for r in selectors.preference_rows(user=org.rep_a) if r["kind"] == "rule")
    assert rule == {
        "kind": "rule",
        "label": rule["label"],
        "custom": False,
        "email": True,
        "channel_ids": [],
    }


# --- notify_many ---------------------------------------------------------------------------------


def _items(users, n):
    return [
        {
            "recipient_id": users[i % len(users)].pk,
            "kind": "rule",
            "title": f"Reminder {i}",
            "body": "",
            "link": "",
            "source": "rule:1:v1",
        }
        for i in range(n)
    ]


def test_notify_many_writes_everything_in_a_constant_number_of_queries(org, channel):
    # Given four reps with different preferences (email, bot, default without address)
    users = [org.rep_a, org.rep_b, org.rep_c, org.rep_d]
    with_email(org.rep_a)
    with_email(org.rep_b)
    bot = channel("dingtalk")
    services.preference_set(user=org.rep_b, kind="rule", email=True, channel_ids=[bot.pk])
    # When a sweep sends 100 and then 1,200 notifications in one call each
    with CaptureQueriesContext(connection) as small:
        assert services.notify_many(_items(users, 100)) == 100
    with CaptureQueriesContext(connection) as large:
        assert services.notify_many(_items(users, 1200)) == 1200

    # Then nothing is looked up per notification: the reads (users, preferences) are the
    # same few for 100 as for 1,200, and the writes are bulk inserts (SQLite's bound-variable
    # limit splits them into batches of ~120 rows; PostgreSQL takes 500 per statement)
    def reads(ctx):
        return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]

    assert len(reads(small)) == len(reads(large)) <= 4
    assert len(large) < 1200 * 2 / 50
    # And every recipient's preferences were applied
    assert Notification.objects.count() == 1300
    per_channel = {
        (uid, ch): Delivery.objects.filter(notification__recipient_id=uid, channel=ch).count()
        for uid, ch in [
            (org.rep_a.pk, "email"),
            (org.rep_b.pk, "email"),
            (org.rep_b.pk, "dingtalk"),
            (org.rep_c.pk, "email"),
        ]
    }
    assert per_channel == {
        (org.rep_a.pk, "email"): 325,
        (org.rep_b.pk, "email"): 325,
        (org.rep_b.pk, "dingtalk"): 325,
        (org.rep_c.pk, "email"): 0,
    }


def test_notify_many_with_nothing_does_nothing(db):
    assert services.notify_many([]) == 0


# --- the inbox ------------------------------------------------------------------------------------


def test_mark_read_only_touches_the_users_own_notification(org):
    (mine,) = services.notify(recipients=[org.rep_a], kind="rule", title="Mine")
    with clock.frozen(at("2026-03-02 10:00")):
        services.notification_mark_read(user=org.rep_a, notification_id=mine.pk)
    mine.refresh_from_db()
    assert mine.read_at == at("2026-03-02 10:00")
    with pytest.raises(Notification.DoesNotExist):
        services.notification_mark_read(user=org.rep_b, notification_id=mine.pk)


def test_unread_first_then_newest(org):
    with clock.frozen(at("2026-03-01 09:00")):
        old_unread = services.notify(recipients=[org.rep_a], kind="rule", title="old unread")[0]
    with clock.frozen(at("2026-03-02 09:00")):
        new_read = services.notify(recipients=[org.rep_a], kind="rule", title="new read")[0]
        services.notification_mark_read(user=org.rep_a, notification_id=new_read.pk)
    with clock.frozen(at("2026-03-03 09:00")):
        newest = services.notify(recipients=[org.rep_a], kind="rule", title="newest")[0]
    assert [n.pk for n in selectors.inbox(user=org.rep_a)] == [
        newest.pk,
        old_unread.pk,
        new_read.pk,
    ]
    assert selectors.unread_count(user=org.rep_a) == 2
    assert services.notification_mark_all_read(user=org.rep_a) == 2
    assert selectors.unread_count(user=org.rep_a) == 0
