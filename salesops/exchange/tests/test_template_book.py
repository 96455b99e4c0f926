"""The entity template workbook: columns in the user's language, drop-downs, notes, the
hidden version sheet, the export for re-import, and a filled-in template imports."""

import datetime as dt
import io

import openpyxl
import pytest

from salesops.customers.models import Account
from salesops.customers.tests.factories import AccountFactory
from salesops.exchange import files, registry, versions
from salesops.exchange.registry import Field, Importer, Kind
from salesops.exchange.template_book import (
    LIST_SHEET,
    template_filename,
    template_response,
    template_workbook,
)
from salesops.exchange.tests.helpers import run_import
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def book_of(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def validations(sheet) -> dict[str, str]:
    return {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}


def test_template_in_chinese_with_marks_dropdowns_notes_and_version():
    admin = UserFactory(role="admin", language="zh-hans", username="wang")
    importer = registry.get("account")
    book = book_of(template_workbook(importer, user=admin, with_data=False))
    assert book.sheetnames == ["客户", "说明", files.META_SHEET]
    assert [s.sheet_state for s in book.worksheets] == ["visible", "visible", "hidden"]
    sheet = book["客户"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["公司名称*", "统一社会信用代码", "行业"]
    assert sheet["A1"].font.b and sheet["B1"].font.b
    assert sheet.freeze_panes == "A2"
    # The sample row is typed: a date cell, a choice label, the user as owner.
    sample = {h.rstrip("*"): c.value for h, c in zip(headers, sheet[2], strict=True)}
    assert isinstance(sample["保密协议签署日期"], dt.datetime)
    assert sample["负责人"] == "wang"
    industry = registry.get("account").fields()[2]
    first_zh = industry.choice_labels()[0][1]
    assert sample["行业"] == first_zh
    dropdowns = validations(sheet)
    assert first_zh in dropdowns["C2:C200001"]
    # Notes: one row per column, with whether it is required and the accepted formats.
    notes = [[c.value for c in row] for row in book["说明"].iter_rows(min_row=2)]
    by_name = {row[0]: row for row in notes if row[0]}
    assert by_name["公司名称"][1] == "是"
    assert "2026年11月3日" in by_name["保密协议签署日期"][2]
    assert first_zh in by_name["行业"][3]
    meta = {row[0].value: row[1].value for row in book[files.META_SHEET].iter_rows()}
    assert meta == {"entity": "account", "version": versions.current("account").version}


def test_template_file_names():
    importer = registry.get("account")
    number = versions.current("account").version
    assert template_filename(importer, with_data=False) == f"account-template-v{number}.xlsx"
    assert template_filename(importer, with_data=True).startswith("account-20")


def test_filled_in_template_imports():
    admin = UserFactory(role="admin", language="zh-hans")
    rep = UserFactory(role="rep", username="zhang")
    data = template_workbook(registry.get("account"), user=admin, with_data=False)
    book = book_of(data)
    sheet = book.worksheets[0]
    headers = [c.value.rstrip("*") for c in sheet[1]]
    for col in range(1, len(headers) + 1):
        sheet.cell(row=2, column=col).value = None
    row = {"公司名称": "宁波甲乙模具有限公司", "城市": "宁波", "负责人": "zhang"}
    row["保密协议签署日期"] = dt.date(2026, 11, 3)
    for col, name in enumerate(headers, start=1):
        sheet.cell(row=2, column=col).value = row.get(name)
    out = io.BytesIO()
    book.save(out)

    job = run_import(admin, "account", [], [], data=out.getvalue(), filename="filled.xlsx")
    assert job.template_version == versions.current("account").version
    assert list(job.rows.values_list("status", flat=True)) == ["create"]
    account = Account.objects.get(name="宁波甲乙模具有限公司")
    assert (account.city, account.owner, account.nda_signed_on) == (
        "宁波",
        rep,
        dt.date(2026, 11, 3),
    )


def test_export_for_reimport_writes_visible_records_as_text_and_typed_cells():
    admin = UserFactory(role="admin", language="en")
    AccountFactory(name='=HYPERLINK("http://x","a")', city="Shanghai")
    response = template_response(registry.get("account"), user=admin, with_data=True)
    data = b"".join(response.streaming_content)
    assert response["Content-Disposition"].startswith('attachment; filename="account-20')
    sheet = book_of(data).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "company name*"
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert '=HYPERLINK("http://x","a")' in names
    cell = next(row[0] for row in sheet.iter_rows(min_row=2) if row[0].value.startswith("="))
    assert cell.data_type == "s"  # text, not a formula
    table = files.read(data, "export.xlsx", max_bytes=10**8, max_rows=1000)
    assert len(table.rows) == Account.objects.count()


class Cities(Importer):
    entity = "city_test"
    label = "Cities"

    def fields(self):
        many = tuple((f"c{i}", f"城市{i:03d}", f"City {i:03d}") for i in range(80))
        return [
            Field("name", "名称", zh="名称", en="Name", required=True),
            Field("city", "城市", zh="城市", en="City", kind=Kind.CHOICE, choices=many),
            Field("active", "启用", zh="启用", en="Active", kind=Kind.BOOL),
            Field(
                "size",
                "规模",
                zh="规模",
                en="Size",
                kind=Kind.CHOICE,
                choices=(("a", "1,000 人", "1,000 staff"), ("b", "小", "Small")),
            ),
        ]

    def export_rows(self, actor):
        return [{"name": "甲", "city": "c5", "active": False, "size": "zz"}]


def test_long_lists_and_labels_with_commas_use_the_hidden_list_sheet(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, "city_test", Cities())
    user = UserFactory(role="admin", language="zh-hans")
    book = book_of(template_workbook(Cities(), user=user, with_data=True))
    assert book.sheetnames == ["Cities", "说明", LIST_SHEET, files.META_SHEET]
    assert book[LIST_SHEET].sheet_state == "hidden"
    dropdowns = validations(book["Cities"])
    assert dropdowns["B2:B200001"] == f"{LIST_SHEET}!$A$1:$A$80"
    assert dropdowns["C2:C200001"] == '"是,否"'
    assert dropdowns["D2:D200001"] == f"{LIST_SHEET}!$B$1:$B$2"
    lists = book[LIST_SHEET]
    assert [lists.cell(row=r, column=1).value for r in (1, 80)] == ["城市000", "城市079"]
    assert [lists.cell(row=r, column=2).value for r in (1, 2)] == ["1,000 人", "小"]
    # The exported row: the choice code shown as its label, the bool as 否, an unknown
    # code kept as it is.
    assert [c.value for c in book["Cities"][2]] == ["甲", "城市005", "否", "zz"]
