"""Read an uploaded spreadsheet (.xlsx, .xls, .csv) into a header row and data rows.

python-calamine reads .xlsx and .xls (Rust, no Python objects per cell until asked);
its rows are taken one at a time (``iter_rows``) so a 200,000-row file is held once, as
the table's rows. Measured by hand: 100,000 rows × 10 columns (4 MB .xlsx) read in about
5 s with the checks, about 150 MB of memory, on a busy 2-core machine. CSV is read
with the standard library after the encoding is found (UTF-8 with or without BOM, then
GB18030, which is what Excel on a Chinese Windows writes; Excel's tab-delimited "Text"
and UTF-16 "Unicode Text" read the same way).

Everything refused is refused before a row is read, with a message naming the problem
and the fix (:class:`FileRefused`): not a spreadsheet, over the size or row limit, a
zip bomb (an .xlsx is a zip: the declared sizes and ratios are checked, then every
member is unpacked once against the same budget, so a member whose header lies about its
size is caught before calamine opens it), formulas in an .xlsx or .xls, an empty sheet,
duplicate headers.

A CSV cell beginning with ``=``, ``+``, ``-`` or ``@`` is kept as text: a CSV holds no
formulas, only text that a spreadsheet program might run when it opens the file. Nothing
here evaluates a cell; a cell reaches the importer as the string it is (a phone number
``+86 …`` and a negative amount ``-1200`` start the same way), and every file we write
back (the report, the exports) writes it as a string or neutralises it.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# An .xlsx that unpacks to more than this, or any member compressed more than RATIO
# times, is refused as a zip bomb. Real sheets compress 5-20 times; 200,000 rows of
# ten columns unpack to about 150 MB.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
META_SHEET = "_salesops"
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Files people upload by mistake, named in the refusal rather than read as CSV.
OTHER_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"Rar!",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f"}


class FileRefused(ValidationError):
    """The file as a whole cannot be imported; nothing was written."""

    def __init__(self, message: str, code: str = "file_refused"):
        super().__init__({"file": [message]}, code=code)
        self.reason = message
        self.code = code


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row number, cells)
    sheet: str = ""
    # From the template's hidden sheet: {"entity": "lead", "version": 3}
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def _not_spreadsheet(filename: str) -> FileRefused:
    return FileRefused(
        _("“%(name)s” is not a spreadsheet. Upload an Excel file (.xlsx, .xls) or a CSV file.")
        % {"name": filename},
        code="not_spreadsheet",
    )


def detect_format(data: bytes, filename: str) -> str:
    """ "xlsx", "xls" or "csv" from the content (not trusting the extension)."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        return "xls"
    if data.startswith(UTF16_BOMS):
        # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-delimited.
        return "csv"
    if data.startswith(OTHER_MAGIC) or b"\x00" in data[:4096]:
        raise _not_spreadsheet(filename)
    return "csv"


def check_zip(data: bytes, filename: str) -> None:
    """Refuse an .xlsx that is not a workbook, whose members unpack to too much (a zip
    bomb), or that holds formulas."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(
            _("“%(name)s” is damaged or not an Excel file. Save it again as .xlsx.")
            % {"name": filename}
        ) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        # A .docx, an .xlsb or any other zip: calamine would read some, but only .xlsx
        # is checked for formulas here.
        raise FileRefused(
            _(
                "“%(name)s” is a zip file but not an Excel workbook (.xlsx). Open it in Excel "
                "and save it as “Excel Workbook (.xlsx)”."
            )
            % {"name": filename}
        )
    bomb = FileRefused(
        _(
            "“%(name)s” unpacks to far more data than a spreadsheet holds and was "
            "refused. Save the sheet again from Excel, or export it as CSV."
        )
        % {"name": filename},
        code="zip_bomb",
    )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > 10_000_000 and ratio > MAX_RATIO):
            raise bomb
    budget = MAX_UNPACKED_BYTES
    formula = False
    for info in infos:
        is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        try:
            size, has_formula = _unpack(archive, info, budget, scan=is_sheet)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise FileRefused(
                _("“%(name)s” is damaged or not an Excel file. Save it again as .xlsx.")
                % {"name": filename}
            ) from None
        if size > budget or size > info.file_size:
            raise bomb
        budget -= size
        formula = formula or has_formula
    if formula:
        raise _formula_refusal(filename)


def _formula_refusal(filename: str) -> FileRefused:
    return FileRefused(
        _(
            "“%(name)s” contains formulas. Formulas are not imported: copy the "
            "sheet and paste it as values (Paste Special → Values), then upload "
            "it again."
        )
        % {"name": filename},
        code="formula",
    )


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, *, scan: bool):
    """(bytes the member really unpacks to, capped just over ``budget`` and its declared
    size; whether it holds a formula element). The member is opened with a size limit
    above the declared one so a header that understates the size cannot hide a bomb."""
    probe = copy.copy(info)
    probe.file_size = min(budget, info.file_size) + 1
    # zipfile checks the CRC when it reaches the (raised) size limit, which a member that
    # runs past its declared size always fails: without it the overrun is measured and
    # named a zip bomb rather than "damaged".
    probe.CRC = None
    size, tail, found = 0, b"", False
    with archive.open(probe) as handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > budget or size > info.file_size:
                return size, found
            if scan and not found:
                text = tail + chunk
                found = any(tag in text for tag in (b"<f>", b"<f ", b"<x:f>", b"<x:f "))
                tail = chunk[-8:]
    return size, found


def decode_csv(data: bytes, filename: str = "") -> str:
    if data.startswith(UTF16_BOMS):
        try:
            return _plain_text(data.decode("utf-16"), filename)
        except UnicodeDecodeError:
            raise _not_spreadsheet(filename) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data[3:].decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            return _plain_text(text, filename)
    for encoding in ("utf-8", "gb18030"):
        try:
            return _plain_text(data.decode(encoding), filename)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _(
            "The text encoding of “%(name)s” is not UTF-8 or GB18030. Save it again as "
            "“CSV UTF-8” from Excel."
        )
        % {"name": filename},
        code="encoding",
    )


def _plain_text(text: str, filename: str) -> str:
    """``text`` unless it holds control characters, which no CSV has: binary data that
    happened to decode (GB18030 accepts most byte pairs)."""
    if any(ch in _CONTROL for ch in text[:65536]):
        raise _not_spreadsheet(filename)
    return text


def check_size(size: int, filename: str, max_bytes: int) -> None:
    """Refuse a file over the limit, from its size alone (an upload is checked before it
    is read into memory)."""
    if size > max_bytes:
        raise FileRefused(
            _(
                "“%(name)s” is %(size).1f MB; files up to %(limit)d MB can be imported. "
                "Split it into smaller files."
            )
            % {"name": filename, "size": size / 1_048_576, "limit": max_bytes // 1_048_576},
            code="too_large",
        )


def read(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Table:
    """The first visible sheet of ``data`` as a :class:`Table`."""
    check_size(len(data), filename, max_bytes)
    if not data.strip():
        raise _empty(filename)
    kind = detect_format(data, filename)
    if kind == "csv":
        text = decode_csv(data, filename)
        first_line = text.split("\n", 1)[0]
        # Excel's "Text (Tab delimited)" has tabs where a CSV has commas.
        delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
        raw = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
        return _table(raw, "", {}, filename, max_rows, 0)
    if kind == "xlsx":
        check_zip(data, filename)
    else:
        try:
            has_formula = xls_has_formula(data)
        except (ValueError, IndexError, struct.error):
            raise FileRefused(
                _("“%(name)s” could not be read as an Excel file. Save it again as .xlsx.")
                % {"name": filename}
            ) from None
        if has_formula:
            raise _formula_refusal(filename)
    return _read_workbook(data, filename, max_rows)


# BIFF records that hold a formula: FORMULA (BIFF5/8 and BIFF2-4), ARRAY, SHRFMLA.
_FORMULA_RECORDS = {0x0006, 0x0206, 0x0406, 0x0021, 0x0221, 0x04BC, 0x00BC}
_END = 0xFFFFFFFE


def xls_has_formula(data: bytes) -> bool:
    """Whether an .xls (a BIFF workbook inside an OLE compound file) holds a formula
    cell. calamine gives a formula's cached value with no sign it was one, so the
    records are walked here. Raises ``ValueError`` for a file that is not one."""
    stream = _ole_stream(data, ("Workbook", "Book"))
    pos = 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        if kind in _FORMULA_RECORDS:
            return True
        pos += 4 + length
    return False


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes:
    """The first stream called one of ``names`` in an OLE compound file (the minimal
    reader an .xls needs: FAT chains, the mini stream for small streams)."""
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if not 7 <= shift <= 16 or mini_shift > shift:
        raise ValueError("bad sector size")
    size = 1 << shift
    sectors = max((len(data) - size) // size, 0)
    first_dir, cutoff, first_mini, mini_count, first_difat, difat_count = struct.unpack_from(
        "<I4xIIIII", data, 0x30
    )
    difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < sectors]
    sector = first_difat
    for _step in range(min(difat_count, sectors)):
        if sector >= sectors:
            break
        entries = struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size)
        difat.extend(s for s in entries[:-1] if s < sectors)
        sector = entries[-1]
    fat: list[int] = []
    for sector in difat:
        fat.extend(struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out = []
        while start < limit and len(out) <= limit:
            out.append(start)
            start = table[start] if start < len(table) else _END
        return out

    def read_chain(start: int) -> bytes:
        return b"".join(data[(s + 1) * size : (s + 2) * size] for s in chain(start, fat, sectors))

    directory = read_chain(first_dir)
    entries = []
    for offset in range(0, len(directory) - 127, 128):
        name_len, kind = struct.unpack_from("<HB", directory, offset + 0x40)
        name = directory[offset : offset + max(name_len - 2, 0)].decode("utf-16-le", "replace")
        start, length = struct.unpack_from("<II", directory, offset + 0x74)
        entries.append((name, kind, start, length))
    if not entries:
        raise ValueError("no directory")
    root = entries[0]
    for name, kind, start, length in entries:
        if kind != 2 or name not in names:
            continue
        if length >= cutoff:
            return read_chain(start)[:length]
        mini_stream = read_chain(root[2])
        minifat: list[int] = []
        for sector in chain(first_mini, fat, sectors)[: max(mini_count, 0) or None]:
            minifat.extend(struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size))
        mini = 1 << mini_shift
        parts = chain(start, minifat, len(mini_stream) // mini)
        return b"".join(mini_stream[s * mini : (s + 1) * mini] for s in parts)[:length]
    raise ValueError("no workbook stream")


def _empty(filename: str) -> FileRefused:
    return FileRefused(
        _("“%(name)s” is empty: put the column names in the first row and the data below.")
        % {"name": filename},
        code="empty",
    )


def _too_many(filename: str, count: int, limit: int) -> FileRefused:
    return FileRefused(
        _(
            "“%(name)s” has %(count)d rows; at most %(limit)d can be imported at once. "
            "Split it into smaller files."
        )
        % {"name": filename, "count": count, "limit": limit},
        code="too_many_rows",
    )


def _read_workbook(data: bytes, filename: str, max_rows: int) -> Table:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        meta = {}
        listed = book.sheets_metadata
        if META_SHEET in book.sheet_names:
            for row in book.get_sheet_by_name(META_SHEET).to_python():
                if len(row) >= 2 and row[0]:
                    meta[str(row[0])] = row[1]
        visible = [
            m.name
            for m in listed
            if m.name != META_SHEET and str(m.visible).rsplit(".", 1)[-1] == "Visible"
        ]
        if not visible:
            raise FileRefused(_("“%(name)s” has no sheet to import.") % {"name": filename})
        sheet = book.get_sheet_by_name(visible[0])
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - calamine raises several kinds for a bad file
        raise FileRefused(
            _("“%(name)s” could not be read as an Excel file. Save it again as .xlsx.")
            % {"name": filename}
        ) from None
    if sheet.start is None:
        raise _empty(filename)
    # The used range's height counts the header and blank rows in between: a cheap
    # upper bound that refuses a far too long sheet before any row becomes Python.
    if sheet.height - 1 > max_rows:
        raise _too_many(filename, sheet.height - 1, max_rows)
    # iter_rows yields every row from the sheet's first (row numbers stay the sheet's),
    # the columns from the used range's first (start[1]).
    raw = enumerate(sheet.iter_rows(), start=1)
    return _table(raw, sheet.name, meta, filename, max_rows, sheet.start[1])


def _table(
    raw: Iterable[tuple[int, list]],
    sheet: str,
    meta: dict,
    filename: str,
    max_rows: int,
    first_column: int,
) -> Table:
    """The header (the first row with a value) and the rows below it that hold a value,
    each trimmed or padded to the header's width."""
    headers: list[str] | None = None
    width = 0
    rows: list[tuple[int, list]] = []
    for number, cells in raw:
        if not _has_value(cells):
            continue
        if headers is None:
            headers = _headers(cells, first_column)
            width = len(headers)
            continue
        if len(rows) >= max_rows:
            count = len(rows) + 1 + sum(1 for _n, c in raw if _has_value(c))
            raise _too_many(filename, count, max_rows)
        # The common row (full width, no blank cell) is kept as the list the reader made.
        if len(cells) != width or "" in cells:
            cells = [None if c == "" else c for c in cells[:width]]
            cells += [None] * (width - len(cells))
        rows.append((number, cells))
    if headers is None:
        raise _empty(filename)
    if not rows:
        raise FileRefused(
            _("“%(name)s” has column names but no data rows.") % {"name": filename}, code="empty"
        )
    return Table(headers=headers, rows=rows, sheet=sheet, meta=meta)


def _has_value(cells) -> bool:
    """Whether a row holds anything but empty or blank cells (the hot loop of a large
    file: no conversion of the cells that hold a value)."""
    for cell in cells:
        if cell is None or cell == "":
            continue
        if type(cell) is str and cell.isspace():
            continue
        return True
    return False


def _headers(cells: list, first_column: int) -> list[str]:
    """The header row's names (a trailing required mark “*” dropped); a name twice (case and spaces ignored) is refused naming
    both columns by their letters."""
    # A template marks required columns “公司名称*”: the name is what precedes the mark.
    headers = [_text(c).rstrip("*＊").rstrip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, int] = {}
    for index, name in enumerate(headers):
        if not name:
            continue
        folded = name.casefold()
        if folded in seen:
            raise FileRefused(
                _(
                    "The column “%(header)s” appears twice (columns %(first)s and %(second)s). "
                    "Rename or delete one of them."
                )
                % {
                    "header": name,
                    "first": column_letter(seen[folded] + first_column),
                    "second": column_letter(index + first_column),
                },
                code="duplicate_header",
            )
        seen[folded] = index
    return headers


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
