"""Writes of the licence app: start a scan from an uploaded photo, and Settings ·
Business licence. The form pages reach a scan (and its kept photo) by ``scan_for``."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core.history import save_with_history
from salesops.core.policies import save_bounded

from . import images, tasks
from .models import LicencePolicy, LicenceScan, ScanState
from .selectors import scan_for  # noqa: F401  (the form pages' entry point: services.scan_for)

POLICY_LIMITS = {"max_image_mb": (1, 50)}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_configure(user) -> bool:
    return _active(user) and (user.is_admin_role or user.edits_everything)


@transaction.atomic
def scan_start(*, actor, upload, keep_photo: bool | None = None) -> LicenceScan:
    """Check the photo (nothing is stored when it is refused), store it and queue the
    reading. ``keep_photo`` None takes the default of Settings · Business licence."""
    if not _active(actor):
        raise PermissionDenied(_("Log in to read a business licence."))
    policy = LicencePolicy.current()
    data, kind = images.check_upload(upload, max_mb=policy.max_image_mb)
    scan = LicenceScan(
        user=actor,
        keep_photo=policy.keep_photo_default if keep_photo is None else bool(keep_photo),
        image_name=(getattr(upload, "name", "") or "")[:200],
        image_size=len(data),
        state=ScanState.QUEUED,
    )
    scan.image.save(f"{uuid.uuid4().hex}.{kind}", ContentFile(data), save=False)
    name, storage = scan.image.name, scan.image.storage
    try:
        save_with_history(scan, actor, "uploaded")
    except Exception:  # the row was not written: neither is the photo
        storage.delete(name)
        raise
    transaction.on_commit(lambda: tasks.read_scan(scan.pk))
    return scan


RECORD_TYPES = ("lead", "account")


@transaction.atomic
def scan_attach(*, actor, scan_id, record_type: str, record_id: int) -> LicenceScan | None:
    """Keep the photo of the user's own scan with the record their form just saved (the
    form's hidden ``licence_scan``). A scan whose photo was not kept, another user's scan
    or an unknown id attaches nothing: the record is saved either way, without a photo."""
    if record_type not in RECORD_TYPES:
        raise ValueError(record_type)
    try:
        scan_id = int(scan_id)
    except (TypeError, ValueError):
        return None
    scan = (
        LicenceScan.objects.select_for_update()
        .filter(pk=scan_id, user_id=getattr(actor, "pk", None), keep_photo=True)
        .exclude(image="")
        .first()
    )
    if scan is None:
        return None
    scan.record_type, scan.record_id = record_type, record_id
    save_with_history(scan, actor, "kept with record")
    return scan


@transaction.atomic
def policy_save(*, actor, **data) -> LicencePolicy:
    """Settings · Business licence: every bad value at once, by field; nothing saved."""
    if not can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    return save_bounded(
        LicencePolicy,
        actor=actor,
        data=data,
        limits=POLICY_LIMITS,
        switches=("keep_photo_default",),
    )
