"""The import report workbook: the file as read, each row's status and errors, the
summary counts."""

import io

import openpyxl
import pytest
from django.utils import translation

from salesops.exchange.models import RowStatus
from salesops.exchange.report import report_response, report_workbook
from salesops.exchange.tests.helpers import run_import
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADERS = ["公司名称", "城市", "负责人", "保密协议签署日期"]


@pytest.fixture
def job():
    admin = UserFactory(role="admin")
    UserFactory(role="rep", username="zhang")
    rows = [
        ["上海甲乙机械有限公司", "上海", "zhang", "2026年11月3日"],
        ["苏州丙丁电子有限公司", "苏州", "zhang", "2026/13/40"],
        ["=cmd|' /C calc'!A0", "杭州", "zhang", ""],
        ["上海甲乙机械有限公司", "上海", "zhang", "2026年11月3日"],
    ]
    # CSV: an .xlsx cell starting with "=" is a formula, which the upload refuses. The
    # messages are stored in the language of the run (a Chinese-speaking admin's).
    with translation.override("zh-hans"):
        return run_import(admin, "account", HEADERS, rows, commit=False, filename="data.csv")


def test_report_rows_in_file_order_with_status_and_errors(job):
    with translation.override("zh-hans"):
        data = report_workbook(job)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "汇总"
    sheet = book.worksheets[1]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [*HEADERS, "导入状态", "导入错误", "文件中的行号"]
    assert [r[0] for r in rows[1:]] == [
        "上海甲乙机械有限公司",
        "苏州丙丁电子有限公司",
        "=cmd|' /C calc'!A0",
        "上海甲乙机械有限公司",
    ]
    assert [r[-1] for r in rows[1:]] == [2, 3, 4, 5]
    with translation.override("zh-hans"):
        labels = {s: str(s.label) for s in RowStatus}
    assert [r[4] for r in rows[1:]] == [
        labels[RowStatus.CREATE],
        labels[RowStatus.ERROR],
        labels[RowStatus.CREATE],
        labels[RowStatus.DUPLICATE],
    ]
    # The error names its column (in the user's language) and the fix.
    assert rows[2][5] == "保密协议签署日期: “2026/13/40”不是有效日期。"
    assert rows[1][5] is None
    assert rows[4][5]  # the duplicate says which row it repeats
    # Error rows are highlighted, good rows are not.
    assert sheet.cell(row=3, column=1).fill.fgColor.rgb.endswith("FDE2E1")
    assert sheet.cell(row=2, column=1).fill.fgColor.rgb in (None, "00000000")
    # The formula-looking cell stays text in the report.
    assert sheet.cell(row=4, column=1).data_type == "s"


def test_summary_counts_every_status(job):
    with translation.override("en"):
        data = report_workbook(job)
    summary = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    pairs = {row[0].value: row[1].value for row in summary.iter_rows() if row[0].value}
    assert pairs["File"] == "data.csv"
    assert pairs["Records"] == "Accounts"
    assert pairs["Error"] == 1
    assert pairs["Duplicate"] == 1
    assert pairs["OK (new)"] == 2
    assert pairs["Total"] == 4


def test_report_response_is_a_download(job):
    response = report_response(job)
    assert response["Content-Disposition"] == (
        f'attachment; filename="account-import-{job.pk}-report.xlsx"'
    )
    data = b"".join(response.streaming_content)
    assert openpyxl.load_workbook(io.BytesIO(data)).worksheets[1].max_row == 5
