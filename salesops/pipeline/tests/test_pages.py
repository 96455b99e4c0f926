"""The deal pages, driven through Django's test client as each role would use them: the
list (filters, totals), the deal's page, its history, create and edit (bad input named
by field, nothing written), reassignment, the export and the evidence upload/download."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.pipeline.models import ChangeState, Deal, StageChange
from salesops.pipeline.services import deal_update

from .factories import make_account, make_contact, make_deal

pytestmark = pytest.mark.django_db

ROW_RE = re.compile(r'data-testid="deal-row" data-id="(\d+)"')
OWNERS = ("rep_a", "rep_b", "rep_c", "rep_d")
# Whose deals each role sees (build_org; cs sees only the accounts of their book).
SEES = {
    "rep_a": {"rep_a"},
    "rep_b": {"rep_b"},
    "manager_sh": {"rep_c"},
    "manager_east": {"rep_a", "rep_b", "rep_c"},
    "manager_south": {"rep_d"},
    "director": set(OWNERS),
    "admin": set(OWNERS),
    "finance": set(OWNERS),
    "cs": set(),
}
# Who may change them.
EDITS = {**SEES, "finance": set(), "cs": set()}


def row_ids(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {int(pk) for pk in ROW_RE.findall(response.content.decode())}


@pytest.fixture
def deals(org, pipeline):
    return {name: make_deal(owner=getattr(org, name), name=f"单-{name}") for name in OWNERS}


# --- visibility on every page -----------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(SEES))
def test_each_role_lists_opens_and_edits_exactly_its_deals(client, org, deals, role):
    client.force_login(getattr(org, role))
    assert row_ids(client.get("/deals/")) == {deals[o].pk for o in SEES[role]}
    for owner, deal in deals.items():
        pages = [
            f"/deals/{deal.pk}/",
            f"/deals/{deal.pk}/history/",
        ]
        for url in pages:
            status = client.get(url).status_code
            assert status == (200 if owner in SEES[role] else 404), (role, owner, url)
        edit = client.get(f"/deals/{deal.pk}/edit/").status_code
        if owner in EDITS[role]:
            assert edit == 200, (role, owner)
        else:
            assert edit == (403 if owner in SEES[role] else 404), (role, owner)


def test_another_rep_gets_404_and_nothing_is_written(client, org, deals):
    theirs = deals["rep_a"]
    client.force_login(org.rep_b)
    response = client.post(
        f"/deals/{theirs.pk}/edit/", {"name": "taken", "account": theirs.account_id}
    )
    assert response.status_code == 404
    response = client.post(
        f"/deals/{theirs.pk}/evidence/",
        {"type": "minutes", "file": SimpleUploadedFile("m.pdf", b"%PDF-1.4\n")},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "单-rep_a" and not theirs.evidence.exists()


def test_customer_success_sees_the_deals_of_accounts_in_their_book(client, org, pipeline):
    account = make_account(org.rep_a, success_owner=org.cs)
    deal = make_deal(owner=org.rep_a, account=account)
    client.force_login(org.cs)
    assert row_ids(client.get("/deals/")) == {deal.pk}
    assert client.get(f"/deals/{deal.pk}/").status_code == 200
    assert client.get(f"/deals/{deal.pk}/edit/").status_code == 403
    assert client.get("/deals/new/").status_code == 403


def test_finance_reads_but_cannot_open_or_change_deals(client, org, deals):
    client.force_login(org.finance)
    page = client.get(f"/deals/{deals['rep_a'].pk}/").content.decode()
    assert 'data-testid="edit"' not in page and 'data-testid="evidence-form"' not in page
    assert client.get("/deals/new/").status_code == 403


# --- the list ---------------------------------------------------------------------------------
def test_list_totals_follow_the_filters(client, org, pipeline):
    make_deal(owner=org.rep_a, amount=Decimal("100000"))  # 初步接触 10 %
    make_deal(owner=org.rep_a, amount=Decimal("200000"), stage_code="proposal")  # 40 %
    make_deal(owner=org.rep_b, amount=Decimal("50000"))
    client.force_login(org.manager_east)
    page = client.get("/deals/").content.decode()
    assert 'data-testid="total-amount" data-value="350000' in page
    assert 'data-testid="total-weighted" data-value="95000.00"' in page  # 10k + 80k + 5k
    page = client.get("/deals/", {"owner": org.rep_a.pk}).content.decode()
    assert 'data-testid="total-amount" data-value="300000' in page
    assert 'data-testid="total-weighted" data-value="90000.00"' in page


def test_list_search_filters_and_account_link(client, org, deals):
    client.force_login(org.director)
    assert row_ids(client.get("/deals/", {"q": "单-rep_c"})) == {deals["rep_c"].pk}
    account = deals["rep_d"].account
    response = client.get("/deals/", {"account": account.pk})
    assert row_ids(response) == {deals["rep_d"].pk}
    assert 'data-testid="filter-account"' in response.content.decode()
    team = org.rep_d.team
    assert row_ids(client.get("/deals/", {"team": team.pk})) == {deals["rep_d"].pk}


def test_bad_filters_explain_themselves(client, org, deals):
    client.force_login(org.rep_a)
    response = client.get("/deals/", {"status": "bogus", "close_after": "2026-13-45"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="filter-errors"' in page and not ROW_RE.findall(page)


def test_the_list_pages(client, org, pipeline, settings):
    settings.SALESOPS = {**settings.SALESOPS, "PAGE_SIZE": 2}
    for n in range(5):
        make_deal(owner=org.rep_a, name=f"分页{n}")
    client.force_login(org.rep_a)
    page = client.get("/deals/", {"page": 3}).content.decode()
    assert len(ROW_RE.findall(page)) == 1 and 'data-testid="pager"' in page


# --- export -----------------------------------------------------------------------------------
def test_excel_export_holds_the_filtered_visible_deals(client, org, deals):
    deal_update(actor=org.rep_a, deal=deals["rep_a"], amount=Decimal("80000"))
    client.force_login(org.manager_east)
    response = client.get("/deals/export.xlsx", {"owner": org.rep_a.pk})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Deal name"] == "单-rep_a"
    assert Decimal(str(row["Amount (CNY)"])) == Decimal("80000")
    assert Decimal(str(row["Weighted amount (CNY)"])) == Decimal("8000")
    assert row["Owner"] == org.rep_a.label
    # the default-format link is the same workbook
    response = client.get("/deals/export/", {"owner": org.rep_a.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/deals/export.xlsx?owner={org.rep_a.pk}"


def test_csv_export_leaves_out_other_reps_deals(client, org, deals):
    client.force_login(org.rep_b)
    response = client.get("/deals/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "单-rep_b" in text and "单-rep_a" not in text


# --- the deal's page --------------------------------------------------------------------------
def test_detail_shows_fields_chain_path_criteria_and_health(client, org, pipeline):
    account = make_account(org.rep_a)
    boss = make_contact(account, decision_role="signatory")
    deal = make_deal(
        owner=org.rep_a,
        account=account,
        contacts=[boss],
        stage_code="needs",
        need_confirmed=True,
        budget_confirmed=True,
        decision_maker_identified=True,
        expected_close_date=dt.date(2027, 3, 31),
    )
    client.force_login(org.rep_a)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert boss.name in page and 'data-role="signatory"' in page
    assert 'data-testid="qualified" data-qualified="1"' in page
    states = re.findall(r'data-testid="path-stage" data-state="(\w+)" data-code="(\w+)"', page)
    assert ("current", "needs") in states and ("ahead", "proposal") in states
    assert 'data-testid="stall-due"' in page
    # 需求确认 needs need_confirmed + contacts (met) and minutes (missing)
    criteria = re.findall(r'data-testid="criterion" data-kind="(\w+)" data-met="(\d)"', page)
    assert ("evidence", "0") in criteria and ("field", "1") in criteria
    assert 'data-testid="health-unchecked"' in page
    assert "¥25,000.00" in page  # weighted: 100,000 × 25 %


def test_detail_renders_the_stored_health_check(client, org, pipeline):
    deal = make_deal(owner=org.rep_a)
    Deal.objects.filter(pk=deal.pk).update(
        health={
            "criteria": [
                {
                    "code": "roles",
                    "label": "决策角色覆盖",
                    "passed": True,
                    "value": 3,
                    "threshold": 3,
                    "signal": "",
                },
                {
                    "code": "first_payment",
                    "label": "首付款比例",
                    "passed": False,
                    "value": 20,
                    "threshold": 30,
                    "signal": "首付款不足",
                },
                {
                    "code": "cs",
                    "label": "客户成功介入",
                    "passed": None,
                    "value": None,
                    "threshold": None,
                    "signal": "",
                },
            ],
            "passed": 1,
            "total": 5,
        },
        health_passed=1,
        health_checked_at=dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC),
    )
    client.force_login(org.rep_a)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert re.findall(
        r'data-testid="health-criterion" data-code="(\w+)" data-state="(\w+)"', page
    ) == [("roles", "pass"), ("first_payment", "fail"), ("cs", "unknown")]
    assert "首付款不足" in page and "1 / 5" in page
    assert 'data-testid="health-unchecked"' not in page


def test_detail_lists_stage_changes_and_the_pending_request(client, org, pipeline):
    from salesops.pipeline import stages as moves
    from salesops.pipeline.models import Stage

    deal = make_deal(
        owner=org.rep_a,
        stage_code="proposal",
        amount=Decimal("1"),
        expected_close_date=dt.date(2027, 1, 1),
    )
    proposal = SimpleUploadedFile("p.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    change = moves.request_stage_change(
        actor=org.rep_a,
        deal=deal,
        to_stage=Stage.objects.get(pipeline=deal.pipeline, code="demo"),
        uploads=[("proposal", proposal)],
        reason="客户确认方案",
    )
    assert change.state == ChangeState.PENDING
    client.force_login(org.rep_a)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="pending-request" data-state="pending"' in page
    assert "客户确认方案" in page
    assert 'data-testid="stage-change" data-state="pending"' in page
    assert 'data-testid="stage-change" data-state="applied" data-direction="created"' in page
    assert StageChange.objects.filter(deal=deal).count() == 2


def test_history_tab_shows_the_audit(client, org, pipeline):
    deal = make_deal(owner=org.rep_a)
    deal_update(actor=org.rep_a, deal=deal, amount=Decimal("5"))
    client.force_login(org.rep_a)
    page = client.get(f"/deals/{deal.pk}/history/").content.decode()
    assert 'data-testid="history-change" data-field="amount"' in page
    partial = client.get(f"/deals/{deal.pk}/history/", headers={"HX-Request": "true"})
    assert b'data-testid="history"' in partial.content and b"<html" not in partial.content


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("rep_a", 200),
        ("manager_east", 200),
        ("director", 200),
        ("admin", 200),
        ("finance", 403),
        ("cs", 403),
    ],
)
def test_the_new_deal_page_per_role(client, org, pipeline, role, status):
    client.force_login(getattr(org, role))
    response = client.get("/deals/new/")
    assert response.status_code == status
    listing = client.get("/deals/").content.decode()
    assert ('data-testid="new-deal"' in listing) == (status == 200)


def test_the_deal_page_reads_in_chinese(client, org, pipeline):
    deal = make_deal(owner=org.rep_a, stage_code="needs")
    org.rep_a.language = "zh-hans"
    org.rep_a.save(update_fields=["language"])
    client.force_login(org.rep_a)
    page = client.get(f"/deals/{deal.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "阶段路径" in body and "健康成交检查" in body and "尚未检查" in body
    assert "需求确认" in body  # the stage's Chinese name
    listing = client.get("/deals/").content.decode()
    assert "加权金额" in listing


def test_huge_and_foreign_ids_in_the_query_are_harmless(client, org, deals):
    huge = "18446744073709551616"
    client.force_login(org.rep_a)
    for params in ({"account": huge}, {"account": deals["rep_b"].account_id}):
        assert client.get("/deals/", params).status_code == 200
        page = client.get("/deals/new/", {**params, "part": "contacts"})
        assert page.status_code == 200
        assert deals["rep_b"].account.name not in page.content.decode()
    assert client.get("/deals/", {"owner": huge, "team": huge, "page": huge}).status_code == 200


def test_the_account_page_links_to_its_deals(client, org, deals):
    account = deals["rep_a"].account
    client.force_login(org.rep_a)
    page = client.get(f"/customers/accounts/{account.pk}/").content.decode()
    assert f'href="/deals/?account={account.pk}"' in page
    assert f'href="/deals/new/?account={account.pk}"' in page
    client.force_login(org.finance)
    page = client.get(f"/customers/accounts/{account.pk}/").content.decode()
    assert f'href="/deals/?account={account.pk}"' in page and 'data-testid="add-deal"' not in page
