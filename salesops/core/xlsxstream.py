"""A one-sheet .xlsx written as a stream of rows: the exports' Excel writer.

XlsxWriter (even with ``constant_memory``) spends about 20 µs a cell in Python — 40 s for
an export of 100,000 rows of 21 columns. An export needs little of a spreadsheet: one
sheet, a bold frozen header row, column widths, text, numbers, dates and times. This
writes exactly that, the sheet's XML built a row at a time as one string and deflated
straight into the zip file, so memory stays flat and a cell costs about a microsecond.

The file is plain SpreadsheetML (ECMA-376): text as inline strings (``t="inlineStr"``,
never a formula, whatever it starts with), numbers as ``<v>``, dates and times as Excel
serial numbers with a date or date-time number format. Excel, LibreOffice, WPS,
openpyxl and calamine read it.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from math import isfinite
from xml.sax.saxutils import escape

# Excel's day 0 (the 1900 leap-year bug included: serials from 1900-03-01 on are right).
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
MAX_TEXT = 32_767  # Excel's longest cell text
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What a row's text needs escaping for: markup and characters XML cannot hold.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_CELL = '<c t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>'

# Style indexes of styles.xml's cellXfs.
BOLD, DATETIME, DATE = 1, 2, 3

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""

_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""

_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>\
</cellStyles></styleSheet>"""

_SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<sheetViews><sheetView workbookViewId="0">\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
<selection pane="bottomLeft"/></sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/>"""


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape_text(value: str) -> str:
    """Text for an inline-string cell: escaped, control characters (which XML cannot
    hold) written as Excel's ``_xHHHH_``, cut at Excel's limit."""
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    text = escape(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def _datetime_serial(value: dt.datetime) -> str:
    delta = value - _EPOCH
    return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86_400)


def _date_serial(value: dt.date) -> str:
    return str((value - _EPOCH_DATE).days)


class SheetWriter:
    """``SheetWriter(handle, headers, widths)``, then :meth:`write_rows`, then :meth:`close`.

    Cells: ``str`` is text, ``int``/``float``/``Decimal`` a number, ``datetime`` (naive)
    and ``date`` are dates; ``None`` an empty cell. Anything else is written as its text.
    """

    def __init__(self, handle, headers: list[str], widths: list[float], sheet: str = "Sheet1"):
        # Level 1: the XML repeats itself, and deflating it is then most of the writer's
        # time at higher levels for a few percent of size.
        self.zip = zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self.zip.writestr("_rels/.rels", _ROOT_RELS)
        self.zip.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet, {'"': "&quot;"})))
        self.zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.stream = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(widths, start=1)
        )
        head = "".join(
            f'<c s="{BOLD}" t="inlineStr"><is><t xml:space="preserve">{_escape_text(h)}</t></is></c>'
            for h in headers
        )
        start = _SHEET_START + (f"<cols>{cols}</cols>" if cols else "")
        self._write(f"{start}<sheetData><row>{head}</row>")
        self.row_no = 1

    def _write(self, text: str) -> None:
        self.stream.write(text.encode())

    def write_rows(self, rows, flush_every: int = 500) -> None:
        """Append ``rows`` (lists of cells, one per header), ``flush_every`` rows at a time.

        The hot loop of an export: cells carry no reference (``r``; a reader counts them,
        so an empty cell is written as ``<c/>``), text is escaped only in the rows that
        need it (one search of the row's joined text), and every text keeps its spaces."""
        parts: list[str] = []
        append = parts.append
        other = self._cell
        special = _SPECIAL.search
        count = 0
        for row in rows:
            texts = [v for v in row if type(v) is str]
            joined = "".join(texts)
            if special(joined) or len(joined) > MAX_TEXT:
                row = [_escape_text(v) if type(v) is str else v for v in row]
            append("<row>")
            for value in row:
                kind = type(value)
                if kind is str:
                    if value:
                        append(_TEXT_CELL % value)
                    else:
                        append("<c/>")
                elif value is None:
                    append("<c/>")
                elif kind is int:
                    append(f"<c><v>{value}</v></c>")
                else:
                    append(other(value))
            append("</row>")
            count += 1
            if count % flush_every == 0:
                self._write("".join(parts))
                parts.clear()
        if parts:
            self._write("".join(parts))
        self.row_no += count

    def _cell(self, value) -> str:
        if isinstance(value, bool):
            return f'<c t="b"><v>{int(value)}</v></c>'
        if isinstance(value, dt.datetime):
            return f'<c s="{DATETIME}"><v>{_datetime_serial(value)}</v></c>'
        if isinstance(value, dt.date):
            return f'<c s="{DATE}"><v>{_date_serial(value)}</v></c>'
        if isinstance(value, int) or (isinstance(value, float) and isfinite(value)):
            return f"<c><v>{value}</v></c>"
        if isinstance(value, Decimal) and value.is_finite():
            return f"<c><v>{value}</v></c>"
        return _TEXT_CELL % _escape_text(str(value))

    def close(self) -> None:
        self._write("</sheetData></worksheet>")
        self.stream.close()
        self.zip.close()
