"""Pages benchmark: p95 and query count of the everyday pages at the large demo grown to
200 reps, 50,000 accounts, 200,000 leads and 2,000,000 activities (× ``--scale``), for a
rep, a manager of 50 reps and the director, through the server ``make run`` starts.

    .venv/bin/python bench/pages.py --scale 0.01      # SQLite file var/bench/pages-v<N>-s0.01.sqlite3
    .venv/bin/python bench/pages.py                   # the issue's sizes (build: minutes)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages .venv/bin/python bench/pages.py

The first run at a scale builds the data (``bench/pages_data.py``) and later runs reuse it.
Then ``salesops run --port P`` starts exactly as ``make run`` starts it (gunicorn, its
default processes, the worker beside it, no DEBUG); each user logs in through the login
form, and each page of ``PAGES`` is requested ``--warmup`` times untimed, then
``--samples`` times timed (client-side wall time over HTTP on 127.0.0.1). The query count
of one request of each page comes from Django's test client in this process
(``CaptureQueriesContext``: the server cannot report it), with the slowest query (and
its plan with ``--explain``). Result: ``bench/results/pages-<db>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import pages_data  # noqa: E402

NAME = "pages"
TARGET_P95_MS = 150.0
# "A bounded query count": no page's queries grow with its rows (tests assert that for
# the activity and lead lists); this ceiling catches a page that starts querying per row.
TARGET_MAX_QUERIES = 25
VAR = common.ROOT / "var" / "bench"

# The pages measured: (label, URL). ``{account}`` is an account the user may see. Adding
# a page is one line.
PAGES = [
    ("home", "/"),  # the role's home: rep's day, manager's team board, director by team
    ("home_breached", "/?show=breached"),  # the team board's breached filter (managers)
    ("dashboard", "/dashboard/"),
    ("lead_list", "/leads/"),
    ("activity_list", "/activities/"),
    ("contract_list", "/revenue/contracts/"),
    ("complaint_list", "/aftersales/complaints/"),
    ("account_list", "/customers/accounts/"),
    ("account_list_page200", "/customers/accounts/?page=200"),
    ("account_detail", "/customers/accounts/{account}/"),
    ("api_account_list", "/api/v1/accounts?page_size=25"),
]
# The users: label → how to find them (a username, or the rep of the manager's team
# with the median book).
MANAGER = "manager_south"  # 华南: 25 % of 200 reps = 50 reps
USERS = ("rep", "manager", "director")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data size × this (1.0: the issue's sizes)"
    )
    parser.add_argument("--samples", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--pages", default="", help="comma-separated labels (default: all)")
    parser.add_argument("--users", default=",".join(USERS), help="rep,manager,director")
    parser.add_argument(
        "--explain", action="store_true", help="add the query plan of each page's slowest query"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build (or check) the data, measure nothing"
    )
    return parser.parse_args()


# --- the server, as make run starts it ------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``salesops run --port P`` as ``make run`` starts it: its default server and
    processes, the worker beside it, no DEBUG, SECRET_KEY or LOG_LEVEL of ours (the key
    is generated under var/bench/, where the worker's queue lives too)."""

    def __init__(self, url: str):
        self.port = free_port()
        env = dict(os.environ)
        for name in ("DEBUG", "SECRET_KEY", "LOG_LEVEL", "WEB_CONCURRENCY", "SALESOPS_SERVER"):
            env.pop(name, None)
        env.update(DATABASE_URL=url, SALESOPS_VAR_DIR=str(VAR))
        env.update(SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
        self.log = VAR / "server-pages.log"
        command = [sys.executable, "-m", "salesops.cli", "run", "--port", str(self.port)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=common.ROOT, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server exited; see {self.log}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"the server did not answer /healthz in 60 s; see {self.log}")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def get(self, path, cookies: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        return self.request("GET", path, headers=headers)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _cookies(headers, jar: dict) -> dict:
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return jar


def login(server: Server, username: str) -> dict:
    """Log in through the login form like a person; returns the cookie jar."""
    from salesops.demo import PASSWORD

    status, headers, body = server.get("/login/")
    jar = _cookies(headers, {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    status, headers, body = server.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
            "Referer": f"http://127.0.0.1:{server.port}/login/",
        },
    )
    jar = _cookies(headers, jar)
    if status != 302 or "sessionid" not in jar:
        sys.exit(f"logging in as {username} failed (HTTP {status})")
    return jar


# --- the users and their pages --------------------------------------------------------------
def pick_users() -> dict:
    """``{label: User}``: the manager of 50 reps, the rep of that team with the median
    number of accounts, the director."""
    from django.db.models import Count

    from salesops.org.models import User

    manager = User.objects.get(username=MANAGER)
    reps = list(
        User.objects.filter(team=manager.team, role="rep")
        .annotate(n=Count("accounts"))
        .order_by("n", "pk")
    )
    return {
        "rep": reps[len(reps) // 2],
        "manager": manager,
        "director": User.objects.get(username="director"),
    }


def url_for(template: str, user) -> str:
    if "{account}" not in template:
        return template
    from salesops.customers.models import Account

    visible = Account.objects.visible_to(user).order_by("-created_at", "-pk")
    count = visible.count()
    pk = visible.values_list("pk", flat=True)[count // 2]
    return template.format(account=pk)


def query_figures(user, url: str, with_explain: bool) -> dict:
    """Status, query count and slowest query of one request in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)
    client.force_login(user)
    client.get(url)  # warm the caches (tags, settings …) like the server's warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    figures = {
        "status_in_process": response.status_code,
        "queries": len(ctx.captured_queries),
        "queries_ms": round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 1),
    }
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]), default=None)
    if slowest is not None:
        figures["slowest_query"] = {
            "ms": round(float(slowest["time"]) * 1000, 1),
            "sql": slowest["sql"][:600],
        }
        if with_explain:
            figures["slowest_query"]["plan"] = _plan_of(slowest["sql"])
    return figures


def _plan_of(sql: str) -> list[str]:
    """The plan of a captured query (parameters inlined: re-run as text; only our own
    read queries are explained)."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    try:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            return [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    except Exception as exc:  # noqa: BLE001 - a plan is a nice-to-have, never fatal
        return [f"(no plan: {exc})"]


def measure(server: Server, jar: dict, url: str, samples: int, warmup: int) -> dict:
    status, _headers, body = server.get(url, jar)
    figures = {"url": url, "status": status}
    if status != 200:
        figures["note"] = "not measured: the page does not answer 200"
        return figures
    for _ in range(warmup):
        server.get(url, jar)
    times = []
    for _ in range(samples):
        (status, _h, body), ms = common.timed(server.get, url, jar)
        if status != 200:
            figures.update(status=status, note=f"not measured: answered {status} once")
            return figures
        times.append(ms)
    figures.update(
        {
            "p50_ms": round(common.percentile(times, 50), 1),
            "p95_ms": round(common.percentile(times, 95), 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
            "bytes": len(body),
            "samples": samples,
        }
    )
    return figures


def counts() -> dict:
    from salesops.activities.models import Activity
    from salesops.aftersales.models import Complaint, ServiceTicket
    from salesops.customers.models import Account, Contact
    from salesops.leads.models import Lead
    from salesops.org.models import User
    from salesops.revenue.models import Contract, Payment

    models = {
        "users": User,
        "accounts": Account,
        "contacts": Contact,
        "leads": Lead,
        "activities": Activity,
        "contracts": Contract,
        "payments": Payment,
        "complaints": Complaint,
        "tickets": ServiceTicket,
    }
    return {label: model.objects.count() for label, model in models.items()}


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'pages-v{pages_data.DATA_VERSION}-s{scale:g}.sqlite3'}"


def main():
    args = parse_args()
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(url)
    from django.db import connection

    build = pages_data.ensure(args.scale)
    if args.build_only:
        return
    users = pick_users()
    wanted_users = [u.strip() for u in args.users.split(",") if u.strip()]
    wanted_pages = {p.strip() for p in args.pages.split(",") if p.strip()}
    pages = [(label, t) for label, t in PAGES if not wanted_pages or label in wanted_pages]
    plan = {
        label: [(page, url_for(template, users[label])) for page, template in pages]
        for label in wanted_users
    }
    queries = {
        label: {page: query_figures(users[label], u, args.explain) for page, u in plan[label]}
        for label in wanted_users
    }
    connection.close()  # SQLite: the server reads now

    server = Server(url)
    cases = {}
    try:
        for label in wanted_users:
            jar = login(server, users[label].username)
            cases[label] = {}
            for page, page_url in plan[label]:
                figures = measure(server, jar, page_url, args.samples, args.warmup)
                figures.update(queries[label][page])
                cases[label][page] = figures
                shown = (
                    f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
                    f"{figures['queries']} queries ({figures['queries_ms']} ms in process)"
                    if "p95_ms" in figures
                    else f"HTTP {figures['status']} — {figures.get('note', '')}"
                )
                print(f"  {label:8} {page:22} {shown}", flush=True)
    finally:
        server.stop()

    figures = {
        "scale": args.scale,
        "data_version": pages_data.DATA_VERSION,
        "counts": counts(),
        "users": {label: users[label].username for label in wanted_users},
        "server": "salesops run --port P (as make run: gunicorn, default processes, worker)",
        "cases": cases,
        "data_build_seconds": build["seconds"] if build else pages_data.build_seconds(),
    }
    if not build:
        figures["data_build_note"] = "from the run that built this database"
    figures["targets"] = check_targets(figures)
    misses = [k for k, v in figures["targets"].items() if not v.startswith("ok")]
    measured = [f for user in cases.values() for f in user.values() if "p95_ms" in f]
    worst = max(measured, key=lambda f: f["p95_ms"], default=None)
    summary = (
        f"{len(measured)} cases at scale {args.scale:g} "
        f"({figures['counts']['activities']:,} activities), worst p95 "
        f"{worst['p95_ms'] if worst else 'n/a'} ms ({worst['url'] if worst else ''}); "
        + (f"MISSED: {', '.join(misses)}" if misses else "all targets met")
    )
    common.write_result(NAME, figures, summary=summary)


def check_targets(figures: dict) -> dict:
    verdicts = {}
    for username, user_cases in figures["cases"].items():
        for label, case in user_cases.items():
            key = f"p95<{TARGET_P95_MS:g}ms {username} {label}"
            if "p95_ms" not in case:
                verdicts[key] = f"NOT MEASURED (HTTP {case['status']})"
            else:
                ok = case["p95_ms"] < TARGET_P95_MS
                verdicts[key] = f"{'ok' if ok else 'MISS'} ({case['p95_ms']} ms)"
            if "queries" in case:
                ok = case["queries"] <= TARGET_MAX_QUERIES
                verdicts[f"queries<={TARGET_MAX_QUERIES} {username} {label}"] = (
                    f"{'ok' if ok else 'MISS'} ({case['queries']})"
                )
    return verdicts


if __name__ == "__main__":
    main()
