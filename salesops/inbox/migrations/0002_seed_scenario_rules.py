"""The starting keyword rules (Chinese and English); admins edit them on Settings · Inbox."""

from django.db import migrations

SEEDS = [
    (
        "complaint",
        30,
        "投诉\n不满\n故障\n退款\n差评\n太差\n坏了\n无法使用\n用不了\n一直报错\n没人处理\n"
        "complaint\nrefund\nbroken\nnot working\nunacceptable\ndisappointed\nterrible\n"
        "outage\nstill waiting\nfaulty",
    ),
    (
        "renewal",
        20,
        "续约\n续费\n到期\n续签\n合同快到期\n延期服务\nrenew\nrenewal\nexpire\nexpiring\n"
        "expiry\nextend the contract\nextend our subscription",
    ),
    (
        "inquiry",
        10,
        "询价\n报价\n价格\n多少钱\n试用\n演示\n了解一下\n采购\n方案\ndemo\nquote\nquotation\n"
        "price\npricing\ntrial\nhow much\ninterested in\nproposal\npurchase",
    ),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("inbox", "ScenarioRule")
    if Rule.objects.exists():
        return
    for scenario, priority, keywords in SEEDS:
        Rule.objects.create(scenario=scenario, priority=priority, keywords=keywords)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
