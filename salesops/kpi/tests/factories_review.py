"""Test data of the review area: PDFs with real text (Chinese included), quote evidence on
a deal, activity notes, leads whose channel is corrected, accounts whose level changes.

:func:`pdf_with_text` writes a minimal PDF by hand: one page per text, a Type0 font
(Identity-H, two bytes per character = its Unicode code point) with a ToUnicode map of
exactly the characters used, so pypdf extracts the text back as written. No font file is
embedded: a viewer may not draw the glyphs, but text extraction (all the scan needs) works.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _cmap(chars: list[str]) -> bytes:
    rows = []
    for start in range(0, len(chars), 100):
        part = chars[start : start + 100]
        rows.append(f"{len(part)} beginbfchar")
        rows.extend(f"<{ord(c):04X}> <{ord(c):04X}>" for c in part)
        rows.append("endbfchar")
    body = "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
            *rows,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )
    return body.encode("ascii")


def _hex(text: str) -> str:
    return "".join(f"{ord(c):04X}" for c in text if ord(c) <= 0xFFFF)


def pdf_with_text(*pages: str) -> bytes:
    """A PDF whose pages carry ``pages`` (each may hold several lines)."""
    chars = sorted({c for page in pages for c in page if c != "\n" and ord(c) <= 0xFFFF})
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        head = f"<< /Length {len(data)}{extra} >>\nstream\n".encode("ascii")
        return head + data + b"\nendstream"

    catalog = add(b"")  # filled below
    tree = add(b"")
    cmap = add(stream(_cmap(chars or [" "])))
    descendant = add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] /ToUnicode {cmap} 0 R >>".encode("ascii")
    )
    kids = []
    for page in pages or ("",):
        ops = ["BT", "/F1 12 Tf", "14 TL", "50 780 Td"]
        for line in page.split("\n"):
            ops.append(f"<{_hex(line)}> Tj T*")
        ops.append("ET")
        content = add(stream("\n".join(ops).encode("ascii")))
        kids.append(
            add(
                f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode(
                    "ascii"
                )
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode("ascii")
    objects[tree - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    ).encode("ascii")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii"))
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode("ascii"))
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode(
            "ascii"
        )
    )
    return out.getvalue()


def upload(data: bytes, name: str = "quote.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def add_quote(deal, data: bytes, *, name: str = "quote.pdf", type: str = "quote", actor=None):  # noqa: A002
    """A quote file on ``deal`` through the evidence service (checks, storage, audit)."""
    from salesops.pipeline import evidence

    return evidence.evidence_add(
        actor=actor or deal.owner, deal=deal, type=type, upload=upload(data, name)
    )


def log_note(owner, note: str, **values):
    """An activity with ``note`` by ``owner`` (on a new account of theirs unless given)."""
    from salesops.activities.models import ResultTag
    from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory

    values.setdefault("tag", ResultTag.objects.filter(is_active=True).first() or ResultTagFactory())
    return ActivityFactory(owner=owner, note=note, **values)
