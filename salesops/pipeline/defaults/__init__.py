"""The default pipeline (SPEC D1), installed after ``migrate`` when there is none:
初步接触 → 需求确认 → 方案提交 → 演示完成 → 商务谈判 → 签约, then won / lost. Admins edit
stages, probabilities and exit criteria on Settings · Pipelines."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from ..models import Pipeline, PipelinePolicy, Stage, StageKind

DEFAULT_CODE = "standard"

# code, zh, en, probability, colour, required fields, required evidence, activities,
# needs approval, next actions (zh)
DEFAULT_STAGES = (
    (
        "contact",
        "初步接触",
        "Initial contact",
        10,
        "azure",
        [],
        [],
        [],
        False,
        "约定需求调研时间\n发送公司介绍与案例",
    ),
    (
        "needs",
        "需求确认",
        "Needs confirmed",
        25,
        "blue",
        ["need_confirmed", "contacts"],
        ["minutes"],
        [],
        False,
        "整理需求确认书并请客户确认\n识别决策人与预算",
    ),
    (
        "proposal",
        "方案提交",
        "Proposal submitted",
        40,
        "indigo",
        ["amount", "expected_close_date"],
        ["proposal"],
        [],
        True,
        "跟进方案反馈\n安排产品演示",
    ),
    (
        "demo",
        "演示完成",
        "Demo done",
        60,
        "purple",
        ["budget_confirmed"],
        ["demo"],
        [{"kind": "visit", "count": 1}],
        False,
        "发送报价单\n约见决策人",
    ),
    (
        "negotiation",
        "商务谈判",
        "Negotiation",
        80,
        "orange",
        ["decision_maker_identified"],
        ["quote"],
        [],
        True,
        "确认合同条款与付款方式\n请客户成功经理参与实施规划",
    ),
    (
        "signing",
        "签约",
        "Signing",
        90,
        "teal",
        [],
        ["contract_draft"],
        [],
        False,
        "跟进合同盖章与首付款",
    ),
)


@transaction.atomic
def install_default_pipeline() -> Pipeline | None:
    if Pipeline.objects.exists():
        return None
    pipeline = Pipeline.objects.create(
        code=DEFAULT_CODE,
        name_zh="标准销售流程",
        name_en="Standard sales process",
        is_default=True,
        order=10,
    )
    for order, (
        code,
        zh,
        en,
        probability,
        colour,
        fields,
        evidence,
        activities,
        approval,
        next_actions,
    ) in enumerate(DEFAULT_STAGES, start=1):
        Stage.objects.create(
            pipeline=pipeline,
            code=code,
            name_zh=zh,
            name_en=en,
            order=order * 10,
            probability=probability,
            colour=colour,
            required_fields=fields,
            required_evidence=evidence,
            required_activities=activities,
            needs_approval=approval,
            next_actions=next_actions,
        )
    Stage.objects.create(
        pipeline=pipeline,
        code="won",
        name_zh="赢单",
        name_en="Won",
        kind=StageKind.WON,
        order=900,
        probability=100,
        colour="green",
    )
    Stage.objects.create(
        pipeline=pipeline,
        code="lost",
        name_zh="输单",
        name_en="Lost",
        kind=StageKind.LOST,
        order=910,
        probability=0,
        colour="red",
    )
    return pipeline


def install(sender=None, using="default", **kwargs) -> None:
    """post_migrate receiver: the default pipeline, the policy row and (not under the
    test suite, where they would fire in tests about other things; tests install them
    with ``rules.install_rules``) the default rules."""
    install_default_pipeline()
    if not PipelinePolicy.objects.exists():
        PipelinePolicy.objects.create()
    if getattr(settings, "TESTING", False):
        return
    from salesops.automation.models import Rule  # noqa: PLC0415

    from .rules import install_rules  # noqa: PLC0415 - needs the automation tables

    try:
        Rule.objects.using(using).exists()
    except Exception:  # noqa: BLE001 - tables not there yet (migrating backwards)
        return
    with transaction.atomic(using=using):
        install_rules()
