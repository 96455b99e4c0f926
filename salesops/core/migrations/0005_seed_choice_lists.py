"""The enumerations that were fixed in code become editable lists, seeded with the codes
and labels records already store (issue 13, item 3)."""

from django.db import migrations

from salesops.core.choice_seeds import LISTS

def seed(apps, schema_editor):
    ChoiceList = apps.get_model("core", "ChoiceList")
    Choice = apps.get_model("core", "Choice")
    for key, (name_en, name_zh, options) in LISTS.items():
        choice_list, _created = ChoiceList.objects.get_or_create(
            key=key, defaults={"name_en": name_en, "name_zh": name_zh}
        )
        for order, (code, label_en, label_zh) in enumerate(options, start=1):
            Choice.objects.get_or_create(
                choice_list=choice_list,
                code=code,
                defaults={"label_en": label_en, "label_zh": label_zh, "order": order * 10},
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_org_settings")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
