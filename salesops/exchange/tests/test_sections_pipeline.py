"""App-template sections ``pipelines`` and ``automation_rules``."""

import pytest

from salesops.automation import services as rule_services
from salesops.automation.models import Rule, RuleVersion
from salesops.exchange.appconfig import base, engine
from salesops.org.tests.factories import UserFactory
from salesops.pipeline import configuration as config
from salesops.pipeline.defaults.rules import install_rules
from salesops.pipeline.models import Pipeline

pytestmark = pytest.mark.django_db

STAGES = [
    ("need", "需求确认", "Need confirmed", 10, ["need_confirmed"], []),
    ("sample", "技术交流/样品", "Samples", 30, ["contacts"], ["minutes"]),
    ("quote", "报价", "Quote", 50, ["amount"], ["quote"]),
    ("nego", "商务谈判", "Negotiation", 70, ["budget_confirmed"], []),
    ("sign", "合同签署", "Signing", 90, [], ["contract_draft"]),
]


def _file(**sections):
    return {"format": engine.FORMAT, "version": engine.VERSION, "name": "t", "sections": sections}


def _pipeline(admin):
    pipeline = config.pipeline_create(actor=admin, code="mfg", name_zh="制造业", name_en="Mfg")
    for code, zh, en, probability, fields, evidence in STAGES:
        config.stage_create(
            actor=admin, pipeline=pipeline, code=code, name_zh=zh, name_en=en,
            probability=probability, required_fields=fields, required_evidence=evidence,
            required_activities=[{"kind": "visit", "count": 1}] if code == "sample" else [],
            stall_days=8, next_actions="约技术交流\n寄样品" if code == "sample" else "",
        )  # fmt: skip
    return config.pipeline_update(actor=admin, pipeline=pipeline, is_active=True)


def test_pipeline_export_apply_export_and_idempotent():
    admin = UserFactory(role="admin")
    _pipeline(admin)
    exported = base.get("pipelines").export()
    mfg = next(p for p in exported if p["code"] == "mfg")
    assert [s.get("code") for s in mfg["stages"]] == [s[0] for s in STAGES] + [None, None]
    assert mfg["stages"][1]["required_activities"] == [{"kind": "visit", "count": 1}]
    assert mfg["stages"][-1] == {"kind": "lost", "name_zh": "输单", "name_en": "Lost",
                                 "colour": "red"}  # fmt: skip

    Pipeline.objects.filter(code="mfg").delete()
    data = _file(pipelines=exported)
    plan = engine.preview(data)
    assert plan.ok, plan.errors
    counts = engine.apply(data, actor=admin)
    assert counts["pipelines"]["created"] == 1
    assert base.get("pipelines").export() == exported
    assert engine.apply(data, actor=admin)["pipelines"]["changed"] == 0
    assert engine.apply(data, actor=admin)["pipelines"]["created"] == 0


def test_changed_pipeline_reorders_renames_and_adds_a_stage():
    admin = UserFactory(role="admin")
    _pipeline(admin)
    exported = base.get("pipelines").export()
    mfg = next(p for p in exported if p["code"] == "mfg")
    opened = mfg["stages"][:5]
    opened[0], opened[1] = opened[1], opened[0]
    opened[2]["name_zh"] = "正式报价"
    new = dict(opened[4], code="pay", name_zh="首付款", name_en="First payment",
               probability=95, required_evidence=[])  # fmt: skip
    mfg["stages"] = [*opened, new, *mfg["stages"][5:]]
    data = _file(pipelines=exported)
    assert engine.preview(data).ok
    engine.apply(data, actor=admin)
    pipeline = Pipeline.objects.get(code="mfg")
    codes = list(pipeline.open_stages().values_list("code", flat=True))
    assert codes == ["sample", "need", "quote", "nego", "sign", "pay"]
    assert pipeline.stages.get(code="quote").name_zh == "正式报价"
    assert base.get("pipelines").export() == exported


def test_unknown_evidence_and_field_are_named():
    UserFactory(role="admin")
    admin = UserFactory(role="admin")
    _pipeline(admin)
    exported = base.get("pipelines").export()
    mfg = next(p for p in exported if p["code"] == "mfg")
    mfg["code"] = "other"
    mfg["is_default"] = False
    mfg["stages"][0]["required_evidence"] = ["sample_confirmation"]
    mfg["stages"][1]["required_fields"] = ["shoe_size"]
    mfg["team"] = "不存在的团队"
    errors = "\n".join(engine.preview(_file(pipelines=[mfg])).errors)
    assert "evidence_type.sample_confirmation" in errors
    assert "shoe_size" in errors
    assert "不存在的团队" in errors


def test_automation_rules_round_trip_with_user_by_username():
    admin = UserFactory(role="admin", username="ops")
    boss = UserFactory(role="director", username="boss")
    rule_services.rule_create(
        actor=admin, name="大单提醒", trigger_type="event", entity="deal",
        trigger={"event": "deal.created"}, condition="amount > 1000000",
        actions=[{"kind": "notify", "to": ["owner", f"user:{boss.pk}"], "title": "大单提醒"}],
    )  # fmt: skip
    install_rules()  # the apps' default rules, as after ``migrate``
    exported = base.get("automation_rules").export()
    mine = next(r for r in exported if r["name"] == "大单提醒")
    assert "user:@boss" in mine["actions"][0]["to"]
    # The default rules the apps ship are exported like any other.
    assert any(r["code"] == "deal-stall-alert" for r in exported)

    Rule.objects.filter(name="大单提醒").update(current_version=None)
    RuleVersion.objects.filter(rule__name="大单提醒").delete()
    Rule.objects.filter(name="大单提醒").delete()
    data = _file(automation_rules=exported)
    assert engine.preview(data).ok
    counts = engine.apply(data, actor=admin)
    assert counts["automation_rules"]["created"] == 1
    assert counts["automation_rules"]["changed"] == 0
    assert base.get("automation_rules").export() == exported
    rule = Rule.objects.get(name="大单提醒")
    assert f"user:{boss.pk}" in rule.current_version.actions[0]["to"]
    assert engine.apply(data, actor=admin)["automation_rules"] == {
        "created": 0, "changed": 0, "unchanged": len(exported)
    }  # fmt: skip
    assert rule.versions.count() == 1


def test_automation_rule_with_a_missing_user_is_named():
    UserFactory(role="admin")
    item = {"code": "", "name": "找人", "description": "", "is_active": True,
            "trigger_type": "event", "entity": "deal", "trigger": {"event": "deal.created"},
            "condition": "", "actions": [{"kind": "notify", "to": ["user:@nobody"],
                                           "title": "x"}]}  # fmt: skip
    errors = engine.preview(_file(automation_rules=[item])).errors
    assert any("nobody" in e for e in errors)
