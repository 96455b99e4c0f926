"""The worker's side of a scan: OCR outside the request; the page polls the scan row."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import reading


@db_task()
def read_scan(scan_id: int) -> None:
    reading.read(scan_id=scan_id)
