"""Knowledge benchmark: pain-point matching over 10,000 knowledge items (× ``--scale``).

    .venv/bin/python bench/knowledge.py                 # SQLite file var/bench/knowledge-v<N>-s1.sqlite3
    .venv/bin/python bench/knowledge.py --scale 0.1     # 1,000 items: a quick check
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_knowledge .venv/bin/python bench/knowledge.py

**Data** (built once per data version and scale, then reused; ``bench_knowledge_meta``
records both): the starter corpus (47 items, salesops/knowledge/defaults/corpus.py) plus
generated items up to ``10,000 × scale``. A generated item is an article, case, script or
micro-course for one of 11 industries and one of ~60 business topics, with a title made
from the topic, the industry and a form (案例 / 指南 / 话术 / 微课 …), a summary and a body
of 4–12 sentences drawn from three sources: the starter corpus's own sentences, sentence
templates filled from pools of numbers, places, products and roles, and Faker's zh_CN
text — so items share vocabulary as a real knowledge base does, without being copies.
Their tokens are computed as the service computes them (jieba), timed as
``tokenise_seconds``.

**Figures** (``bench/results/knowledge-<db>.json``):

* ``index_build_ms`` — :func:`salesops.knowledge.search.build` from the stored tokens
  (what a web process does once, and again after an item changes), median of ``--runs``.
* ``match`` — :func:`salesops.knowledge.selectors.match` (version check, policy read,
  ranking, fetching the 5 items: what the check-in fragment and the API call) for the 125
  labelled pain points (salesops/knowledge/tests/labelled.py), ``--rounds`` times each:
  p50/p95/max ms per query. Target: **p95 < 50 ms**.
* ``rank_only`` — the ranking alone (no database), p50/p95 ms.
* ``labelled_top3`` — the labelled set's top-3 accuracy with the 10,000 items around the
  starter corpus (the test measures it over the corpus alone).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "knowledge"
DATA_VERSION = "1"
META_TABLE = "bench_knowledge_meta"
VAR = common.ROOT / "var" / "bench"
FULL_ITEMS = 10_000
SEED = 20261215
BATCH = 1_000
TARGET_P95_MS = 50.0

INDUSTRIES = ("制造业", "汽车零部件", "电子制造", "食品饮料", "连锁零售", "医院", "职业教育",
              "物流运输", "建筑施工", "新能源", "政府单位")  # fmt: skip
TOPICS = (
    "成本控制", "库存管理", "设备维护", "质量追溯", "能耗管理", "排产计划", "采购比价",
    "供应商协同", "应收账款", "费用报销", "预算编制", "合同管理", "项目管理", "售后服务",
    "客户投诉", "会员运营", "门店巡检", "渠道管理", "经销商管理", "销售预测", "线索转化",
    "商机管理", "客户分级", "拜访管理", "报价审批", "招投标", "数据安全", "权限管理",
    "系统集成", "移动办公", "报表分析", "管理驾驶舱", "工单派发", "备件管理", "仓储物流",
    "车辆调度", "安全生产", "环保合规", "人员排班", "绩效考核", "培训管理", "招聘管理",
    "薪资核算", "固定资产", "数字化转型", "私有化部署", "信创适配", "流程审批", "电子签章",
    "发票管理", "对账结算", "价格谈判", "竞品应对", "续约管理", "客户成功", "转介绍",
    "实施交付", "上线推广", "需求调研", "方案演示",
)  # fmt: skip
FORMS = {
    "article": ("指南", "要点", "常见问题", "方法论", "五个误区", "实践"),
    "case": ("案例", "标杆案例", "项目复盘", "客户故事"),
    "script": ("话术", "开场白", "异议应对", "跟进模板"),
    "course": ("微课", "十分钟课程", "入门课", "进阶课"),
}
CHANNELS = ("any", "any", "phone", "wechat", "email")
PLACES = (
    "苏州",
    "东莞",
    "宁波",
    "成都",
    "武汉",
    "西安",
    "青岛",
    "合肥",
    "佛山",
    "长沙",
    "郑州",
    "无锡",
)
ROLES = (
    "采购经理",
    "财务总监",
    "生产厂长",
    "IT负责人",
    "总经理",
    "门店店长",
    "运维主管",
    "质量经理",
)
PRODUCTS = ("CRM", "ERP", "数据分析平台", "MES", "移动应用", "实施服务", "集成平台")
TEMPLATES = (
    "{place}一家{industry}企业的{role}反映，{topic}一直靠人工和Excel，效率低还容易出错。",
    "上线{product}后，{topic}相关的处理时间缩短了{n}%，每月节省约{m}万元。",
    "拜访{role}时先问清楚{topic}目前的流程和痛点，再介绍同行的做法。",
    "很多{industry}客户在{topic}上的共同问题是数据分散、口径不一、无人负责。",
    "建议分{k}个阶段推进：先梳理{topic}流程，再配置{product}，最后做培训和考核。",
    "客户最关心投入产出比：按{n}%的改善计算，投资回收期大约{k}个季度。",
    "{role}担心新系统增加工作量，可以用手机端和自动提醒减少录入。",
    "该项目在{place}落地，覆盖{m}个部门、{n}名用户，{k}周完成上线。",
    "与竞品相比，我们在{topic}方面的优势是开箱即用的行业模板和本地化服务。",
    "跟进节奏：演示后第{k}天发送案例材料，第{n}天约{role}做方案评审。",
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="item count × this")
    parser.add_argument("--rounds", type=int, default=4, help="timed passes over the queries")
    parser.add_argument("--runs", type=int, default=3, help="timed index builds")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'knowledge-v{DATA_VERSION}-s{scale:g}.sqlite3'}"


# --- data --------------------------------------------------------------------------------------
def _meta():
    from django.db import connection

    with connection.cursor() as cursor:
        if META_TABLE not in connection.introspection.table_names(cursor):
            return None
        cursor.execute(f"SELECT version, scale, seconds, tokenise FROM {META_TABLE}")  # noqa: S608
        return cursor.fetchone()


def _write_meta(scale: float, seconds: float, tokenise: float) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {META_TABLE} (version varchar(10), scale real, seconds real, tokenise real)"
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s, %s)",  # noqa: S608
            [DATA_VERSION, scale, seconds, tokenise],
        )


def _sentence_bank() -> list[str]:
    from salesops.knowledge.defaults.corpus import ITEMS

    bank = []
    for item in ITEMS:
        for part in re.split(r"(?<=[。！？])", item["body"].replace("\n", "")):
            part = re.sub(r"\{\{[^}]+\}\}", "客户", part).strip()
            if len(part) >= 8:
                bank.append(part)
    return bank


def generate(rng: random.Random, count: int):
    """``count`` unsaved KnowledgeItem rows with their tokens (see the module doc)."""
    from faker import Faker

    from salesops.knowledge import search
    from salesops.knowledge.models import KnowledgeItem

    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    bank = _sentence_bank()
    kinds = list(FORMS)
    for n in range(count):
        kind = rng.choices(kinds, weights=(5, 3, 3, 1))[0]
        industry, topic = rng.choice(INDUSTRIES), rng.choice(TOPICS)
        title = f"{industry}{topic}{rng.choice(FORMS[kind])}"
        if rng.random() < 0.5:
            title = f"{rng.choice(PLACES)}{title}（{n + 1}）"
        sentences = []
        for _ in range(rng.randint(4, 12)):
            source = rng.random()
            if source < 0.35:
                sentences.append(rng.choice(bank))
            elif source < 0.8:
                sentences.append(
                    rng.choice(TEMPLATES).format(
                        place=rng.choice(PLACES),
                        industry=industry,
                        role=rng.choice(ROLES),
                        topic=rng.choice((topic, topic, rng.choice(TOPICS))),
                        product=rng.choice(PRODUCTS),
                        n=rng.randint(5, 60),
                        m=rng.randint(2, 300),
                        k=rng.randint(2, 8),
                    )
                )
            else:
                sentences.append(fake.sentence(nb_words=rng.randint(8, 16)))
        summary = sentences[0][:200]
        body = "".join(sentences[1:])
        yield KnowledgeItem(
            kind=kind,
            title=title[:200],
            summary=summary,
            body=body,
            channel=rng.choice(CHANNELS) if kind == "script" else "any",
            customer_types=[],
            search_tokens=search.stored_tokens(
                title=title, tag_labels=[topic], summary=summary, body=body
            ),
        )


def ensure(scale: float) -> dict | None:
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    meta = _meta()
    if meta is not None:
        if (meta[0], float(meta[1])) != (DATA_VERSION, float(scale)):
            sys.exit(f"the database holds data version {meta[0]} at scale {meta[1]}: delete it")
        return {"seconds": meta[2], "tokenise_seconds": meta[3]}
    from salesops.knowledge import search
    from salesops.knowledge.defaults.load import install_corpus
    from salesops.knowledge.models import KnowledgeItem

    started = time.perf_counter()
    rng = random.Random(SEED)
    total = max(1, round(FULL_ITEMS * scale))
    corpus = install_corpus()
    tokenise = 0.0
    with transaction.atomic():
        batch = []
        generated = generate(rng, max(0, total - len(corpus)))
        while True:
            t0 = time.perf_counter()
            batch = [row for _, row in zip(range(BATCH), generated, strict=False)]
            tokenise += time.perf_counter() - t0
            if not batch:
                break
            KnowledgeItem.objects.bulk_create(batch)
        search.bump_version()
    seconds = round(time.perf_counter() - started, 1)
    _write_meta(scale, seconds, round(tokenise, 1))
    print(f"built {KnowledgeItem.objects.count():,} knowledge items in {seconds} s")
    return {"seconds": seconds, "tokenise_seconds": round(tokenise, 1)}


# --- measures ----------------------------------------------------------------------------------
def _ms(values) -> dict:
    return {
        "p50_ms": round(common.percentile(values, 50), 2),
        "p95_ms": round(common.percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
        "samples": len(values),
    }


def measure(args) -> dict:
    from salesops.knowledge import search, selectors
    from salesops.knowledge.defaults.corpus import ITEMS
    from salesops.knowledge.models import KnowledgeItem
    from salesops.knowledge.tests.labelled import PAIRS
    from salesops.org.models import Role, User

    user, _created = User.objects.get_or_create(
        username="bench_rep", defaults={"role": Role.REP, "display_name": "Bench Rep"}
    )
    builds = []
    for _ in range(args.runs):
        _index, ms = common.timed(search.build)
        builds.append(ms)
    index = search.index()
    by_title = {entry["title"]: entry["key"] for entry in ITEMS}
    keys = dict(KnowledgeItem.objects.filter(title__in=list(by_title)).values_list("id", "title"))
    for text, _keys in PAIRS[:5]:  # warm up (jieba's dictionary, the caches)
        selectors.match(text, user)
    timings, ranks, hits = [], [], 0
    for round_ in range(args.rounds):
        for text, wanted in PAIRS:
            found, ms = common.timed(selectors.match, text, user, 5)
            timings.append(ms)
            if round_ == 0:
                got = [by_title.get(keys.get(hit.item.pk)) for hit in found[:3]]
                hits += any(key in wanted for key in got)
            _ranked, ms = common.timed(index.rank, text, None, 5)
            ranks.append(ms)
    return {
        "items": index.size,
        "terms": len(index.postings),
        "index_build_ms": round(statistics.median(builds), 1),
        "match": _ms(timings),
        "rank_only": _ms(ranks),
        "labelled_top3": round(hits / len(PAIRS), 3),
        "queries": len(PAIRS),
    }


def main():
    args = parse_args()
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(url)
    built = ensure(args.scale)
    if args.build_only:
        return
    figures = {"scale": args.scale, "data_version": DATA_VERSION, **(built or {})}
    figures.update(measure(args))
    p95 = figures["match"]["p95_ms"]
    figures["targets"] = {f"match p95<{TARGET_P95_MS:g}ms": "ok" if p95 < TARGET_P95_MS else "MISS"}
    common.write_result(
        NAME,
        figures,
        summary=(
            f"{figures['items']:,} items; index build {figures['index_build_ms']} ms; "
            f"match p50 {figures['match']['p50_ms']} ms, p95 {p95} ms; "
            f"labelled top-3 {figures['labelled_top3']}"
        ),
    )


if __name__ == "__main__":
    main()
