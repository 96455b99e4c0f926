"""Intake benchmark: leads per second through the public intake endpoint of a
production-style server (gunicorn), against a bare insert-only baseline, and routing
decisions per second in process.

    .venv/bin/python bench/intake.py                 # SQLite file var/bench-intake.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_intake .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --workers 4 --threads 1 --duration 30
    .venv/bin/python bench/intake.py --only http --cases default,overflow

Every run starts from a fresh database (the SQLite file is deleted, the PostgreSQL
database dropped and created again), migrates it and builds the organisation: 4 region
teams of 2 groups, 200 reps with a daily cap of 100,000 (caps never send leads to the
pool), 50 routing rules (45 on province and industry, 4 on the region's provinces, a
catch-all last; round robin, least loaded and weighted, to teams and to weighted rep
lists), ``--existing`` open leads and as many accounts (so de-duplication reads real
indexes), and the website channel with a rate limit no client reaches.

Then, each against its own ``salesops run --server gunicorn --no-worker`` subprocess
(``DEBUG=false``, Huey queue under ``var/bench-intake/``, not the working one):

* ``full`` — ``--clients`` threads, each with one keep-alive HTTP connection, post JSON
  leads to ``POST /leads/intake/<token>/`` for ``--warmup`` seconds (10, not counted),
  then for ``--duration`` seconds (20). Every lead has a unique mobile number (138xxxxxxxx) and a
  company name of four random characters (no fuzzy match merges two of them); 85 % name
  a province and city, 15 % only an address (parsed for the region). Each is validated,
  de-duplicated, routed, timed (SLA), audited and announced as an event. Afterwards the
  database is checked: every lead posted exists exactly once, with an assignment row, a
  history row and an inquiry row, and an SLA due time when it has an owner.
* ``bare`` — the same load on a second server whose URLconf (``bench/intake_bare.py``)
  adds an endpoint that parses the JSON and inserts the lead with one ``INSERT`` (nothing
  else): what the web stack and the insert cost by themselves.
* ``default`` — the same load (other leads, other companies) on ``salesops run --port P``
  started exactly as ``make run`` starts it: no options, so its default server and number
  of processes, its background worker beside it, no DEBUG or SECRET_KEY of ours.
* ``overflow`` — ``default`` again after every rep's daily cap was set to ``OVERFLOW_CAP``
  (2, or what a rep took today if fewer): every cap is full, every lead overflows to the pool.
* ``routing`` — :func:`salesops.leads.routing.decide` over ``--decisions`` varied lead
  variable dicts against the snapshot of the 50 rules and 200 reps (today's counts and
  real open loads passed in): decisions per second, and a cProfile of where the time goes.

Figures: ``leads_per_s`` (responses completed in the window / its length), latency
``p50/p95/p99_ms`` (client side, requests started in the window), ``errors`` (not 2xx, or
no answer), CPU seconds of the server processes, of this client and of the whole machine
during the window (others' work shows as ``other_cores``). Targets: full, default and
overflow intake ≥ 200 leads/s with p99 < 150 ms (overflow: every lead in the pool); routing ≥ 3,000 decisions/s. Result:
``bench/results/intake-<db>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "intake"
VAR = common.ROOT / "var" / "bench-intake"
SQLITE_FILE = common.ROOT / "var" / "bench-intake.sqlite3"
REPS = 200
DAILY_CAP = 100_000
TARGET_LEADS_PER_S = 200.0
TARGET_P99_MS = 150.0
TARGET_DECISIONS_PER_S = 3_000.0
FULL_PREFIX, BARE_PREFIX, EXISTING_PREFIX = "138", "139", "137"
DEFAULT_PREFIX, OVERFLOW_PREFIX = "133", "134"
# The overflow case sets every rep's daily cap to this, or to what a rep took today if
# fewer: every cap is full.
OVERFLOW_CAP = 2
CASES = ("full", "bare", "default", "overflow")

# Characters for brand names: four at random make names no fuzzy match confuses.
BRAND_CHARS = (
    "安邦宝贝北奔本毕碧标彬斌博渤采灿昌畅超朝辰晨成诚承澄驰崇楚川创春淳聪丛翠达岱丹道德迪"
    "典鼎东栋笃敦朵尔帆方飞丰锋峰凤福富钢高歌耕功冠光广贵国海汉瀚航昊浩禾和恒弘宏鸿虎华"
    "桦欢焕辉惠慧吉佳嘉坚建剑江杰洁金锦进晋京晶景静久聚骏凯康科可坤昆朗乐雷磊黎力立利莲"
    "良亮林霖琳凌龙隆鲁禄路伦罗洛迈茂美蒙盟敏名明鸣铭木沐纳南楠宁鹏品平朴普齐骐启千谦乾"
    "强桥勤青清晴庆秋泉仁日荣融瑞润森山善尚绍深盛诗石世仕书舒曙帅顺朔思松嵩苏泰唐涛腾天"
    "田通同拓万旺威维伟卫蔚文稳翁沃武西希熙喜贤翔祥骁晓效欣新鑫信星兴雄秀旭轩宣炫学雅亚"
    "彦阳扬耀野业一怡宜益毅逸银寅英盈颖永勇友佑宇羽雨玉裕元远悦跃粤云蕴泽展湛章昭哲振正"
    "之志致智中钟众洲竹卓子紫宗"
)
TRADES = (
    "科技 信息技术 智能装备 机电设备 新材料 电子 医疗器械 生物科技 商贸 食品 新能源 "
    "光伏科技 建设工程 建筑装饰 物流 供应链管理 教育科技 文化传媒 投资管理 精密机械"
).split()
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"]
NEEDS = [
    "想了解贵司的CRM系统报价，团队约{n}人。",
    "我们需要一套销售管理方案，希望尽快安排演示。",
    "现有系统不好用，想对比一下贵司产品，预算{n}万左右。",
    "集团下属{n}家分公司，需要统一的客户管理平台。",
    "请发送产品资料和价格表，谢谢。",
    "希望了解移动端和企业微信集成。",
]
ROADS = "中山路 人民路 解放路 建设路 长江路 科技路 高新大道 世纪大道 创业路 学府路".split()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=None, help="threads per process")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds not counted")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--existing", type=int, default=3_000, help="open leads and accounts")
    parser.add_argument("--decisions", type=int, default=20_000, help="routing decisions")
    parser.add_argument(
        "--only", choices=["all", "http", "routing"], default="all", help="what to measure"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare baseline")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"HTTP cases to run, comma-separated (default: {','.join(CASES)})",
    )
    return parser.parse_args()


# --- the database -------------------------------------------------------------------------
def fresh_database(url: str) -> None:
    """Delete the SQLite file, or drop and create the PostgreSQL database, before Django
    opens it."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Data:
    """Random but reproducible leads: unique phones, distinct company names."""

    def __init__(self, seed: int):
        from salesops.customers.models import Industry
        from salesops.demo import GEOGRAPHY

        self.rng = random.Random(seed)
        self.places = [
            (province, city)
            for provinces in GEOGRAPHY.values()
            for province, cities in provinces.items()
            for city, _code, weight in cities
            for _ in range(weight)
        ]
        self.industries = list(Industry.values)

    def company(self) -> str:
        rng = self.rng
        brand = "".join(rng.choice(BRAND_CHARS) for _ in range(4))
        return f"{brand}{rng.choice(TRADES)}{rng.choice(FORMS)}"

    def lead(self, prefix: str, n: int) -> dict:
        rng = self.rng
        province, city = rng.choice(self.places)
        address = f"{city}{rng.choice(ROADS)}{rng.randrange(1, 999)}号"
        data = {
            "contact_name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
            "phone": f"{prefix}{n:08d}",
            "company": rng.choice(["", city.removesuffix("市")]) + self.company(),
            "need": rng.choice(NEEDS).format(n=rng.randrange(5, 500)),
            "industry": rng.choice(self.industries),
            "address": address,
        }
        if rng.random() < 0.85:
            data["province"], data["city"] = province, city
        else:
            data["address"] = f"{province}{address}"
        return data


def build_org(existing: int) -> dict:
    """Teams, reps, routing rules, existing leads and accounts, the bench channel."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from salesops.core import clock
    from salesops.core.names import company_key
    from salesops.customers.models import Account
    from salesops.demo import GEOGRAPHY
    from salesops.leads import services as lead_services
    from salesops.leads.models import Channel, ChannelKind, Lead, LeadStatus
    from salesops.org import services as org_services
    from salesops.org.models import Role, TeamKind, User

    started = time.perf_counter()
    rng = random.Random(7)
    password = make_password(None)
    with transaction.atomic():
        director = User.objects.create(username="director", role=Role.DIRECTOR, password=password)
        company = org_services.team_create(name="总部", kind=TeamKind.COMPANY, manager=director)
        reps, groups, regions = [], [], {}
        per_group = REPS // (len(GEOGRAPHY) * 2)
        for r, region in enumerate(GEOGRAPHY):
            manager = User.objects.create(
                username=f"manager{r}", role=Role.MANAGER, password=password
            )
            regions[region] = org_services.team_create(
                name=region, parent=company, kind=TeamKind.REGION, manager=manager, region=region
            )
            for g in range(2):
                team = org_services.team_create(name=f"{region}{g + 1}组", parent=regions[region])
                members = [
                    User(
                        username=f"rep{len(reps) + i + 1:03d}",
                        display_name=f"销售{len(reps) + i + 1:03d}",
                        role=Role.REP,
                        team=team,
                        password=password,
                        daily_lead_cap=DAILY_CAP,
                    )
                    for i in range(per_group)
                ]
                reps += User.objects.bulk_create(members)
                groups.append((region, team, members))

        # 45 rules on province and industry, 4 on a region's provinces, a catch-all.
        strategies = ["round_robin", "least_loaded", "weighted"]
        industries = ["manufacturing", "software", "retail", "healthcare", "logistics"]
        provinces = [p for region in GEOGRAPHY.values() for p in list(region)[:3]][:9]
        rules = 0
        for i, (province, industry) in enumerate((p, ind) for p in provinces for ind in industries):
            region = next(r for r, ps in GEOGRAPHY.items() if province in ps)
            _, team, members = groups[2 * list(GEOGRAPHY).index(region) + i % 2]
            strategy = strategies[i % 3]
            kwargs = {"team": team}
            if strategy == "weighted" or i % 4 == 0:
                picked = rng.sample(members, 8)
                kwargs = {
                    "members": [{"user_id": u.pk, "weight": rng.randint(1, 3)} for u in picked]
                }
            lead_services.routing_rule_create(
                actor=None,
                name=f"{province}·{industry}",
                priority=10 + i,
                condition=f"province == '{province}' and industry == '{industry}'",
                strategy=strategy,
                **kwargs,
            )
            rules += 1
        for j, (region, places) in enumerate(GEOGRAPHY.items()):
            listed = ", ".join(f"'{p}'" for p in places)
            lead_services.routing_rule_create(
                actor=None,
                name=f"{region}其他",
                priority=100 + j,
                condition=f"province in [{listed}]",
                strategy=strategies[j % 2],  # round robin / least loaded over 50 reps
                team=regions[region],
            )
            rules += 1
        lead_services.routing_rule_create(
            actor=None,
            name="兜底",
            priority=1000,
            condition="",
            strategy="round_robin",
            team=company,
        )
        rules += 1

        channel = Channel.objects.filter(kind=ChannelKind.WEBSITE).first()
        lead_services.channel_update(
            actor=None, channel=channel, rate_limit=10_000_000, team=company
        )

        data = Data(seed=11)
        now = clock.now()
        accounts, leads = [], []
        for n in range(existing):
            owner = rng.choice(reps)
            name = data.company()
            accounts.append(
                Account(
                    name=name,
                    name_key=company_key(name),
                    owner=owner,
                    created_by=owner,
                    province=rng.choice(provinces),
                )
            )
            fields = data.lead(EXISTING_PREFIX, n)
            leads.append(
                Lead(
                    contact_name=fields["contact_name"],
                    phone=f"+86{fields['phone']}",
                    company=fields["company"],
                    company_key=company_key(fields["company"]),
                    need=fields["need"],
                    industry=fields["industry"],
                    province=fields.get("province", ""),
                    city=fields.get("city", ""),
                    channel=channel,
                    owner=owner,
                    team_id=owner.team_id,
                    status=rng.choice([LeadStatus.NEW, LeadStatus.CONTACTED]),
                    assigned_at=now,
                )
            )
        Account.objects.bulk_create(accounts, batch_size=1000)
        Lead.objects.bulk_create(leads, batch_size=1000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "reps": len(reps),
        "teams": 1 + len(regions) + len(groups),
        "routing_rules": rules,
        "existing_open_leads": len(leads),
        "existing_accounts": len(accounts),
        "seconds": round(time.perf_counter() - started, 1),
        "channel_token": channel.token,
    }


# --- servers ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``salesops run --server gunicorn --no-worker`` as a subprocess; with ``workers=None``
    the default ``salesops run``, exactly as ``make run`` starts it: no options (its own
    server, processes and worker), no DEBUG, SECRET_KEY or LOG_LEVEL of ours."""

    def __init__(
        self, label: str, url: str, workers: int | None, threads: int, settings_module: str
    ):
        self.label = label
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE=settings_module,
            DEBUG="false",
            SECRET_KEY=os.environ["SECRET_KEY"],  # set (strong) by common.setup_django
            SALESOPS_VAR_DIR=str(VAR),
            LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join([str(common.ROOT / "bench"), str(common.ROOT)]),
        )
        for name in ("WEB_CONCURRENCY", "SALESOPS_SERVER"):
            env.pop(name, None)
        self.log = VAR / f"server-{label}.log"
        if workers is None:
            for name in ("DEBUG", "SECRET_KEY", "LOG_LEVEL", "HUEY_IMMEDIATE"):
                env.pop(name, None)
            command = [sys.executable, "-m", "salesops.cli", "run", "--port", str(self.port)]
        else:
            command = [
                *(sys.executable, "-m", "salesops.cli", "run", "--server", "gunicorn"),
                *("--workers", str(workers), "--threads", str(threads)),
                *("--no-worker", "--port", str(self.port)),
            ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=common.ROOT, stdout=log, stderr=log, start_new_session=True
            )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the {self.label} server exited; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"the {self.label} server did not answer /healthz in {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # run.py stops gunicorn
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- CPU accounting from /proc ------------------------------------------------------------
TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of ``root`` and its descendants (live ones, plus reaped ones via their
    parents' cutime/cstime)."""
    parent, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(x) for x in fields[11:15])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(cpu.get(p, 0) for p in tree) / TICKS


def machine_busy_seconds() -> float:
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


# --- the load -----------------------------------------------------------------------------
def run_load(server: Server, path: str, bodies: list[bytes], args) -> tuple[dict, list]:
    """Post ``bodies`` from ``args.clients`` keep-alive connections for warm-up + window;
    returns the figures and every ``(index, status, response body)``."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    next_index = iter(range(len(bodies))).__next__  # atomic under the GIL
    started = time.perf_counter()
    window_start = started + args.warmup
    window_end = window_start + args.duration
    records: list[list] = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        out = []
        records.append(out)
        while True:
            begin = time.perf_counter()
            if begin >= window_end:
                break
            try:
                i = next_index()
            except StopIteration:
                break
            try:
                conn.request("POST", path, bodies[i], headers)
                response = conn.getresponse()
                status, body = response.status, response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                status, body = 0, b""
            out.append((i, begin, time.perf_counter(), status, body))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, window_start - time.perf_counter()))
    cpu0 = (tree_cpu_seconds(server.process.pid), time.process_time(), machine_busy_seconds())
    time.sleep(max(0.0, window_end - time.perf_counter()))
    cpu1 = (tree_cpu_seconds(server.process.pid), time.process_time(), machine_busy_seconds())
    for t in threads:
        t.join()
    flat = [r for out in records for r in out]
    if len(flat) >= len(bodies):
        print(f"  warning: all {len(bodies):,} prepared leads were used", flush=True)
    in_window = [r for r in flat if window_start <= r[1] < window_end]
    done = [r for r in flat if window_start <= r[2] < window_end and 200 <= r[3] < 300]
    latencies = [(r[2] - r[1]) * 1000 for r in in_window]
    errors = [r for r in flat if not 200 <= r[3] < 300]
    server_cpu, client_cpu, machine = (b - a for a, b in zip(cpu0, cpu1, strict=True))
    # 2xx answers per second in 5-second slices from the start (warm-up included): shows
    # whether the server settled before the window and held the rate through it.
    slices = [0] * -int(-(window_end - started) // 5)
    for r in flat:
        if 200 <= r[3] < 300 and r[2] < window_end:
            slices[min(int((r[2] - started) // 5), len(slices) - 1)] += 1
    figures = {
        "leads_per_s": round(len(done) / args.duration, 1),
        "p50_ms": round(common.percentile(latencies, 50), 1),
        "p95_ms": round(common.percentile(latencies, 95), 1),
        "p99_ms": round(common.percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        # Throughput per CPU second the server got: comparable when others load the machine.
        "leads_per_server_cpu_s": round(len(done) / server_cpu, 1) if server_cpu else None,
        "timeline_leads_per_s_5s": [round(n / 5, 1) for n in slices],
        "requests": len(flat),
        "requests_in_window": len(in_window),
        "errors": len(errors),
        "error_statuses": _count(r[3] for r in errors),
        "cores_used": {
            "server": round(server_cpu / args.duration, 2),
            "client": round(client_cpu / args.duration, 2),
            "machine": round(machine / args.duration, 2),
            "other": round((machine - server_cpu - client_cpu) / args.duration, 2),
        },
    }
    if errors:
        sample = errors[0][4][:300].decode("utf-8", "replace")
        figures["first_error"] = f"HTTP {errors[0][3]}: {sample}"
    return figures, [(r[0], r[3], r[4]) for r in flat]


def _count(values) -> dict:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


def verify(posted: list, leads: list[dict], prefix: str = FULL_PREFIX) -> dict:
    """Every lead answered 2xx exists exactly once, deduplicated, routed, timed, audited."""
    from django.db.models import Count

    from salesops.leads.models import Assignment, Inquiry, Lead
    from salesops.leads.services import sla_policy

    ok = [(i, json.loads(body)) for i, status, body in posted if 200 <= status < 300]
    outcomes = _count(answer.get("outcome") for _i, answer in ok)
    ids = [answer["id"] for _i, answer in ok if answer.get("outcome") == "created"]
    phones = [f"+86{leads[i]['phone']}" for i, _answer in ok]
    address_only = [answer["id"] for i, answer in ok if "province" not in leads[i]]
    per_phone: dict[str, int] = {}
    chunk = 2_000
    for k in range(0, len(phones), chunk):
        rows = (
            Lead.objects.filter(phone__in=phones[k : k + chunk])
            .values("phone")
            .annotate(n=Count("id"))
            .values_list("phone", "n")
        )
        per_phone.update(rows)
    all_ours = Lead.objects.filter(phone__startswith=f"+86{prefix}").count()

    def leads_with(model, field="lead_id", **extra) -> int:
        found = set()
        for k in range(0, len(ids), chunk):
            part = ids[k : k + chunk]
            found |= set(
                model.objects.filter(**{f"{field}__in": part}, **extra).values_list(
                    field, flat=True
                )
            )
        return len(found)

    def count(**conditions) -> int:
        return sum(
            Lead.objects.filter(pk__in=ids[k : k + chunk], **conditions).count()
            for k in range(0, len(ids), chunk)
        )

    figures = {
        "answered_2xx": len(ok),
        "outcomes": outcomes,
        "leads_in_db": all_ours,
        "phones_found_once": sum(1 for p in phones if per_phone.get(p) == 1),
        "with_assignment": leads_with(Assignment),
        "with_history": leads_with(Lead.history.model, "id", history_type="+"),
        "with_inquiry": leads_with(Inquiry),
        "owned": count(owner__isnull=False),
        "owned_with_sla_due": count(owner__isnull=False, sla_due_at__isnull=False),
        "pool": count(owner__isnull=True),
        "address_only": len(address_only),
        "address_only_with_province": sum(
            Lead.objects.filter(pk__in=address_only[k : k + chunk], province__gt="").count()
            for k in range(0, len(address_only), chunk)
        ),
        "flagged_possible_duplicate": count(review_state="review"),
    }
    sla_on = sla_policy() is not None
    checks = [
        figures["outcomes"].get("created", 0) == len(ok),
        figures["phones_found_once"] == len(ok),
        figures["leads_in_db"] == len(ok),
        figures["with_assignment"] == len(ids),
        figures["with_history"] == len(ids),
        figures["with_inquiry"] == len(ids),
        not sla_on or figures["owned_with_sla_due"] == figures["owned"],
    ]
    figures["all_checks_ok"] = all(checks)
    return figures


def query_breakdown(token: str, samples: int = 40) -> dict:
    """The queries of one intake (in process, through Django's test client): how many,
    and the slowest kinds by milliseconds per lead (their plans explain a slow intake)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    data = Data(seed=31)
    path = f"/leads/intake/{token}/"
    kinds: dict[str, list] = {}
    count = 0
    for n in range(samples + 5):
        body = json.dumps(data.lead("135", n))
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(path, body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        if n < 5:  # warm-up: caches, snapshot
            continue
        count += len(ctx.captured_queries)
        for query in ctx.captured_queries:
            kind = kinds.setdefault(query["sql"][:160], [0, 0.0])
            kind[0] += 1
            kind[1] += float(query["time"]) * 1000
    slowest = sorted(kinds.items(), key=lambda kv: kv[1][1], reverse=True)[:6]
    return {
        "queries_per_lead": round(count / samples, 1),
        "db_ms_per_lead": round(sum(k[1] for k in kinds.values()) / samples, 1),
        "slowest": [f"{ms / samples:.1f} ms ×{n / samples:.1f}: {sql}" for sql, (n, ms) in slowest],
    }


# --- routing in process ---------------------------------------------------------------------
def measure_routing(n: int) -> dict:
    from salesops.core import entities
    from salesops.leads import region, routing
    from salesops.leads.models import Lead
    from salesops.org.models import Role, User

    data = Data(seed=23)
    entity = entities.get("lead")
    variables = []
    for i in range(n):
        fields = data.lead("136", i)
        lead = Lead(**{k: v for k, v in fields.items()})
        if not lead.province:
            lead.province, lead.city = region.province_city(lead.address)
        variables.append(entity.variables(lead))
    snapshot = routing.build_snapshot()
    counts = routing.counts_today(snapshot.day)
    rep_ids = list(User.objects.filter(role=Role.REP).values_list("pk", flat=True))
    loads = routing.open_loads(rep_ids)
    for v in variables[:200]:  # warm up
        routing.decide(snapshot, v, counts, loads=loads)
    started = time.perf_counter()
    placed = 0
    for v in variables:
        placed += routing.decide(snapshot, v, counts, loads=loads).placed
    seconds = time.perf_counter() - started
    profile = cProfile.Profile()
    profile.enable()
    for v in variables[:2_000]:
        routing.decide(snapshot, v, counts, loads=loads)
    profile.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    total = stats.total_tt or 1
    top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:10]  # tottime
    # Expression.evaluate wraps expressions.evaluate: the larger cumulative time is the share.
    evaluate = max(
        (
            st[3]
            for func, st in stats.stats.items()
            if func[2] == "evaluate" and "expressions" in func[0]
        ),
        default=0.0,
    )
    return {
        "decisions": n,
        "decisions_per_s": round(n / seconds, 1),
        "us_per_decision": round(seconds / n * 1e6, 1),
        "placed": placed,
        "rules": len(snapshot.rules),
        "eligible_users": len(snapshot.eligible),
        "expression_evaluate_share_pct": round(100 * evaluate / total),
        "profile_top_self_time": [
            f"{func[2]} ({Path(func[0]).name}:{func[1]}) {100 * st[2] / total:.0f}%"
            for func, st in top
        ],
    }


# --- main -------------------------------------------------------------------------------------
def main():
    args = parse_args()
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    VAR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{SQLITE_FILE}"
    fresh_database(url)
    for name in ("huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm"):
        (VAR / name).unlink(missing_ok=True)
    common.setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    # Sync workers (one thread each): every request is a new connection that the first
    # free process accepts, so the 16 clients are shared evenly. With keep-alive threads
    # (gthread) each client stays on the process that accepted it, and the unlucky ones
    # queue behind a busy process (p99 two to three times higher in our runs). On SQLite
    # the writers take turns on one lock, so as many processes as cores.
    cores = os.cpu_count() or 2
    workers = args.workers or (cores if sqlite else 2 * cores)
    threads = args.threads or 1

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    setup = build_org(args.existing)
    setup["migrate_seconds"] = round(migrate_s, 1)
    token = setup.pop("channel_token")
    print(
        f"set-up: {setup['reps']} reps, {setup['routing_rules']} rules, "
        f"{setup['existing_open_leads']:,} open leads and accounts "
        f"(migrate {setup['migrate_seconds']} s, org {setup['seconds']} s)",
        flush=True,
    )
    connection.close()  # the servers write now; SQLite readers must not hold it open

    figures = {
        "config": {
            "server": "gunicorn",
            "default_case": "salesops run --port P, as make run starts it (worker included)",
            "workers": workers,
            "threads": threads,
            "clients": args.clients,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
        },
        "setup": setup,
    }
    most = int(1000 * (args.warmup + args.duration))  # far more than any server answers
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if unknown := set(cases) - set(CASES):
        sys.exit(f"unknown --cases: {', '.join(sorted(unknown))}")
    if args.no_bare and "bare" in cases:
        cases.remove("bare")
    if args.only in ("all", "http"):
        data = Data(seed=1)
        leads = [data.lead(FULL_PREFIX, n) for n in range(most)]
        bodies = [json.dumps(lead, ensure_ascii=False).encode() for lead in leads]

        def measure(label, prefix, server_workers, settings_module="salesops.settings"):
            """One case: its own server, the load, then the database checked."""
            if prefix == FULL_PREFIX:
                these = leads
            else:  # other companies too: a case must not merge into an earlier case's leads
                other = Data(seed=int(prefix))
                these = [other.lead(prefix, n) for n in range(most)]
            payloads = [json.dumps(lead, ensure_ascii=False).encode() for lead in these]
            server = Server(label, url, server_workers, threads, settings_module)
            try:
                result, posted = run_load(server, f"/leads/intake/{token}/", payloads, args)
            finally:
                server.stop()
            print(f"  {label}: {_line(result)}", flush=True)
            result["verified"] = verify(posted, these, prefix)
            print(f"  verified: {result['verified']}", flush=True)
            connection.close()
            return result

        if "full" in cases:
            full = measure("full", FULL_PREFIX, workers)
            full["queries"] = query_breakdown(token)
            print(f"  queries: {full['queries']}", flush=True)
            figures["full"] = full
            connection.close()
        if "bare" in cases:
            bodies = [
                json.dumps({**lead, "phone": BARE_PREFIX + lead["phone"][3:]}).encode()
                for lead in leads
            ]
            server = Server("bare", url, workers, threads, "intake_bare")
            try:
                bare, _posted = run_load(server, f"/bench/bare/{token}/", bodies, args)
            finally:
                server.stop()
            print(f"  bare: {_line(bare)}", flush=True)
            figures["bare"] = bare
            if "full" in figures:
                figures["full_over_bare"] = round(full["leads_per_s"] / bare["leads_per_s"], 3)
        if "default" in cases:
            # ``salesops run`` as ``make run`` starts it, background worker included.
            figures["default"] = measure("default", DEFAULT_PREFIX, None)
        if "overflow" in cases:
            # Every rep's cap is full (each took more than OVERFLOW_CAP leads today): every
            # lead goes to the pool. Default server, as above.
            from salesops.core import clock
            from salesops.leads.routing import counts_today
            from salesops.org.models import Role, User

            # a rep who took fewer today gets that many as cap: full too
            taken = counts_today(clock.today())
            by_cap: dict[int, list[int]] = {}
            for rep in User.objects.filter(role=Role.REP).values_list("pk", flat=True):
                by_cap.setdefault(min(OVERFLOW_CAP, taken.get(rep, 0)), []).append(rep)
            for cap, reps in by_cap.items():
                User.objects.filter(pk__in=reps).update(daily_lead_cap=cap)
            connection.close()
            figures["overflow"] = measure("overflow", OVERFLOW_PREFIX, None)
            figures["config"]["overflow_daily_cap"] = OVERFLOW_CAP
    if args.only in ("all", "routing"):
        figures["routing"] = measure_routing(args.decisions)
        print(f"  routing: {figures['routing']['decisions_per_s']:,.0f} decisions/s", flush=True)

    figures["targets"] = check_targets(figures)
    misses = [k for k, v in figures["targets"].items() if not v.startswith("ok")]
    parts = []
    if "full" in figures:
        full = figures["full"]
        parts.append(
            f"full {_line(full)}, verified {'ok' if full['verified']['all_checks_ok'] else 'FAILED'}"
        )
    if "bare" in figures:
        ratio = figures.get("full_over_bare", "-")
        parts.append(f"bare {_line(figures['bare'])}, full/bare {ratio}")
    for case in ("default", "overflow"):
        if case in figures:
            verified = figures[case]["verified"]["all_checks_ok"]
            parts.append(
                f"{case} {_line(figures[case])}, verified {'ok' if verified else 'FAILED'}"
            )
    if "routing" in figures:
        parts.append(f"routing {figures['routing']['decisions_per_s']:,.0f}/s")
    parts.append(f"MISSED: {', '.join(misses)}" if misses else "all targets met")
    common.write_result(NAME, figures, summary=f"{workers}w×{threads}t; " + "; ".join(parts))


def _line(f: dict) -> str:
    return (
        f"{f['leads_per_s']:.0f} leads/s, p50 {f['p50_ms']} / p95 {f['p95_ms']} / "
        f"p99 {f['p99_ms']} ms, {f['errors']} errors, server {f['cores_used']['server']} "
        f"client {f['cores_used']['client']} other {f['cores_used']['other']} cores"
    )


def check_targets(figures: dict) -> dict:
    verdicts = {}
    for case, label in (("full", "intake"), ("default", "default run"), ("overflow", "overflow")):
        if case not in figures:
            continue
        result = figures[case]
        ok = result["leads_per_s"] >= TARGET_LEADS_PER_S
        verdicts[f"{label} >= {TARGET_LEADS_PER_S:g} leads/s"] = (
            f"{'ok' if ok else 'MISS'} ({result['leads_per_s']})"
        )
        ok = result["p99_ms"] < TARGET_P99_MS
        verdicts[f"{label} p99 < {TARGET_P99_MS:g} ms"] = (
            f"{'ok' if ok else 'MISS'} ({result['p99_ms']})"
        )
        ok = result["errors"] == 0 and result["verified"]["all_checks_ok"]
        verdicts[f"{label}: every lead stored once, routed, timed, audited"] = (
            "ok" if ok else "MISS"
        )
    if "overflow" in figures:
        verified = figures["overflow"]["verified"]
        ok = verified["pool"] == verified["answered_2xx"]
        verdicts["overflow: every lead in the pool"] = (
            f"{'ok' if ok else 'MISS'} ({verified['pool']})"
        )
    if "routing" in figures:
        rate = figures["routing"]["decisions_per_s"]
        ok = rate >= TARGET_DECISIONS_PER_S
        verdicts[f"routing >= {TARGET_DECISIONS_PER_S:g} decisions/s"] = (
            f"{'ok' if ok else 'MISS'} ({rate})"
        )
    return verdicts


if __name__ == "__main__":
    main()
