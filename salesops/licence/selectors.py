"""Reads of scans: a user sees only the scans they took (a photo of a licence is theirs
to use on their own lead or account; nobody else's page needs it)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import LicenceScan


def scans_visible_to(user) -> QuerySet[LicenceScan]:
    if not (user and user.is_authenticated and user.is_active):
        return LicenceScan.objects.none()
    return LicenceScan.objects.filter(user_id=user.pk)


def scan_for(user, scan_id) -> LicenceScan:
    """The user's own scan, or 404 (another user's looks the same as a missing one)."""
    try:
        scan_id = int(scan_id)
    except (TypeError, ValueError):
        raise Http404(_("Not found, or you do not have access to it.")) from None
    scan = scans_visible_to(user).filter(pk=scan_id).first()
    if scan is None:
        raise Http404(_("Not found, or you do not have access to it."))
    return scan


def kept_photo(record_type: str, record_id) -> LicenceScan | None:
    """The newest kept licence photo of a lead or account. The caller has already checked
    that the user may see that record (the record's own page or view does)."""
    return (
        LicenceScan.objects.filter(record_type=record_type, record_id=record_id)
        .exclude(image="")
        .order_by("-created_at", "-pk")
        .first()
    )
