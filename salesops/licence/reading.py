"""Reading one scan in the worker: OCR, fields, and the photo let go unless kept."""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from . import ocr, parsing
from .models import LicenceScan, ScanState

logger = logging.getLogger(__name__)

# Without a credit code and without a company name, whatever the photo shows, it is not a
# licence the page can use.
REQUIRED_ANY = ("credit_code", "name")


def _progress(scan_id: int, progress: int, **changes) -> None:
    LicenceScan.objects.filter(pk=scan_id).update(progress=progress, **changes)


def read(*, scan_id: int) -> None:
    scan = LicenceScan.objects.filter(pk=scan_id, state=ScanState.QUEUED).first()
    if scan is None:  # gone, or read already (a retried task)
        return
    _progress(scan_id, 10, state=ScanState.READING, started_at=clock.now())
    fields, error, seconds = {}, "", None
    try:
        result = ocr.read(Path(scan.image.path))
    except Exception as exc:  # the worker reports to the page rather than crash
        logger.exception("licence scan %s failed", scan_id)
        error = _("The photo could not be read (%(error)s). Take it again.") % {"error": exc}
    else:
        seconds = result.seconds
        _progress(scan_id, 85)
        fields = parsing.read_fields(result.boxes)
        if not any(key in fields for key in REQUIRED_ANY):
            error = _(
                "This picture does not look like a business licence: neither a company name "
                "nor a unified social credit code was found. Photograph the whole licence, "
                "flat, in good light and in focus."
            )
            fields = {}
    _finish(scan_id, fields=fields, error=error, seconds=seconds)


@transaction.atomic
def _finish(scan_id: int, *, fields: dict, error: str, seconds: float | None) -> None:
    scan = LicenceScan.objects.select_for_update().get(pk=scan_id)
    scan.fields = fields
    scan.error = str(error)[:500]
    scan.state = ScanState.FAILED if error else ScanState.DONE
    scan.progress = 100
    scan.finished_at = clock.now()
    scan.ocr_seconds = seconds
    if scan.image and (error or not scan.keep_photo):
        name = scan.image.name
        storage = scan.image.storage
        scan.image = ""
        transaction.on_commit(lambda: storage.delete(name))
    save_with_history(scan, scan.user, "failed" if error else "read")
