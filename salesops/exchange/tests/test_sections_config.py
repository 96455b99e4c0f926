"""App-template sections ``kpi_schemes``, ``bonus_plans``, ``target_settings`` and
``notification_channels``: export → apply into a database without them → the same export;
a second apply changes nothing; bad references are named."""

import pytest

from salesops.exchange.appconfig import base, engine
from salesops.incentives.models import BonusPlan, PlanComponent, PlanVersion
from salesops.incentives.tests.factories import make_plan
from salesops.kpi.models import Scheme
from salesops.kpi.tests.factories import item, make_scheme
from salesops.notifications import services as notification_services
from salesops.notifications.models import ChannelConfig
from salesops.org.tests.factories import TeamFactory, UserFactory
from salesops.targets import policy as target_policy
from salesops.targets.models import TargetPolicy

pytestmark = pytest.mark.django_db


def _file(**sections):
    return {"format": engine.FORMAT, "version": engine.VERSION, "name": "t", "sections": sections}


def _round_trip(section: str, remove, admin) -> list[dict]:
    exported = base.get(section).export()
    remove()
    data = _file(**{section: exported})
    plan = engine.preview(data)
    assert plan.ok, plan.errors
    first = engine.apply(data, actor=admin)[section]
    assert base.get(section).export() == exported
    second = engine.apply(data, actor=admin)[section]
    assert second == {"created": 0, "changed": 0, "unchanged": len(exported)}
    return first


def test_kpi_schemes_round_trip():
    admin = UserFactory(role="admin")
    team = TeamFactory(name="华东大区")
    make_scheme(
        name="华东销售 KPI", team=team, result_weight=65, process_weight=25, quality_weight=10,
        items=[item("signed_amount", "result", 100, target_value=500000),
               item("visits", "process", 100, target_value=15),
               item("complaint_rate", "quality", 100, target_source="none",
                    formula="max(100 - coalesce(actual, 0) * 20, 0)")],
        keep_others=True,
    )  # fmt: skip
    exported = base.get("kpi_schemes").export()
    mine = next(s for s in exported if s["name"] == "华东销售 KPI")
    assert mine["team"] == "华东大区"
    assert (mine["result_weight"], mine["items"][0]["target_value"]) == ("65", "500000")
    first = _round_trip(
        "kpi_schemes", lambda: Scheme.objects.filter(name="华东销售 KPI").delete(), admin
    )
    assert first["created"] == 1


def test_kpi_scheme_changed_weights_make_a_new_version():
    admin = UserFactory(role="admin")
    exported = base.get("kpi_schemes").export()
    default = exported[0]
    default["result_weight"], default["process_weight"] = "50", "35"
    scheme = Scheme.objects.get(name=default["name"])
    before = scheme.versions.count()
    counts = engine.apply(_file(kpi_schemes=[default]), actor=admin)
    assert counts["kpi_schemes"]["changed"] == 1
    assert scheme.versions.count() == before + 1
    assert base.get("kpi_schemes").export()[0] == default


def test_kpi_scheme_problems_are_named():
    UserFactory(role="admin")
    bad = {"name": "新方案", "role": "rep", "team": "", "is_active": True,
           "result_weight": "65", "process_weight": "20", "quality_weight": "15",
           "items": [{"metric": "no_such_metric", "group": "result", "weight": "100",
                      "formula": "actual", "target_source": "none", "target_value": None}]}  # fmt: skip
    errors = "\n".join(engine.preview(_file(kpi_schemes=[bad])).errors)
    assert "no_such_metric" in errors
    assert "process_weight" in errors  # below the organisation's 25 %
    assert "销售代表 KPI / Sales rep KPI" in errors  # the active scheme this one would clash with


def _drop_plan(name):
    PlanComponent.objects.filter(version__plan__name=name).delete()
    PlanVersion.objects.filter(plan__name=name).delete()
    BonusPlan.objects.filter(name=name).delete()


def test_bonus_plans_round_trip_and_new_version_on_change():
    admin = UserFactory(role="admin")
    team = TeamFactory(name="华南大区")
    make_plan(team=team, name="华南销售奖金")
    first = _round_trip("bonus_plans", lambda: _drop_plan("华南销售奖金"), admin)
    assert first["created"] == 1
    exported = base.get("bonus_plans").export()
    mine = next(p for p in exported if p["name"] == "华南销售奖金")
    deal = next(c for c in mine["components"] if c["kind"] == "deal")
    deal["formula"] = "contract_amount * 0.05"
    counts = engine.apply(_file(bonus_plans=[mine]), actor=admin)
    assert counts["bonus_plans"]["changed"] == 1
    plan = BonusPlan.objects.get(name="华南销售奖金")
    assert plan.versions.count() == 2
    assert next(p for p in base.get("bonus_plans").export() if p["name"] == plan.name) == mine


def test_bonus_plan_with_a_bad_formula_and_missing_team_is_named():
    UserFactory(role="admin")
    bad = {"name": "坏方案", "role": "rep", "team": "不存在", "description": "",
           "is_active": True, "components": [{"kind": "deal", "label": "成交奖",
           "formula": "contract_amount * shoe_size", "deferred": True, "apply_coefficient": True,
           "position": 0}]}  # fmt: skip
    errors = "\n".join(engine.preview(_file(bonus_plans=[bad])).errors)
    assert "shoe_size" in errors and "不存在" in errors


def test_target_settings_round_trip():
    admin = UserFactory(role="admin")
    target_policy.policy_update(
        actor=admin, fiscal_year_start_month=4, coverage_red="1.5",
        quadrants={"high_high": {"weight": "1.45"}},
    )  # fmt: skip
    exported = base.get("target_settings").export()
    assert exported[0]["fiscal_year_start_month"] == 4
    assert exported[0]["coverage_red"] == "1.5"

    def reset():
        TargetPolicy.objects.all().delete()

    first = _round_trip("target_settings", reset, admin)
    assert first == {"created": 0, "changed": 1, "unchanged": 0}
    assert TargetPolicy.current().quadrants["high_high"]["weight"] == "1.45"


def test_target_settings_bad_value_is_named_and_nothing_written():
    admin = UserFactory(role="admin")
    item_ = dict(base.get("target_settings").export()[0], fiscal_year_start_month=13)
    with pytest.raises(Exception, match="fiscal_year_start_month"):
        engine.apply(_file(target_settings=[item_]), actor=admin)
    assert TargetPolicy.current().fiscal_year_start_month == 1


def test_notification_channels_leave_secrets_behind():
    admin = UserFactory(role="admin")
    notification_services.channel_create(
        actor=admin, kind="wecom", name="销售群",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET",
    )  # fmt: skip
    notification_services.channel_create(
        actor=admin, kind="email", name="销售邮箱", email_to="sales@example.com"
    )
    exported = base.get("notification_channels").export()
    assert "SECRET" not in engine.dumps(_file(notification_channels=exported))
    assert {c["name"]: c["active"] for c in exported} == {"销售群": True, "销售邮箱": True}

    ChannelConfig.objects.all().delete()
    data = _file(notification_channels=exported)
    assert engine.apply(data, actor=admin)["notification_channels"]["created"] == 2
    bot = ChannelConfig.objects.get(name="销售群")
    assert (bot.webhook_url, bot.active) == ("", False)  # waits for an admin to paste the URL
    assert ChannelConfig.objects.get(name="销售邮箱").email_to == "sales@example.com"
    assert engine.apply(data, actor=admin)["notification_channels"] == {
        "created": 0, "changed": 0, "unchanged": 2
    }  # fmt: skip

    with_secret = dict(exported[0], secret="SEC123")
    errors = engine.preview(_file(notification_channels=[with_secret])).errors
    assert any("secret" in e for e in errors)
