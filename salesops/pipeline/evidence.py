"""Evidence files (D2): checked, stored outside the web root, read back only through the
deal's visibility.

A file is refused when its extension is not one Settings · Pipeline allows, when it is
larger than the limit there, or when its first bytes say it is a program or a web page
whatever its name (an ``.exe`` renamed ``.pdf``, an HTML page renamed ``.txt``).
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, events

from .models import Deal, Evidence, PipelinePolicy

# Never accepted, whatever the settings say: programs, scripts and pages a browser runs.
FORBIDDEN_EXTENSIONS = frozenset(
    "exe dll com bat cmd msi scr sh bash ps1 vbs js mjs jar apk app php jsp asp aspx py pl "
    "html htm xhtml shtml svg xml swf hta lnk".split()
)
# First bytes of programs and markup, lower-cased, checked after leading whitespace.
FORBIDDEN_MAGIC = (
    b"mz",
    b"\x7felf",
    b"#!",
    b"<!doctype",
    b"<html",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<?php",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
)
SNIFF_BYTES = 512


def storage() -> FileSystemStorage:
    """Files live under ``EVIDENCE_ROOT`` (var/private/evidence), which no URL maps to."""
    return FileSystemStorage(location=settings.EVIDENCE_ROOT, base_url=None)


def _extension(name: str) -> str:
    return PurePath(name or "").suffix.lower().lstrip(".")


def check_file(upload, policy: PipelinePolicy | None = None) -> list[str]:
    """Why ``upload`` (a Django ``UploadedFile``) is refused; an empty list when it is fine."""
    policy = policy or PipelinePolicy.current()
    problems: list[str] = []
    extension = _extension(upload.name)
    allowed = policy.extensions() - FORBIDDEN_EXTENSIONS
    if not extension or extension in FORBIDDEN_EXTENSIONS or extension not in allowed:
        problems.append(
            _("Files of type “%(ext)s” are not accepted. Upload one of: %(allowed)s.")
            % {"ext": extension or _("no extension"), "allowed": ", ".join(sorted(allowed))}
        )
    limit = policy.evidence_max_mb * 1024 * 1024
    if upload.size > limit:
        problems.append(
            _("The file is %(size).1f MB; the limit is %(limit)s MB.")
            % {"size": upload.size / 1024 / 1024, "limit": policy.evidence_max_mb}
        )
    if upload.size == 0:
        problems.append(_("The file is empty."))
    if not problems:
        upload.seek(0)
        head = upload.read(SNIFF_BYTES).lstrip().lower()
        upload.seek(0)
        if head.startswith(FORBIDDEN_MAGIC):
            problems.append(
                _("The file's content is a program or a web page, not a document or image.")
            )
    return problems


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def evidence_add(*, actor, deal: Deal, type: str, upload, note: str = "", stage_change=None):
    """Attach one evidence file to ``deal`` in its current stage."""
    if not Deal.objects.editable_by(actor).filter(pk=deal.pk).exists():
        raise PermissionDenied(_("You cannot change this deal."))
    errors: dict[str, list] = {}
    if type not in choices.active_codes(choices.EVIDENCE_TYPE):
        errors["type"] = [_("Pick an evidence type from the list.")]
    if upload is None:
        errors["file"] = [_("Choose a file to upload.")]
    else:
        problems = check_file(upload)
        if problems:
            errors["file"] = problems
    if len(note) > 200:
        errors["note"] = [_("Keep the note to 200 characters.")]
    if errors:
        raise ValidationError(errors)
    name = PurePath(upload.name).name[-200:]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    evidence = Evidence(
        deal=deal,
        stage_id=deal.stage_id,
        stage_change=stage_change,
        type=type,
        original_name=name,
        size=upload.size,
        content_type=content_type,
        sha256=_sha256(upload),
        note=note.strip(),
        created_by=actor,
    )
    stored = storage().save(f"{deal.pk}/{evidence.sha256[:16]}.{_extension(name)}", upload)
    evidence.file.name = stored
    evidence.save()
    events.emit(
        "deal.evidence_added",
        {"id": deal.pk, "evidence_id": evidence.pk, "type": type, "actor_id": actor.pk},
    )
    return evidence


def open_file(evidence: Evidence):
    """The stored file, opened for reading (the view streams it)."""
    return storage().open(evidence.file.name, "rb")
