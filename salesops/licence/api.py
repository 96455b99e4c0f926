"""Business-licence scans over the API: upload a photo, poll the scan. A user sees only
their own scans (anyone else's is a 404)."""

from ninja import File, Form, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from salesops.core.pagination import paginate

from . import selectors, services
from .schemas import LicenceScanOut, ScanPage

router = Router(tags=["licence"])


@router.post(
    "/licence/scans", response={201: LicenceScanOut}, summary="Read a business licence photo"
)
def scan_create(request, image: File[UploadedFile] = None, keep_photo: Form[bool | None] = None):
    """multipart/form-data: ``image`` (JPEG, PNG, WebP; at most Settings · Business
    licence's size) and ``keep_photo``. The worker reads it: poll ``GET
    /licence/scans/{id}`` until ``state`` is done or failed."""
    scan = services.scan_start(actor=request.user, upload=image, keep_photo=keep_photo)
    scan.refresh_from_db()
    return Status(201, scan)


@router.get("/licence/scans", response=ScanPage, summary="Your licence scans")
def scan_list(request, state: str | None = None, page: int = 1, page_size: int | None = None):
    """Your own scans, newest first; ``state``: queued, reading, done or failed."""
    qs = selectors.scans_visible_to(request.user)
    if state:
        qs = qs.filter(state=state[:10])
    return paginate(qs, page, page_size)


@router.get("/licence/scans/{scan_id}", response=LicenceScanOut, summary="One licence scan")
def scan_get(request, scan_id: int):
    return selectors.scan_for(request.user, scan_id)
