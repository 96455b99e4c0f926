"""The kept licence photo of a lead or account, served by that record's own page (which
has checked that the user may see the record): the leads and customers views call
:func:`record_photo_response`."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from .selectors import kept_photo


def record_photo_response(record_type: str, record_id: int) -> FileResponse:
    scan = kept_photo(record_type, record_id)
    if scan is None:
        raise Http404(_("No business licence photo was kept with this record."))
    return FileResponse(scan.image.open("rb"), filename=scan.image_name or "licence.jpg")
