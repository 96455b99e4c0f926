"""Issue 20's benchmark, in one command: the three field-work figures.

    .venv/bin/python bench/field.py          # SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_field .venv/bin/python bench/field.py

Runs, each in its own process with its own fresh database, ``bench/licence_ocr.py``
(median and p95 seconds per licence image), ``bench/field_sync.py`` (500 queued offline
items replayed through ``salesops run``, target < 10 s) and ``bench/inbox.py`` (incoming
messages matched and tagged per second, target ≥ 200), then gathers their headline
figures into ``bench/results/field-<db>.json`` and prints one line. The three scripts
keep their own results and can be run alone; ``make bench`` runs them through this one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PARTS = ("licence_ocr", "field_sync", "inbox")


def _run(name: str) -> None:
    subprocess.run([sys.executable, str(HERE / f"{name}.py")], check=True)


def main() -> None:
    for name in PARTS:
        _run(name)
    import common  # noqa: PLC0415 — after the parts: Django starts on this run's database

    (common.ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    common.setup_django("sqlite:///" + str(common.ROOT / "var" / "bench" / "field.sqlite3"))
    parts = {name: (common.read_result(name) or {}).get("figures", {}) for name in PARTS}
    ocr, sync, inbox = parts["licence_ocr"], parts["field_sync"], parts["inbox"]
    figures = {
        "ocr_seconds_per_image": ocr.get("per_image_s"),
        "ocr_accuracy": ocr.get("accuracy"),
        "sync_items": sync.get("items"),
        "sync_seconds": sync.get("first_seconds"),
        "sync_within_target": sync.get("within_target"),
        "inbox_per_second": inbox.get("matched_tagged", {}).get("per_second"),
        "inbox_per_second_parallel": inbox.get("matched_tagged_parallel", {}).get("per_second"),
        "inbox_target": inbox.get("target"),
        "parts": {name: f"bench/results/{name}-{common.db_vendor()}.json" for name in PARTS},
    }
    per_image = ocr.get("per_image_s") or {}
    summary = (
        f"OCR median {per_image.get('median')} s, p95 {per_image.get('p95')} s per licence; "
        f"sync {sync.get('items')} items in {sync.get('first_seconds')} s (target < 10 s); "
        f"inbox {figures['inbox_per_second']} msg/s (target ≥ 200: {inbox.get('target')})"
    )
    common.write_result("field", figures, summary=summary)


if __name__ == "__main__":
    main()
