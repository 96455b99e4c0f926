"""Course files: checked for type and size before they are stored.

Accepted types are a fixed whitelist (pdf, mp4, pptx, docx, png, jpg/jpeg): what a
micro-course is made of, and nothing a browser would run. The size limit is data
(:class:`~.models.KnowledgePolicy`, 50 MB unless an admin changes it) and shown on the
form. A file whose first bytes say it is a program or a web page is refused whatever its
name.
"""

from __future__ import annotations

from pathlib import PurePath

from django.utils.translation import gettext as _

from .models import KnowledgePolicy

ALLOWED_EXTENSIONS = ("pdf", "mp4", "pptx", "docx", "png", "jpg", "jpeg")
FORBIDDEN_MAGIC = (b"mz", b"\x7felf", b"#!", b"<!doctype", b"<html", b"<script", b"<svg", b"<?")


def extension(name: str) -> str:
    return PurePath(name or "").suffix.lower().lstrip(".")


def max_mb() -> int:
    return KnowledgePolicy.current().attachment_max_mb


def problems(upload) -> list[str]:
    """Why ``upload`` (a Django ``UploadedFile``) is refused; empty when it is fine."""
    out: list[str] = []
    ext = extension(upload.name)
    if ext not in ALLOWED_EXTENSIONS:
        out.append(
            _("Files of type “%(ext)s” are not accepted. Upload one of: %(allowed)s.")
            % {"ext": ext or _("no extension"), "allowed": ", ".join(ALLOWED_EXTENSIONS)}
        )
    limit = max_mb()
    if upload.size > limit * 1024 * 1024:
        out.append(
            _("The file is %(size).1f MB; the limit is %(limit)s MB.")
            % {"size": upload.size / 1024 / 1024, "limit": limit}
        )
    if upload.size == 0:
        out.append(_("The file is empty."))
    if not out:
        upload.seek(0)
        head = upload.read(512).lstrip().lower()
        upload.seek(0)
        if head.startswith(FORBIDDEN_MAGIC):
            out.append(_("The file's content is a program or a web page, not a document or image."))
    return out
