from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0002_conversion_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                fields=[
                    "status",
                    "closed_at",
                    "owner",
                    "account",
                    "product_line",
                    "amount",
                    "stage",
                ],
                name="deal_status_closed",
            ),
        ),
    ]
