"""Read an uploaded spreadsheet (.xlsx, .xls, .csv) into a header row and data rows.

python-calamine reads .xlsx and .xls (Rust, no Python objects per cell until asked: the
fastest reader we measured, see ``bench/imports.py``); CSV is read with the standard
library after the encoding is found (UTF-8 with or without BOM, then GB18030, which is
what Excel on a Chinese Windows writes).

Everything refused is refused before a row is read, with a message naming the problem
and the fix (:class:`FileRefused`): not a spreadsheet, over the size or row limit, a
zip bomb (an .xlsx is a zip: the declared uncompressed sizes and ratios are checked
before calamine opens it), formulas, an empty sheet, duplicate headers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# An .xlsx that unpacks to more than this, or any member compressed more than RATIO
# times, is refused as a zip bomb.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
META_SHEET = "_salesops"
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileRefused(ValidationError):
    """The file as a whole cannot be imported; nothing was written."""

    def __init__(self, message: str, code: str = "file_refused"):
        super().__init__({"file": [message]}, code=code)
        self.reason = message


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row number, cells)
    sheet: str = ""
    # From the template's hidden sheet: {"entity": "lead", "version": 3}
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def detect_format(data: bytes, filename: str) -> str:
    """ "xlsx", "xls" or "csv" from the content (not trusting the extension)."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        return "xls"
    if b"\x00" in data[:4096]:
        raise FileRefused(
            _("“%(name)s” is not a spreadsheet. Upload an Excel file (.xlsx, .xls) or a CSV file.")
            % {"name": filename}
        )
    return "csv"


def check_zip(data: bytes, filename: str) -> None:
    """Refuse an .xlsx whose members unpack to too much (a zip bomb) and any workbook
    holding formulas."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused(
            _("“%(name)s” is damaged or not an Excel file. Save it again as .xlsx.")
            % {"name": filename}
        ) from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > 10_000_000 and ratio > MAX_RATIO):
            raise FileRefused(
                _(
                    "“%(name)s” unpacks to far more data than a spreadsheet holds and was "
                    "refused. Save the sheet again from Excel, or export it as CSV."
                )
                % {"name": filename},
                code="zip_bomb",
            )
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            if _has_formula(archive, info.filename):
                raise FileRefused(
                    _(
                        "“%(name)s” contains formulas. Formulas are not imported: copy the "
                        "sheet and paste it as values (Paste Special → Values), then upload "
                        "it again."
                    )
                    % {"name": filename},
                    code="formula",
                )


def _has_formula(archive: zipfile.ZipFile, member: str) -> bool:
    tail = b""
    with archive.open(member) as handle:
        while chunk := handle.read(1 << 20):
            text = tail + chunk
            if b"<f>" in text or b"<f " in text or b"<x:f>" in text or b"<x:f " in text:
                return True
            tail = chunk[-8:]
    return False


def decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _(
            "The CSV file's text encoding is not UTF-8 or GB18030. Save it again as "
            "“CSV UTF-8” from Excel."
        )
    )


def read(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Table:
    """The first visible sheet of ``data`` as a :class:`Table`."""
    if len(data) > max_bytes:
        raise FileRefused(
            _(
                "“%(name)s” is %(size).1f MB; files up to %(limit)d MB can be imported. "
                "Split it into smaller files."
            )
            % {"name": filename, "size": len(data) / 1_048_576, "limit": max_bytes // 1_048_576},
            code="too_large",
        )
    kind = detect_format(data, filename)
    if kind == "csv":
        text = decode_csv(data)
        raw = list(csv.reader(io.StringIO(text)))
        sheet, meta = "", {}
    else:
        if kind == "xlsx":
            check_zip(data, filename)
        raw, sheet, meta = _read_workbook(data, filename)
    return _table(raw, sheet, meta, filename, max_rows)


def _read_workbook(data: bytes, filename: str):
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - calamine raises several kinds for a bad file
        raise FileRefused(
            _("“%(name)s” could not be read as an Excel file. Save it again as .xlsx.")
            % {"name": filename}
        ) from None
    meta = {}
    names = book.sheet_names
    if META_SHEET in names:
        for row in book.get_sheet_by_name(META_SHEET).to_python():
            if len(row) >= 2 and row[0]:
                meta[str(row[0])] = row[1]
    visible = [n for n in names if n != META_SHEET]
    if not visible:
        raise FileRefused(_("“%(name)s” has no sheet to import.") % {"name": filename})
    sheet = visible[0]
    rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows, sheet, meta


def _table(raw: list, sheet: str, meta: dict, filename: str, max_rows: int) -> Table:
    rows = [(i + 1, row) for i, row in enumerate(raw) if any(_text(c) for c in row)]
    if not rows:
        raise FileRefused(
            _("“%(name)s” is empty: put the column names in the first row and the data below.")
            % {"name": filename},
            code="empty",
        )
    header_no, header_cells = rows[0]
    headers = [_text(c) for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    seen = {}
    for index, name in enumerate(headers):
        if not name:
            continue
        if name in seen:
            raise FileRefused(
                _(
                    "The column “%(header)s” appears twice (columns %(first)s and %(second)s). "
                    "Rename or delete one of them."
                )
                % {
                    "header": name,
                    "first": column_letter(seen[name]),
                    "second": column_letter(index),
                },
                code="duplicate_header",
            )
        seen[name] = index
    data_rows = rows[1:]
    if not data_rows:
        raise FileRefused(
            _("“%(name)s” has column names but no data rows.") % {"name": filename}, code="empty"
        )
    if len(data_rows) > max_rows:
        raise FileRefused(
            _(
                "“%(name)s” has %(count)d rows; at most %(limit)d can be imported at once. "
                "Split it into smaller files."
            )
            % {"name": filename, "count": len(data_rows), "limit": max_rows},
            code="too_many_rows",
        )
    width = len(headers)
    return Table(
        headers=headers,
        rows=[(no, list(cells[:width]) + [None] * (width - len(cells))) for no, cells in data_rows],
        sheet=sheet,
        meta=meta,
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cells(table: Table) -> Iterator[tuple[int, list]]:
    yield from table.rows
