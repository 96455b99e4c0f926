"""company_key learned more legal-form suffixes (股份公司, Company, PLC …) and bracketed
notes (【…】, […]): recompute the stored keys that change (issue 13, L4)."""

from django.db import migrations


def refill_name_keys(apps, schema_editor):
    from salesops.core.names import company_key

    Account = apps.get_model("customers", "Account")
    batch = []
    rows = Account.objects.only("id", "name", "name_key", "name_prefix").order_by("pk")
    for account in rows.iterator(chunk_size=2000):
        key = company_key(account.name)
        if key == account.name_key and key[:2] == account.name_prefix:
            continue
        account.name_key, account.name_prefix = key, key[:2]
        batch.append(account)
        if len(batch) >= 2000:
            Account.objects.bulk_update(batch, ["name_key", "name_prefix"])
            batch = []
    if batch:
        Account.objects.bulk_update(batch, ["name_key", "name_prefix"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_account_success_owner")]

    operations = [migrations.RunPython(refill_name_keys, migrations.RunPython.noop)]
