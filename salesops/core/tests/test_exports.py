"""core.exports: the rows read with ``values_list`` are the rows the column getters give
on model instances; the streamed .xlsx is a workbook Excel's readers open, text never a
formula."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import python_calamine
from django.utils import translation

from salesops.core import exports, xlsxstream
from salesops.core.validators import display_phone
from salesops.leads import services
from salesops.leads.models import Lead
from salesops.leads.tests.factories import lead_data, make_channel
from salesops.leads.views.leads import EXPORT_COLUMNS

pytestmark = pytest.mark.django_db


def _leads(org):
    channel = make_channel(name="官网表单")
    made = []
    for n, (owner, company) in enumerate(
        [
            (org.rep_a, '=HYPERLINK("http://x")科技有限公司'),
            (org.rep_b, "@杭州云帆智能科技有限公司"),
            (None, " 北京蓝海物流有限公司"),
        ]
    ):
        data = lead_data(company=company, need=f"需要报价 & <方案>\x07第{n}行")
        data["industry"] = "manufacturing" if n == 0 else ""
        made.append(services.lead_intake(channel=channel, data=data, owner=owner).lead)
    return made


def _csv(queryset, columns) -> list[list[str]]:
    response = exports.export_response(queryset, columns, "csv", "leads")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_values_rows_are_the_getters_rows(org):
    leads = _leads(org)
    queryset = Lead.objects.filter(pk__in=[lead.pk for lead in leads]).order_by("pk")
    assert exports.columns_plan(queryset, [a for _h, a in EXPORT_COLUMNS]) is not None
    # A callable column makes the export read instances (the getters' way).
    with_object = [*EXPORT_COLUMNS, ("x", lambda lead: lead.pk)]
    assert exports.columns_plan(queryset, [a for _h, a in with_object]) is None
    with translation.override("zh-hans"):
        fast = _csv(queryset, EXPORT_COLUMNS)
        slow = _csv(queryset, with_object)
    assert [row[:-1] for row in slow] == fast
    assert fast[0][1] == "公司名称" or fast[0][1] != "company"  # zh-Hans headers
    first = fast[1]
    assert first[1].startswith("'=HYPERLINK")  # neutralised
    assert fast[2][1].startswith("'@")
    assert first[3] == display_phone(leads[0].phone) and " " in first[3]
    assert first[13] == org.rep_a.label  # owner.label through the related row
    assert fast[3][13] == ""  # no owner


def test_xlsx_cells_are_typed_and_text_is_never_a_formula(org):
    leads = _leads(org)
    queryset = Lead.objects.filter(pk__in=[lead.pk for lead in leads]).order_by("pk")
    response = exports.export_response(queryset, EXPORT_COLUMNS, "xlsx", "leads")
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(1, 1).font.b
    assert rows[1][0] == leads[0].pk
    formula = sheet.cell(2, 2)
    assert formula.data_type == "s" and formula.value == '=HYPERLINK("http://x")科技有限公司'
    assert rows[3][1] == "北京蓝海物流有限公司"
    # Markup escaped; a control character (XML cannot hold it) as Excel's escape, which
    # Excel shows as the character (openpyxl leaves it as written, as with XlsxWriter).
    assert rows[1][11] == "需要报价 & <方案>_x0007_第0行"
    assert isinstance(rows[1][19], dt.datetime)
    assert rows[1][13] == org.rep_a.label and rows[3][13] is None
    calamine = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    read = calamine.get_sheet_by_index(0).to_python()
    assert read[1][1] == rows[1][1] and read[1][3] == rows[1][3]
    assert len(read) == 4


def test_sheet_writer_types():
    handle = io.BytesIO()
    writer = xlsxstream.SheetWriter(handle, ["a", "b", "c", "d", "e", "f"], [10] * 6)
    writer.write_rows(
        [
            [1, 2.5, Decimal("-3.25"), dt.date(2026, 11, 3), dt.datetime(2026, 11, 3, 8, 30), True],
            ["", None, "x" * 40_000, "+86 138", " tab\tend ", "€"],
        ]
    )
    writer.close()
    sheet = openpyxl.load_workbook(io.BytesIO(handle.getvalue())).active
    first = [c.value for c in sheet[2]]
    assert first[:3] == [1, 2.5, -3.25]
    assert first[3] == dt.datetime(2026, 11, 3) and first[4] == dt.datetime(2026, 11, 3, 8, 30)
    assert first[5] is True
    second = [c.value for c in sheet[3]]
    assert second[0] is None and second[1] is None
    assert len(second[2]) == xlsxstream.MAX_TEXT
    assert second[3:] == ["+86 138", " tab\tend ", "€"]


def test_formatted_column_reads_instances_too(org):
    leads = _leads(org)
    column = exports.Formatted("phone", display_phone)
    assert column(leads[0]) == display_phone(leads[0].phone)


def test_ids_and_related_rows_read_like_the_getters(org):
    leads = _leads(org)
    queryset = Lead.objects.filter(pk__in=[lead.pk for lead in leads]).order_by("pk")
    columns = [
        ("id", "pk"),
        ("owner id", "owner_id"),
        ("owner", "owner"),
        ("owner pk", "owner.pk"),
        ("team", "team.name"),
        ("status", "get_status_display"),
    ]
    assert exports.columns_plan(queryset, [a for _h, a in columns]) is not None
    fast = _csv(queryset, columns)
    slow = _csv(queryset, [*columns, ("x", lambda lead: 1)])
    assert [row[:-1] for row in slow] == fast
    assert fast[1][1] == str(org.rep_a.pk) and fast[1][2] == str(org.rep_a)
