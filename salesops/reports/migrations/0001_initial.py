"""AccountValue and LtvFormula move from ``revenue`` to ``reports`` in Django's state
only: their tables (``revenue_accountvalue``, ``revenue_ltvformula``) and rows stay as
they are (``sqlmigrate reports 0001`` and ``sqlmigrate revenue 0004`` print no SQL).
The two content types are relabelled, so admin log entries and any permissions granted
on them follow the models."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("accountvalue", "ltvformula")


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="revenue", model__in=MOVED
    ).update(app_label="reports")


def relabel_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="reports", model__in=MOVED
    ).update(app_label="revenue")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0006_account_external_id"),
        ("revenue", "0004_ltv_moved_to_reports"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AccountValue',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('realised', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='realised revenue')),
                        ('projected', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='projected value')),
                        ('total', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='lifetime value')),
                        ('inputs', models.JSONField(default=dict, verbose_name='inputs')),
                        ('formula_source', models.TextField(verbose_name='formula')),
                        ('formula_version', models.PositiveIntegerField(verbose_name='formula version')),
                        ('error', models.CharField(blank=True, help_text='Why the formula could not be evaluated (the projection is then 0).', max_length=500, verbose_name='formula error')),
                        ('computed_at', models.DateTimeField(verbose_name='computed at')),
                        ('account', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='ltv', to='customers.account', verbose_name='account')),
                    ],
                    options={
                        'verbose_name': 'account lifetime value',
                        'verbose_name_plural': 'account lifetime values',
                        'ordering': ['-total', 'account_id'],
                        'db_table': 'revenue_accountvalue',
                    },
                ),
                migrations.CreateModel(
                    name='LtvFormula',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(editable=False, unique=True, verbose_name='version')),
                        ('source', models.TextField(help_text='For example “outstanding + pending_renewals * coalesce(nps_average, 7) / 10”.', max_length=2000, verbose_name='formula')),
                        ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                        ('created_at', models.DateTimeField(editable=False, verbose_name='created at')),
                        ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                    ],
                    options={
                        'verbose_name': 'LTV formula',
                        'verbose_name_plural': 'LTV formulas',
                        'ordering': ['-version'],
                        'db_table': 'revenue_ltvformula',
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, relabel_back, elidable=True),
    ]
