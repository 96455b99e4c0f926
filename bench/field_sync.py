"""The offline outbox replayed against the real server (issue 20, SPEC X6): 500 items a rep
queued offline — new leads, check-ins on their leads, lead edits (some meeting a change
made on the server meanwhile: conflicts) — sent to ``POST /api/v1/field/sync`` the way
field.js sends them (in order, in batches of the policy's size), then the same outbox
sent again (every item answered "replayed", nothing written). Target: 500 items in < 10 s.

    .venv/bin/python bench/field_sync.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_field \\
        .venv/bin/python bench/field_sync.py
    .venv/bin/python bench/field_sync.py --items 500 --batch 50

Every run starts from a fresh database (the SQLite file under var/bench-field/ is deleted,
the PostgreSQL database dropped and created), migrated, with one team, one rep and the
rep's leads. The server is ``salesops run --port P`` started exactly as ``make run`` starts
it (its default server and processes, the worker beside it). Writes
bench/results/field_sync-<db>.json and prints one line.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

VAR = common.ROOT / "var" / "bench-field"
SQLITE_FILE = VAR / "field.sqlite3"
TARGET_SECONDS = 10.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=500, help="outbox items (default 500)")
    parser.add_argument(
        "--batch", type=int, default=0, help="items per request (default: the policy's, 500)"
    )
    return parser.parse_args()


def fresh_database(url: str) -> None:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``salesops run --port P`` as ``make run`` starts it."""

    def __init__(self, url: str):
        self.port = free_port()
        env = dict(os.environ)
        for name in ("DEBUG", "SECRET_KEY", "LOG_LEVEL", "WEB_CONCURRENCY", "SALESOPS_SERVER"):
            env.pop(name, None)
        env.update(DATABASE_URL=url, SALESOPS_VAR_DIR=str(VAR))
        env.update(SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
        self.log = VAR / "server.log"
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
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"the server did not answer /healthz in 60 s; see {self.log}")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def build(count: int):
    """A team, its manager and one rep with leads; the rep's API token; the outbox."""
    from django.core.management import call_command

    from salesops.leads import services as lead_services
    from salesops.org import services as org_services
    from salesops.org.models import Role, User

    call_command("migrate", verbosity=0)
    manager = User.objects.create_user("bench_manager", role=Role.MANAGER, display_name="经理")
    team = org_services.team_create(name="华东", manager=manager)
    rep = User.objects.create_user("bench_rep", role=Role.REP, display_name="销售", team=team)
    _, key = org_services.api_token_create(user=rep, name="bench")
    channel = lead_services.manual_channel()
    leads = [
        lead_services.lead_intake(
            channel=channel,
            owner=rep,
            data={
                "contact_name": f"联系人{n}",
                "phone": f"1370000{n:04d}",
                "company": f"基准测试{n:04d}号科技有限公司",
                "need": "原来的需求",
            },
        ).lead
        for n in range(max(10, count // 5))
    ]
    # Meanwhile on the server: the manager changed some leads' need (→ conflicts).
    for lead in leads[::4]:
        lead_services.lead_update(actor=manager, lead=lead, need="经理改过的需求")
    items = []
    for n in range(count):
        lead = leads[n % len(leads)]
        if n % 5 in (0, 1):
            kind, payload = (
                "lead.create",
                {
                    "contact_name": f"离线{n}",
                    "phone": f"1390000{n:04d}",
                    "company": f"离线录入{n:05d}号贸易有限公司",
                    "need": "离线录入的需求",
                },
            )
        elif n % 5 in (2, 3):
            kind = "checkin.create"
            payload = {
                "lead": str(lead.pk),
                "kind": "visit",
                "tag": "demo_booked",
                "note": f"签到{n}",
            }
        else:
            kind = "lead.update"
            payload = {
                "lead": lead.pk,
                "changes": {
                    "need": {"base": "原来的需求", "value": f"离线改的需求{n}"},
                    "city": {"base": lead.city, "value": "宁波"},
                },
            }
        items.append({"uuid": str(uuid.uuid4()), "kind": kind, "payload": payload})
    return key, items


def send(server: Server, key: str, items: list, batch: int) -> tuple[float, dict]:
    statuses: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        body = json.dumps({"items": items[i : i + batch]})
        status, raw = server.request("POST", "/api/v1/field/sync", body=body, headers=headers)
        if status != 200:
            sys.exit(f"sync answered HTTP {status}: {raw[:300]!r}")
        for answer in json.loads(raw)["results"]:
            statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
    return time.perf_counter() - started, statuses


def main() -> None:
    args = parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{SQLITE_FILE}"
    fresh_database(url)
    common.setup_django(url)
    from salesops.field.models import FieldPolicy, SyncConflict, SyncItem
    from salesops.leads.models import Lead

    key, items = build(args.items)
    batch = args.batch or FieldPolicy.current().max_batch
    leads_before = Lead.objects.count()
    server = Server(url)
    try:
        first_s, first = send(server, key, items, batch)
        replay_s, replay = send(server, key, items, batch)
    finally:
        server.stop()
    created = Lead.objects.count() - leads_before
    figures = {
        "items": len(items),
        "batch": batch,
        "requests": -(-len(items) // batch),
        "first_seconds": round(first_s, 2),
        "first_ms_per_item": round(first_s * 1000 / len(items), 2),
        "first_statuses": first,
        "replay_seconds": round(replay_s, 2),
        "replay_statuses": replay,
        "leads_created": created,
        "conflicts": SyncConflict.objects.count(),
        "sync_items_stored": SyncItem.objects.count(),
        "target_seconds": TARGET_SECONDS,
        "within_target": first_s < TARGET_SECONDS,
        "server": "salesops run --port P (as make run: default server and processes, worker)",
    }
    if replay.get("replayed") != len(items) or SyncItem.objects.count() != len(items):
        sys.exit(f"the replay wrote something: {figures}")
    summary = (
        f"{len(items)} items in {first_s:.2f} s ({first_s * 1000 / len(items):.1f} ms/item, "
        f"batches of {batch}; {first}), replay {replay_s:.2f} s (all replayed); "
        f"target < {TARGET_SECONDS:.0f} s: {'met' if first_s < TARGET_SECONDS else 'MISSED'}"
    )
    common.write_result("field_sync", figures, summary=summary)


if __name__ == "__main__":
    main()
