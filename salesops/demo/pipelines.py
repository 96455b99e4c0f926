"""The demo's second pipeline (implementation services), the vocabulary of the demo's
deal history (reasons, notes) and the small PDFs it stores as evidence
(:mod:`salesops.demo.deals` uses them)."""

from __future__ import annotations

from salesops.pipeline.models import Pipeline, Stage, StageKind

SERVICES_LINE = "services"
# code, zh, en, probability, colour, required fields, required evidence, approval
SERVICES_STAGES = (
    ("survey", "需求调研", "Requirements survey", 20, "cyan", ["contacts", "need_confirmed"],
     ["requirements"], False),
    ("scoping", "方案评估", "Solution scoping", 40, "indigo", ["amount", "expected_close_date"],
     ["proposal"], True),
    ("quote", "报价确认", "Quote agreed", 70, "orange",
     ["budget_confirmed", "decision_maker_identified"], ["quote"], False),
    ("contracting", "合同签署", "Contracting", 90, "teal", [], ["contract_draft"], False),
)  # fmt: skip
WON_SHARE, LOST_SHARE = 0.18, 0.2
STALLED_SHARE = 0.25
# Open deals per stage position (earlier stages hold more deals).
STAGE_WEIGHTS = (30, 22, 18, 12, 10, 8)
BACK_REASONS = [
    "客户重新评估需求范围，需要补充调研。",
    "决策人更换，需要重新确认方案。",
    "客户预算冻结，回到需求确认阶段。",
    "演示后客户提出新的集成要求。",
]
REJECT_NOTES = [
    "方案报价过低，毛利不达标，请重新核算。",
    "还没有见到决策人，先约见再推进。",
    "付款条件不符合公司政策，请调整首付比例。",
    "方案书缺少实施计划，请补充。",
]
LOST_NOTES = {
    "price": "客户选择了报价更低的方案。",
    "competitor": "竞争对手提供了本地化实施团队。",
    "no_budget": "客户年度预算削减，项目取消。",
    "no_decision": "客户内部决策推迟到明年。",
    "product_fit": "客户需要的行业功能我们暂不支持。",
    "other": "客户被集团收购，采购暂停。",
}
NAME_SUFFIXES = ["", "", "", "二期", "升级", "扩容"]


def services_pipeline() -> Pipeline:
    """The second pipeline (implementation services), created once."""
    pipeline = Pipeline.objects.filter(code=SERVICES_LINE).first()
    if pipeline is not None:
        return pipeline
    pipeline = Pipeline.objects.create(
        code=SERVICES_LINE,
        name_zh="实施服务流程",
        name_en="Implementation services",
        product_line=SERVICES_LINE,
        order=20,
    )
    rows = [
        Stage(
            pipeline=pipeline,
            code=code,
            name_zh=zh,
            name_en=en,
            order=order * 10,
            probability=probability,
            colour=colour,
            stall_days=7,
            required_fields=fields,
            required_evidence=proofs,
            needs_approval=approval,
        )
        for order, (code, zh, en, probability, colour, fields, proofs, approval) in enumerate(
            SERVICES_STAGES, start=1
        )
    ]
    rows.append(Stage(pipeline=pipeline, code="won", name_zh="赢单", name_en="Won",
                      kind=StageKind.WON, order=900, probability=100, colour="green"))  # fmt: skip
    rows.append(Stage(pipeline=pipeline, code="lost", name_zh="输单", name_en="Lost",
                      kind=StageKind.LOST, order=910, probability=0, colour="red"))  # fmt: skip
    Stage.objects.bulk_create(rows)
    return pipeline


class Flow:
    """A pipeline's open stages in order and its won and lost stages."""

    def __init__(self, pipeline: Pipeline):
        stages = list(pipeline.stages.order_by("order", "id"))
        self.pipeline = pipeline
        self.open = [s for s in stages if s.kind == StageKind.OPEN]
        self.won = next(s for s in stages if s.kind == StageKind.WON)
        self.lost = next(s for s in stages if s.kind == StageKind.LOST)


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF showing ``text`` (ASCII): small, valid, different per deal."""
    text = text.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out
