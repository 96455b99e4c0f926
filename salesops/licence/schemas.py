from __future__ import annotations

from datetime import datetime

from ninja import Schema


class LicenceScanOut(Schema):
    """A scan: ``state`` queued → reading → done or failed; ``progress`` 0–100; ``fields``
    by name (name, credit_code, legal_rep, address, capital, type, established), each
    ``{"value", "confidence"}`` (credit_code also ``status``: valid, corrected or
    unchecked, and ``raw``, the text read)."""

    id: int
    state: str
    progress: int
    fields: dict
    error: str
    keep_photo: bool
    has_photo: bool
    created_at: datetime
    finished_at: datetime | None
    ocr_seconds: float | None

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.image)


class ScanPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[LicenceScanOut]
