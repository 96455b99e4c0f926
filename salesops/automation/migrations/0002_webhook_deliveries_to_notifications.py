"""Webhook deliveries join the one delivery log of the notifications app: every row is
copied (status mapped: delivered → sent, retrying → failed with its next attempt, failed →
failed and given up), then the automation table is dropped."""

from django.db import migrations

STATUS = {"pending": "pending", "retrying": "failed", "delivered": "sent", "failed": "failed"}


def copy_deliveries(apps, schema_editor):
    WebhookDelivery = apps.get_model("automation", "WebhookDelivery")
    Delivery = apps.get_model("notifications", "Delivery")
    batch = []
    for old in WebhookDelivery.objects.order_by("pk").iterator(chunk_size=1000):
        given_up = old.status == "failed"
        batch.append(
            Delivery(
                channel="webhook",
                url=old.url,
                body=old.body,
                signature=old.signature,
                headers={"X-SalesOps-Rule": str(old.rule_id)},
                source_type="rule",
                source_id=old.rule_id,
                source_ref=old.firing_id,
                status=STATUS.get(old.status, "failed"),
                attempts=old.attempts,
                next_attempt_at=None if given_up or old.status == "delivered" else old.next_attempt_at,
                last_status_code=old.last_status_code,
                last_error=old.last_error,
                log=old.log or [],
                created_at=old.created_at,
                sent_at=old.delivered_at,
            )
        )
        if len(batch) >= 1000:
            Delivery.objects.bulk_create(batch)
            batch = []
    if batch:
        Delivery.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("notifications", "0002_unified_deliveries"),
    ]

    operations = [
        migrations.RunPython(copy_deliveries, migrations.RunPython.noop),
        migrations.DeleteModel(name="WebhookDelivery"),
    ]
