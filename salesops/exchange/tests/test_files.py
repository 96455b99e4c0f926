"""Reading uploads: every format, every refusal, before any row reaches an importer."""

import datetime as dt
import io
import random
import struct
import zipfile

import openpyxl
import pytest
import xlwt
from django.utils import translation

from salesops.exchange import files
from salesops.exchange.tests.helpers import csv_bytes, xlsx_bytes

# No table is read or written; the project's session fixtures need the test database.
pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 50 * 1_048_576, "max_rows": 1000}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def read(data, name="data.xlsx", **limits):
    return files.read(data, name, **{**LIMITS, **limits})


def refused(data, name="data.xlsx", **limits) -> files.FileRefused:
    with pytest.raises(files.FileRefused) as info:
        read(data, name, **limits)
    return info.value


def xls_bytes(rows, formula=False) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    if formula:
        sheet.write(len(rows), 1, xlwt.Formula("SUM(1,2)"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_headers_rows_and_row_numbers_of_the_sheet():
    book = openpyxl.Workbook()
    sheet = book.active
    # The table starts at C3 with a blank row inside it: row numbers stay the sheet's.
    sheet["C3"], sheet["D3"] = "公司名称", "成立日期"
    sheet["C4"], sheet["D4"] = "上海甲乙机械有限公司", dt.datetime(2026, 11, 3, 9, 30)
    sheet["C6"], sheet["D6"] = 12.0, None
    out = io.BytesIO()
    book.save(out)
    table = read(out.getvalue())
    assert table.headers == ["公司名称", "成立日期"]
    assert table.rows == [
        (4, ["上海甲乙机械有限公司", dt.datetime(2026, 11, 3, 9, 30)]),
        (6, [12.0, None]),
    ]


def test_xls_written_by_xlwt_reads_chinese_numbers_and_dates():
    data = xls_bytes(
        [["公司名称", "金额", "签约日期"], ["苏州丙丁电子", 1234.5, dt.date(2026, 11, 3)]]
    )
    table = read(data, "old.xls")
    assert table.headers == ["公司名称", "金额", "签约日期"]
    assert table.sheet == "客户"
    assert table.rows == [(2, ["苏州丙丁电子", 1234.5, dt.date(2026, 11, 3)])]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_with_chinese_text(encoding):
    data = csv_bytes(["公司名称", "城市"], [["杭州戊己软件有限公司", "杭州"]], encoding=encoding)
    table = read(data, "data.csv")
    assert table.headers == ["公司名称", "城市"]
    assert table.rows == [(2, ["杭州戊己软件有限公司", "杭州"])]


def test_tab_delimited_text():
    data = "名称\t城市\n上海甲乙, 有限公司\t上海\n".encode()
    assert read(data, "tabs.txt").rows == [(2, ["上海甲乙, 有限公司", "上海"])]


def test_excel_unicode_text_utf16_tab_delimited():
    data = "名称\t城市\r\n宁波甲乙\t宁波\r\n".encode("utf-16")
    assert read(data, "unicode.txt").rows == [(2, ["宁波甲乙", "宁波"])]


def test_gb18030_csv_is_not_read_as_mojibake():
    data = "名称,备注\n甲,“引号”与中文\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read(data, "gbk.csv").rows == [(2, ["甲", "“引号”与中文"])]


def test_csv_cell_starting_with_equals_is_kept_as_text():
    data = csv_bytes(
        ["名称", "电话", "金额"], [["=cmd|' /C calc'!A0", "+86 138 0013 8000", "-1200"]]
    )
    table = read(data, "inject.csv")
    assert table.rows == [(2, ["=cmd|' /C calc'!A0", "+86 138 0013 8000", "-1200"])]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(50)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


@pytest.mark.parametrize(
    "data",
    [PNG, PDF, random.Random(19).randbytes(5000)],
    ids=["png", "pdf", "random"],
)
def test_not_a_spreadsheet_is_refused_naming_the_file(data):
    error = refused(data, "scan.xlsx")
    assert error.code == "not_spreadsheet"
    assert "“scan.xlsx” is not a spreadsheet" in error.reason


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    error = refused(out.getvalue(), "letter.xlsx")
    assert "not an Excel workbook" in error.reason and "letter.xlsx" in error.reason


def _bomb(size: int, *, zip64: bool = True) -> bytes:
    """A workbook-shaped zip with one member of ``size`` zero bytes, written in chunks
    so the test never holds it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=zip64) as member:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
    return out.getvalue()


def test_zip_bomb_declared_size_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 8 * 1_048_576)
    data = _bomb(20 * 1_048_576)
    assert len(data) < 100_000
    error = refused(data, "bomb.xlsx")
    assert error.code == "zip_bomb" and "bomb.xlsx" in error.reason


def test_zip_bomb_that_understates_its_size_is_refused():
    data = bytearray(_bomb(16 * 1_048_576, zip64=False))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Both the local header and the central directory claim 1,000 bytes.
    lie = (1000).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = lie
    central = archive.start_dir
    while bytes(data[central + 46 : central + 46 + len(info.filename)]) != info.filename.encode():
        assert bytes(data[central : central + 4]) == b"PK\x01\x02"
        names, extra, comment = struct.unpack_from("<HHH", data, central + 28)
        central += 46 + names + extra + comment
    data[central + 24 : central + 28] = lie
    patched = bytes(data)
    assert zipfile.ZipFile(io.BytesIO(patched)).getinfo(info.filename).file_size == 1000
    error = refused(patched, "liar.xlsx")
    assert error.code == "zip_bomb"


def test_over_the_size_limit():
    data = csv_bytes(["名称"], [["甲" * 100]] * 4000)
    error = refused(data, "big.csv", max_bytes=1_048_576)
    assert error.code == "too_large"
    assert "“big.csv” is 1.2 MB; files up to 1 MB" in error.reason


@pytest.mark.parametrize("name", ["many.xlsx", "many.csv"])
def test_over_the_row_limit(name):
    rows = [[f"客户{i}", i] for i in range(11)]
    data = (
        xlsx_bytes(["名称", "序号"], rows)
        if name.endswith("xlsx")
        else csv_bytes(["名称", "序号"], rows)
    )
    error = refused(data, name, max_rows=10)
    assert error.code == "too_many_rows"
    assert "11 rows" in error.reason and "at most 10" in error.reason
    assert len(read(data, name, max_rows=11)) == 11


def test_formula_cell_in_xlsx_is_refused():
    data = xlsx_bytes(["名称", "金额"], [["甲", "=SUM(1,2)"]])
    error = refused(data, "sum.xlsx")
    assert error.code == "formula" and "Paste Special" in error.reason


def test_formula_cell_in_xls_is_refused():
    data = xls_bytes([["名称", "金额"], ["甲", 3]], formula=True)
    assert refused(data, "sum.xls").code == "formula"
    assert len(read(xls_bytes([["名称", "金额"], ["甲", 3]]), "plain.xls")) == 1


@pytest.mark.parametrize(
    "data",
    [
        xlsx_bytes([], []),
        b"",
        b"\r\n,,\r\n\r\n",
    ],
    ids=["empty-sheet", "empty-file", "blank-csv"],
)
def test_empty_sheet(data):
    error = refused(data, "empty.csv")
    assert error.code == "empty" and "is empty" in error.reason


def test_header_only_sheet():
    error = refused(xlsx_bytes(["名称", "城市"], []), "head.xlsx")
    assert error.code == "empty" and "no data rows" in error.reason


def test_duplicate_headers_named_with_both_column_letters():
    error = refused(xlsx_bytes(["名称", "城市", "名称 "], [["甲", "上海", "乙"]]))
    assert error.code == "duplicate_header"
    assert "“名称”" in error.reason and "columns A and C" in error.reason


def test_duplicate_header_letters_count_from_column_a_when_the_table_starts_later():
    book = openpyxl.Workbook()
    sheet = book.active
    for cell, value in (("B2", "Name"), ("C2", "城市"), ("D2", "name"), ("B3", "甲")):
        sheet[cell] = value
    out = io.BytesIO()
    book.save(out)
    assert "columns B and D" in refused(out.getvalue()).reason


def test_template_meta_sheet_hidden_sheets_and_required_marks():
    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "旧数据"
    hidden.append(["不要读我"])
    hidden.sheet_state = "hidden"
    data_sheet = book.create_sheet("客户")
    data_sheet.append(["公司名称*", "城市"])
    data_sheet.append(["甲", "上海"])
    meta = book.create_sheet(files.META_SHEET)
    meta.append(["entity", "account"])
    meta.append(["version", 3])
    meta.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    table = read(out.getvalue())
    assert table.sheet == "客户"
    assert table.headers == ["公司名称", "城市"]
    assert table.meta == {"entity": "account", "version": 3}


def test_xls_formula_scan_reads_large_and_small_workbook_streams():
    small = xls_bytes([["名称"], ["甲"]])
    large = xls_bytes([["名称", "金额"]] + [[f"客户{i}", i] for i in range(3000)])
    assert not files.xls_has_formula(small)
    assert not files.xls_has_formula(large)
    assert files.xls_has_formula(xls_bytes([["名称", "金额"]] * 3000, formula=True))


def test_damaged_xls_is_refused():
    data = files.XLS_MAGIC + bytes(600)
    assert "could not be read" in refused(data, "broken.xls").reason
