"""The engine end to end on accounts: parse, check, commit, re-import."""

import pytest

from salesops.customers.models import Account
from salesops.customers.tests.factories import AccountFactory
from salesops.exchange.tests.helpers import run_import
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADERS = ["公司名称", "统一社会信用代码", "城市", "负责人", "保密协议签署日期"]


def test_good_rows_written_bad_row_reported_and_reimport_unchanged():
    admin = UserFactory(role="admin")
    rep = UserFactory(role="rep", username="zhang")
    rows = [
        ["上海甲乙机械有限公司", "", "上海", "zhang", "2026年11月3日"],
        ["苏州丙丁电子有限公司", "", "苏州", "nobody", "2026/11/3"],
        ["杭州戊己软件有限公司", "", "杭州", "zhang", 46329],
    ]
    job = run_import(admin, "account", HEADERS, rows)
    statuses = list(job.rows.order_by("row_no").values_list("row_no", "status"))
    assert statuses == [(2, "create"), (3, "error"), (4, "create")]
    bad = job.rows.get(row_no=3)
    assert bad.errors[0]["field"] == "owner" and "nobody" in bad.errors[0]["message"]
    assert Account.objects.filter(owner=rep).count() == 2
    first = Account.objects.get(name="上海甲乙机械有限公司")
    assert str(first.nda_signed_on) == "2026-11-03"
    assert first.history.first().history_change_reason.endswith(f"import #{job.pk}")

    again = run_import(admin, "account", HEADERS, rows)
    assert list(again.rows.order_by("row_no").values_list("status", flat=True)) == [
        "unchanged",
        "error",
        "unchanged",
    ]
    assert Account.objects.count() == 2


def test_credit_code_match_updates_and_fuzzy_name_is_duplicate():
    admin = UserFactory(role="admin")
    existing = AccountFactory(name="广州庚辛贸易有限公司", credit_code="91440101MA5CR7E9XA")
    other = AccountFactory(name="深圳壬癸科技有限公司", credit_code="")
    rows = [
        ["广州庚辛贸易有限公司", existing.credit_code, "广州", "", ""],
        ["深圳壬癸科技有限责任公司", "", "深圳", "", ""],
    ]
    job = run_import(admin, "account", HEADERS, rows, commit=False)
    assert [r.status for r in job.rows.order_by("row_no")] == ["update", "duplicate"]
    assert str(other.pk) in job.rows.get(row_no=3).message
