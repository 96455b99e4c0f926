"""company_key learned more legal-form suffixes (股份公司, Company, PLC …) and bracketed
notes (【…】, […]): recompute the stored keys that change (issue 13, L4)."""

from django.db import migrations


def refill_company_keys(apps, schema_editor):
    from salesops.core.names import company_key

    Lead = apps.get_model("leads", "Lead")
    batch = []
    rows = Lead.objects.only("id", "company", "company_key", "company_prefix").order_by("pk")
    for lead in rows.iterator(chunk_size=2000):
        key = company_key(lead.company)
        if key == lead.company_key and key[:2] == lead.company_prefix:
            continue
        lead.company_key, lead.company_prefix = key, key[:2]
        batch.append(lead)
        if len(batch) >= 2000:
            Lead.objects.bulk_update(batch, ["company_key", "company_prefix"])
            batch = []
    if batch:
        Lead.objects.bulk_update(batch, ["company_key", "company_prefix"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_assignment_over_cap")]

    operations = [migrations.RunPython(refill_company_keys, migrations.RunPython.noop)]
