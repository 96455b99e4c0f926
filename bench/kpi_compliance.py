"""Compliance-scan benchmark (issue 17, K10): 1,000 quote documents — PDFs with two
pages of text, half of them with the company watermark, some with forbidden wording or a
core parameter — plus 5,000 activity notes, in a fresh SQLite database; one full scan
(``salesops.kpi.compliance.scan(full=True)``), then an incremental one (nothing changed).

    .venv/bin/python bench/kpi_compliance.py                  # 1,000 documents
    .venv/bin/python bench/kpi_compliance.py --documents 200 --notes 1000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_compliance .venv/bin/python bench/kpi_compliance.py

The database and the evidence files live in ``var/bench/kpi-compliance/`` and are built
anew on every run (the build is not timed). Reported: documents/s and notes/s of the full
scan (its own ``seconds``), the findings by kind, and the incremental scan's seconds.
Result: ``bench/results/kpi_compliance-<db>.json`` and one summary line.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "kpi_compliance"
VAR = common.ROOT / "var" / "bench" / "kpi-compliance"
SEED = 17
WATERMARK = "SalesOps 示例科技有限公司"
ITEMS = [
    "数控机床 X200",
    "主轴模组",
    "自动换刀装置",
    "冷却系统",
    "安装调试",
    "培训服务",
    "三年维保",
]
FORBIDDEN = ["保证收益", "绝对最低价", "私下付款"]
PARAMETERS = ["定位精度 0.005mm", "主轴转速 24000rpm"]
NOTES = ["已电话沟通需求", "拜访客户技术部", "发送产品手册", "确认预算范围", "约下周演示"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--notes", type=int, default=5000)
    return parser.parse_args()


def quote_text(rng: random.Random, n: int, watermark: bool) -> tuple[str, str]:
    lines = [f"报价单 QT-2026-{n:05d}", f"客户：测试客户{n % 50}有限公司", "报价有效期：30 天"]
    total = 0
    for index in range(rng.randint(8, 16)):
        price = rng.randint(2, 90) * 1000
        total += price
        lines.append(f"{index + 1}. {rng.choice(ITEMS)}  数量 {rng.randint(1, 5)}  单价 {price} 元")
    lines.append(f"合计：{total} 元（含税）")
    if rng.random() < 0.1:
        lines.append(f"备注：{rng.choice(FORBIDDEN)}")
    if rng.random() < 0.1:
        lines.append(f"技术参数：{rng.choice(PARAMETERS)}")
    second = ["付款方式：合同签订后 30% 预付款，验收后 60%，质保期满 10%。", "交货期：60 天。"]
    if watermark:
        second.append(WATERMARK)
    return "\n".join(lines), "\n".join(second)


def build(args) -> dict:
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.db import transaction

    from salesops.activities.models import Activity
    from salesops.customers import services as customer_services
    from salesops.kpi.models import CompliancePolicy
    from salesops.kpi.tests.factories_review import pdf_with_text
    from salesops.org.models import Role, User
    from salesops.pipeline import defaults
    from salesops.pipeline import evidence as evidence_files
    from salesops.pipeline import services as pipeline_services
    from salesops.pipeline.models import Evidence

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(SEED)
    policy = CompliancePolicy.current()
    policy.core_parameters = "\n".join(PARAMETERS)
    policy.save()
    rep = User.objects.create_user(username="bench_rep", password="x", role=Role.REP)
    defaults.install_default_pipeline()
    accounts = [
        customer_services.account_create(actor=rep, name=f"测试客户{i}有限公司") for i in range(50)
    ]
    deals = [
        pipeline_services.deal_create(actor=rep, account=account, name=f"商机{i}", amount="100000")
        for i, account in enumerate(accounts)
    ]
    storage = evidence_files.storage()
    rows = []
    size = 0
    for n in range(args.documents):
        deal = deals[n % len(deals)]
        data = pdf_with_text(*quote_text(rng, n, watermark=n % 2 == 0))
        size += len(data)
        name = storage.save(f"{deal.pk}/bench-{n:05d}.pdf", ContentFile(data))
        rows.append(
            Evidence(
                deal=deal,
                stage_id=deal.stage_id,
                type="quote" if n % 3 else "proposal",
                file=name,
                original_name=f"quote-{n:05d}.pdf",
                size=len(data),
                content_type="application/pdf",
                sha256=f"{n:064d}",
                created_by=rep,
            )
        )
    with transaction.atomic():
        Evidence.objects.bulk_create(rows, batch_size=500)
        notes = []
        for n in range(args.notes):
            note = rng.choice(NOTES)
            if rng.random() < 0.05:
                note = f"{rng.choice(FORBIDDEN)}，{note}"[:20]
            notes.append(
                Activity(
                    kind="call",
                    owner=rep,
                    account=accounts[n % len(accounts)],
                    note=note,
                    created_by=rep,
                )
            )
        Activity.objects.bulk_create(notes, batch_size=1000)
    return {
        "build_seconds": round(time.perf_counter() - started, 1),
        "pdf_bytes_avg": round(size / max(1, args.documents)),
    }


def main():
    args = parse_args()
    if not os.environ.get("BENCH_DATABASE_URL"):
        shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True, exist_ok=True)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    os.environ["EVIDENCE_ROOT"] = str(VAR / "evidence")
    common.setup_django(f"sqlite:///{VAR / 'bench.sqlite3'}")
    figures: dict = {"documents_built": args.documents, "notes_built": args.notes}
    figures.update(build(args))

    from django.db.models import Count

    from salesops.kpi import compliance
    from salesops.kpi.models import ComplianceFinding

    full = compliance.scan(full=True)
    seconds = float(full.seconds)
    again = compliance.scan()
    figures.update(
        {
            "full_scan_seconds": seconds,
            "documents": full.documents,
            "notes": full.texts,
            "documents_per_second": round(full.documents / seconds, 1) if seconds else None,
            "notes_per_second": round(full.texts / seconds, 1) if seconds else None,
            "findings": full.findings,
            "findings_by_kind": dict(
                ComplianceFinding.objects.values_list("kind").annotate(n=Count("pk"))
            ),
            "incremental_scan_seconds": float(again.seconds),
            "incremental_findings": again.findings,
        }
    )
    common.write_result(
        NAME,
        figures,
        summary=(
            f"{full.documents:,} documents + {full.texts:,} notes scanned in {seconds:.2f} s: "
            f"{figures['documents_per_second']} documents/s; {full.findings} findings; "
            f"rescan {figures['incremental_scan_seconds']:.2f} s, "
            f"{again.findings} new"
        ),
    )


if __name__ == "__main__":
    main()
