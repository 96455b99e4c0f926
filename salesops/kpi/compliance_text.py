"""The checks of the behaviour-compliance scan (K10) on one piece of text or one file,
with no database: the scan (:mod:`.compliance`) and the check-a-file API call both use them.

* A file is a PDF or an image by its first bytes (its name and content type are ignored).
* A PDF's text is every page's text (pypdf). A PDF pypdf cannot open or read is
  "unreadable" (a finding of its own: a quote nobody can check).
* An image is read only when an OCR engine is importable (``rapidocr``, issue 20); without
  one the image is "not read" — counted in the scan's summary, never a finding.
* Texts are checked against the forbidden wording (one finding per phrase) and the core
  technical parameters (a finding only when the account has no NDA at that moment).
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import CompliancePolicy, FindingKind

log = logging.getLogger(__name__)

EXCERPT_CONTEXT = 40  # characters either side of a hit
PDF = "pdf"
IMAGE = "image"
IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"BM",  # BMP
    b"II*\x00",  # TIFF
    b"MM\x00*",
)


@dataclass(frozen=True)
class Hit:
    """One possible violation in one text: ``phrase`` is what was found (or, for a
    watermark, what was missing)."""

    kind: str
    phrase: str = ""
    excerpt: str = ""
    detail: str = ""


@dataclass
class DocumentResult:
    """What checking one file gave: ``read`` is False for an image with no OCR engine."""

    kind: str | None
    read: bool = True
    hits: list[Hit] = field(default_factory=list)


class UnreadableDocument(Exception):
    """pypdf could not open or read the file."""


def lines(text: str) -> list[str]:
    """A policy list (one entry per line), blanks and repeats dropped."""
    return list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


def quote_types(policy: CompliancePolicy) -> list[str]:
    return [code.strip() for code in policy.quote_evidence_types.split(",") if code.strip()]


def sniff(data: bytes) -> str | None:
    """``"pdf"``, ``"image"`` or None, by the file's first bytes."""
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(IMAGE_MAGIC):
        return IMAGE
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGE
    return None


def pdf_text(data: bytes) -> str:
    """Every page's text; :class:`UnreadableDocument` when pypdf cannot read it."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        log.info("compliance: unreadable PDF (%s)", exc)
        raise UnreadableDocument(str(exc)) from exc


def ocr_engine():
    """The OCR engine when one is installed (rapidocr, issue 20), else None."""
    try:
        from rapidocr import RapidOCR  # type: ignore[import-not-found]
    except ImportError:
        return None
    return RapidOCR()


def image_text(data: bytes) -> str | None:
    """The image's text, or None when no OCR engine is installed."""
    engine = ocr_engine()
    if engine is None:
        return None
    result = engine(data)
    texts = getattr(result, "txts", None)
    if texts is None and isinstance(result, tuple | list) and result:
        texts = [row[1] for row in (result[0] or []) if len(row) > 1]
    return "\n".join(str(t) for t in (texts or []))


def excerpt(text: str, start: int, end: int) -> str:
    """± :data:`EXCERPT_CONTEXT` characters around ``text[start:end]``, on one line."""
    left = max(0, start - EXCERPT_CONTEXT)
    right = min(len(text), end + EXCERPT_CONTEXT)
    piece = " ".join(text[left:right].split())
    return ("…" if left else "") + piece + ("…" if right < len(text) else "")


def _squash(text: str) -> str:
    """Whitespace removed: PDF text often breaks a phrase across lines or spaces CJK."""
    return "".join(text.split())


def find(text: str, phrase: str) -> tuple[int, int] | None:
    """Where ``phrase`` is in ``text`` (case-insensitive; whitespace inside either does
    not matter), as a (start, end) of ``text``; None when it is not there."""
    if not phrase:
        return None
    lowered = text.lower()
    index = lowered.find(phrase.lower())
    if index >= 0:
        return index, index + len(phrase)
    wanted = _squash(phrase.lower())
    if not wanted:
        return None
    positions = [i for i, ch in enumerate(lowered) if not ch.isspace()]
    squashed = "".join(lowered[i] for i in positions)
    index = squashed.find(wanted)
    if index < 0:
        return None
    return positions[index], positions[index + len(wanted) - 1] + 1


def check_text(
    text: str, policy: CompliancePolicy, *, nda: bool, forbidden=None, parameters=None
) -> list[Hit]:
    """Forbidden wording anywhere; core parameters only when ``nda`` is False."""
    forbidden = lines(policy.forbidden_phrases) if forbidden is None else forbidden
    parameters = lines(policy.core_parameters) if parameters is None else parameters
    hits = []
    for phrase in forbidden:
        where = find(text, phrase)
        if where:
            hits.append(
                Hit(
                    FindingKind.FORBIDDEN,
                    phrase,
                    excerpt(text, *where),
                    _("Forbidden wording “%(phrase)s”.") % {"phrase": phrase},
                )
            )
    if not nda:
        for phrase in parameters:
            where = find(text, phrase)
            if where:
                hits.append(
                    Hit(
                        FindingKind.NDA,
                        phrase,
                        excerpt(text, *where),
                        _("Core parameter “%(phrase)s” given to an account without a signed NDA.")
                        % {"phrase": phrase},
                    )
                )
    return hits


def check_document(data: bytes, policy: CompliancePolicy, *, nda: bool) -> DocumentResult:
    """A quote file: the watermark, then the same wording checks as a note."""
    kind = sniff(data)
    result = DocumentResult(kind)
    if kind == PDF:
        try:
            text = pdf_text(data)
        except UnreadableDocument as exc:
            reason = str(exc)[:200]
            result.hits.append(
                Hit(
                    FindingKind.UNREADABLE,
                    "",
                    "",
                    _("The PDF could not be read: %(reason)s") % {"reason": reason},
                )
            )
            return result
    elif kind == IMAGE:
        text = image_text(data)
        if text is None:
            result.read = False
            return result
    else:
        return result
    watermark = policy.watermark_text.strip()
    if watermark and not find(text, watermark):
        start = " ".join(text.split())[: EXCERPT_CONTEXT * 2]
        result.hits.append(
            Hit(
                FindingKind.WATERMARK,
                watermark,
                start,
                _("The quote does not carry the watermark “%(text)s”.") % {"text": watermark},
            )
        )
    result.hits.extend(check_text(text, policy, nda=nda))
    return result


def fingerprint(kind: str, source: str, object_id: int, phrase: str) -> str:
    """What makes a finding the same finding in the next scan."""
    raw = "\x1f".join((str(kind), source, str(object_id), phrase))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
