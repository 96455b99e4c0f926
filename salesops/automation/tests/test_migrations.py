"""The webhook deliveries' data migration: every WebhookDelivery row becomes a
notifications Delivery of kind webhook, its status mapped, then the table is dropped."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("automation", "0001_initial"), ("notifications", "0002_unified_deliveries")]
AFTER = [("automation", "0002_webhook_deliveries_to_notifications")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _latest_after():
    """Going back to automation 0001 unapplies every app's migrations that depend on a
    later one (knowledge's, for one): migrate everything forward again afterwards, or the
    worker's next tests find tables missing."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_webhook_deliveries_are_copied_into_the_one_delivery_log():
    # given the old table with a delivered, a retrying and a given-up delivery
    old = migrate(BEFORE)
    Rule = old.get_model("automation", "Rule")
    WebhookDelivery = old.get_model("automation", "WebhookDelivery")
    when = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    rule = Rule.objects.create(
        name="Hook", trigger_type="event", webhook_secret="s", watch_from=when
    )
    common = {"rule": rule, "url": "https://example.com/hook", "body": "{}", "created_at": when}
    WebhookDelivery.objects.create(
        **common,
        signature="sha256=a",
        status="delivered",
        attempts=1,
        last_status_code=200,
        log=[{"status_code": 200}],
        delivered_at=when,
    )
    WebhookDelivery.objects.create(
        **common,
        signature="sha256=b",
        status="retrying",
        attempts=2,
        last_status_code=503,
        last_error="HTTP 503",
        next_attempt_at=when,
    )
    WebhookDelivery.objects.create(
        **common, signature="sha256=c", status="failed", attempts=5, next_attempt_at=when
    )
    # when the migration runs
    new = migrate(AFTER)
    # then each is a webhook delivery with its source, status and attempt log
    Delivery = new.get_model("notifications", "Delivery")
    rows = {d.signature: d for d in Delivery.objects.filter(channel="webhook")}
    assert set(rows) == {"sha256=a", "sha256=b", "sha256=c"}
    a, b, c = rows["sha256=a"], rows["sha256=b"], rows["sha256=c"]
    assert (a.status, a.sent_at, a.log, a.next_attempt_at) == (
        "sent",
        when,
        [{"status_code": 200}],
        None,
    )
    assert (b.status, b.attempts, b.last_status_code, b.next_attempt_at) == ("failed", 2, 503, when)
    assert (c.status, c.next_attempt_at) == ("failed", None)  # given up
    assert {(d.source_type, d.source_id, d.url) for d in rows.values()} == {
        ("rule", rule.pk, "https://example.com/hook")
    }
    assert a.headers == {"X-SalesOps-Rule": str(rule.pk)}
    assert "automation_webhookdelivery" not in connection.introspection.table_names()
