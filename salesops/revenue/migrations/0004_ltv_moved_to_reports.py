"""AccountValue and LtvFormula now belong to ``reports`` (its migration 0001, which runs
after this one, adds them to the state with the same tables): removed here from Django's
state only, so no table is dropped and no row moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0003_revenue_policy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="AccountValue"),
                migrations.DeleteModel(name="LtvFormula"),
            ],
        ),
    ]
