"""Pages benchmark: server time and query count of the account pages and API at 50,000
accounts (the large demo organisation).

    .venv/bin/python bench/pages.py                 # SQLite file var/bench-pages.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages .venv/bin/python bench/pages.py

The first run migrates the bench database and loads ``demo --size large`` into it (timed
and recorded); later runs reuse it. Each case is requested through Django's test
``Client`` — ``time around client.get`` is the server time (URL routing, middleware,
view, queries, template rendering; no network) — with warm-up requests excluded, then
``--samples`` timed requests, then one more inside ``CaptureQueriesContext`` for the
query count. Result: ``bench/results/pages-<db>.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "pages"
TARGET_P95_MS = 150.0
TARGET_DEMO_SECONDS = 120.0
LARGE_ACCOUNTS = 50_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per case first")
    parser.add_argument(
        "--only",
        choices=["all", "api", "pages"],
        default="all",
        help="measure only the API or only the HTML pages",
    )
    parser.add_argument(
        "--explain", action="store_true", help="add the query plan of each case's slowest query"
    )
    return parser.parse_args()


def ensure_data() -> float | None:
    """Migrate and load the large demo if needed; returns the demo's build seconds."""
    from django.core.management import call_command

    from salesops.customers.models import Account
    from salesops.demo.build import build

    call_command("migrate", verbosity=0, interactive=False)
    count = Account.objects.count()
    if count >= LARGE_ACCOUNTS:
        return None
    if count:
        sys.exit(
            f"The bench database has {count:,} accounts, not the large demo. "
            "Delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    print("loading the large demo organisation (one time) …", flush=True)
    result = build("large")
    print(result.summary(), flush=True)
    return round(result.seconds, 1)


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def measure(client, url: str, samples: int, warmup: int, with_explain: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    figures = {"url": url, "status": response.status_code}
    if response.status_code != 200:
        figures["note"] = "not measured: the page does not answer 200 yet"
        return figures
    for _ in range(warmup):
        client.get(url)
    times = []
    for _ in range(samples):
        response, ms = common.timed(client.get, url)
        assert response.status_code == 200, (url, response.status_code)
        times.append(ms)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]), default=None)
    figures.update(
        {
            "p50_ms": round(common.percentile(times, 50), 1),
            "p95_ms": round(common.percentile(times, 95), 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
            "queries": len(ctx.captured_queries),
            "bytes": len(response.content),
            "samples": samples,
        }
    )
    if slowest is not None:
        figures["slowest_query"] = {
            "ms": round(float(slowest["time"]) * 1000, 1),
            "sql": slowest["sql"][:600],
        }
        if with_explain:
            figures["slowest_query"]["plan"] = _plan_of(slowest["sql"])
    return figures


def _plan_of(sql: str) -> list[str]:
    """The plan of a captured query. Captured SQL has the parameters inlined, so re-run it
    as text (only our own read queries are explained)."""
    try:
        return explain(sql, None)
    except Exception as exc:  # noqa: BLE001 - a plan is a nice-to-have, never fatal
        return [f"(no plan: {exc})"]


def api_page_size_queries(client) -> dict:
    """Query count of the API list at several page sizes: must not depend on it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (10, 25, 100):
        client.get(f"/api/v1/accounts?page_size={size}")  # warm the session / caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/accounts?page_size={size}")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()["results"]) == size
        counts[str(size)] = len(ctx.captured_queries)
    return counts


def main():
    args = parse_args()
    common.setup_django(f"sqlite:///{common.ROOT / 'var' / 'bench-pages.sqlite3'}")

    from django.test import Client

    from salesops.customers.models import Account
    from salesops.org.models import User

    demo_seconds = ensure_data()
    clients = {}
    for username in ("director", "manager_east"):
        # A page that fails answers 500 here instead of aborting the whole benchmark.
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=username))
        clients[username] = client
    # An account each user may see: the director's from the middle of the list, the
    # manager's owned by one of their reps.
    middle = Account.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[
        LARGE_ACCOUNTS // 2
    ]
    east = (
        Account.objects.filter(owner__team__name="华东")
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    detail = {"director": middle, "manager_east": east}

    cases = {}
    for username, client in clients.items():
        user_cases = {}
        if args.only in ("all", "pages"):
            user_cases["account_list_page1"] = "/customers/accounts/"
            user_cases["account_list_page500"] = "/customers/accounts/?page=500"
            user_cases["account_detail"] = f"/customers/accounts/{detail[username]}/"
            user_cases["home_dashboard"] = "/"
        if args.only in ("all", "api"):
            user_cases["api_account_list"] = "/api/v1/accounts?page_size=25"
            user_cases["api_account_list_page500"] = "/api/v1/accounts?page_size=25&page=500"
        cases[username] = {
            label: measure(client, url, args.samples, args.warmup, args.explain)
            for label, url in user_cases.items()
        }
        for label, figures in cases[username].items():
            shown = (
                f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, {figures['queries']} queries"
                if "p95_ms" in figures
                else f"HTTP {figures['status']} — {figures.get('note', '')}"
            )
            print(f"  {username:13} {label:26} {shown}", flush=True)

    figures = {"accounts": Account.objects.count(), "cases": cases}
    if args.only in ("all", "api"):
        figures["api_queries_by_page_size"] = {
            username: api_page_size_queries(client) for username, client in clients.items()
        }

    # The demo build time: measured now if this run built it, else carried over.
    if demo_seconds is not None:
        figures["demo_large_seconds"] = demo_seconds
    else:
        previous = (common.read_result(NAME) or {}).get("figures", {})
        if "demo_large_seconds" in previous:
            figures["demo_large_seconds"] = previous["demo_large_seconds"]
            figures["demo_large_note"] = "from an earlier run (the database was already loaded)"

    figures["targets"] = check_targets(figures)
    misses = [k for k, v in figures["targets"].items() if v.startswith("MISS")]
    measured = [f for user in cases.values() for f in user.values() if "p95_ms" in f]
    worst = max((f["p95_ms"] for f in measured), default=None)
    summary = (
        f"{len(measured)} cases at {figures['accounts']:,} accounts, worst p95 "
        f"{worst} ms; API queries by page size {figures.get('api_queries_by_page_size', {})}; "
        f"demo large {figures.get('demo_large_seconds', 'n/a')} s; "
        + (f"MISSED: {', '.join(misses)}" if misses else "all measured targets met")
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
    for username, counts in figures.get("api_queries_by_page_size", {}).items():
        same = len(set(counts.values())) == 1
        verdicts[f"api query count independent of page size ({username})"] = (
            f"{'ok' if same else 'MISS'} ({counts})"
        )
    if "demo_large_seconds" in figures:
        ok = figures["demo_large_seconds"] < TARGET_DEMO_SECONDS
        verdicts[f"demo large <{TARGET_DEMO_SECONDS:g}s"] = (
            f"{'ok' if ok else 'MISS'} ({figures['demo_large_seconds']} s)"
        )
    return verdicts


if __name__ == "__main__":
    main()
