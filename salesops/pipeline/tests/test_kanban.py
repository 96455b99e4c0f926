"""The kanban board (D3): columns and their totals, the cards and their badges, filters,
visibility per role, and a query count that does not grow with the number of deals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesops.core import clock
from salesops.pipeline import board, stages
from salesops.pipeline.models import Deal, Pipeline, Stage

from .factories import default_pipeline, make_account, make_deal, stage

pytestmark = pytest.mark.django_db
URL = reverse("pipeline:kanban")


def names(response) -> set[str]:
    return set(re.findall(r'data-testid="card-name">([^<]+)<', response.content.decode()))


def column(response, code: str) -> str:
    """The HTML of one column of the board."""
    html = response.content.decode()
    start = html.index(f'data-stage-code="{code}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_a_rep_sees_only_their_own_deals_in_their_stages(client, org, pipeline):
    make_deal(owner=org.rep_a, name="华东云帆 ERP")
    make_deal(owner=org.rep_a, name="鑫昌 CRM", stage_code="proposal")
    make_deal(owner=org.rep_b, name="同事的商机")
    client.force_login(org.rep_a)
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == {"华东云帆 ERP", "鑫昌 CRM"}
    assert "华东云帆 ERP" in column(response, "contact")
    assert "鑫昌 CRM" in column(response, "proposal")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("manager_east", {"A", "B", "C"}),
        ("manager_sh", {"C"}),
        ("manager_south", {"D"}),
        ("director", {"A", "B", "C", "D"}),
        ("admin", {"A", "B", "C", "D"}),
        ("finance", {"A", "B", "C", "D"}),
    ],
)
def test_each_role_sees_the_deals_of_its_scope(client, org, pipeline, who, expected):
    for rep, name in ((org.rep_a, "A"), (org.rep_b, "B"), (org.rep_c, "C"), (org.rep_d, "D")):
        make_deal(owner=rep, name=name)
    client.force_login(getattr(org, who))
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == expected


def test_the_column_header_counts_sums_and_weights_every_deal(client, org, pipeline):
    make_deal(owner=org.rep_a, stage_code="proposal", amount=Decimal("100000"))
    make_deal(owner=org.rep_b, stage_code="proposal", amount=Decimal("50000.50"))
    client.force_login(org.manager_east)
    html = column(client.get(URL), "proposal")
    assert 'data-testid="column-count">2<' in html
    assert "¥150,000.50" in html
    # 方案提交 is 40 %: 150,000.50 × 0.4
    assert "¥60,000.20" in html
    assert "40%" in html and "bg-indigo" in html


def test_a_card_shows_owner_amount_days_in_stage_and_its_badges(client, org, pipeline):
    with time_machine.travel(dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        deal = make_deal(
            owner=org.rep_a,
            name="杭州云帆",
            stage_code="proposal",
            amount=Decimal("880000"),
            expected_close_date=dt.date(2027, 1, 15),
            need_confirmed=True,
            budget_confirmed=True,
            decision_maker_identified=True,
        )
        stages.request_stage_change(
            actor=org.rep_a,
            deal=deal,
            to_stage=stage("demo"),
            uploads=[("proposal", SimpleUploadedFile("p.pdf", b"%PDF-1.4 x"))],
        )
    Deal.objects.filter(pk=deal.pk).update(health_passed=3)
    # Monday 10:00 → Monday two weeks later: 10 working days, past the 5-day stall.
    with time_machine.travel(dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(org.rep_a)
        html = column(client.get(URL), "proposal")
    assert "杭州云帆" in html and "Rep A" in html and "¥880,000.00" in html
    assert re.search(r'data-testid="card-days">\s*10\.0', html)
    assert 'data-testid="card-stalled"' in html
    assert 'data-testid="card-health"' in html and "3/5" in html
    assert 'data-testid="card-pending"' in html
    assert 'data-testid="card-qualified"' in html
    assert f'href="/deals/{deal.pk}/move/?next=' in html


def test_a_fresh_unqualified_deal_has_no_warning_badges(client, org, pipeline):
    make_deal(owner=org.rep_a, name="新商机")
    client.force_login(org.rep_a)
    html = column(client.get(URL), "contact")
    for badge in ("card-stalled", "card-health", "card-pending", "card-qualified"):
        assert f'data-testid="{badge}"' not in html


def test_finance_sees_the_board_but_gets_no_move_handles(client, org, pipeline):
    make_deal(owner=org.rep_a, name="A")
    client.force_login(org.finance)
    response = client.get(URL)
    assert names(response) == {"A"}
    assert "data-movable" not in response.content.decode()
    assert 'data-testid="card-move"' not in response.content.decode()


def test_filters_by_owner_team_product_line_and_search(client, org, pipeline):
    make_deal(owner=org.rep_a, name="云帆 ERP", product_line="erp")
    make_deal(owner=org.rep_b, name="鑫昌 CRM", product_line="crm")
    make_deal(owner=org.rep_c, name="上海 MES", product_line="erp")
    client.force_login(org.manager_east)
    assert names(client.get(URL, {"owner": org.rep_b.pk})) == {"鑫昌 CRM"}
    assert names(client.get(URL, {"owner": "me"})) == set()
    assert names(client.get(URL, {"team": org.shanghai.pk})) == {"上海 MES"}
    assert names(client.get(URL, {"product_line": "erp"})) == {"云帆 ERP", "上海 MES"}
    assert names(client.get(URL, {"q": "鑫昌"})) == {"鑫昌 CRM"}


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"pipeline": "abc"}, "Pipeline"),
        ({"pipeline": "18446744073709551616"}, "Pipeline"),
        ({"owner": "x"}, "owner"),
        ({"team": "east"}, "team"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, org, pipeline, params, text):
    make_deal(owner=org.rep_a)
    client.force_login(org.manager_east)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert 'data-testid="filter-error"' in response.content.decode()
    assert text.lower() in response.content.decode().lower()


def test_one_pipeline_at_a_time_defaulting_to_the_users_teams(client, org, pipeline):
    south = Pipeline.objects.create(
        code="south", name_zh="华南流程", name_en="South process", team=org.south, order=20
    )
    Stage.objects.create(pipeline=south, code="s1", name_zh="接触", name_en="Touch", order=10)
    Stage.objects.create(pipeline=south, code="won", name_zh="赢", name_en="Won", kind="won")
    make_deal(owner=org.rep_d, name="标准流程的商机")
    make_deal(owner=org.rep_d, name="华南的商机", pipeline=south)
    client.force_login(org.rep_d)
    assert names(client.get(URL)) == {"华南的商机"}
    assert names(client.get(URL, {"pipeline": pipeline.pk})) == {"标准流程的商机"}
    client.force_login(org.rep_a)
    assert names(client.get(URL)) == set()  # East's default: the standard pipeline


def _many(owner, stage_obj, n, account, prefix="批量"):
    now = clock.now()
    Deal.objects.bulk_create(
        Deal(
            name=f"{prefix}{i:04d}",
            account=account,
            owner=owner,
            pipeline=stage_obj.pipeline,
            stage=stage_obj,
            stage_entered_at=now - dt.timedelta(hours=i),
            stall_due_at=now + dt.timedelta(days=3),
            amount=Decimal("1000.00"),
        )
        for i in range(n)
    )


def test_a_column_shows_at_most_its_cap_and_says_how_many_more(client, org, pipeline):
    account = make_account(owner=org.rep_a)
    _many(org.rep_a, stage("needs"), board.CARDS_PER_COLUMN + 7, account)
    client.force_login(org.rep_a)
    html = column(client.get(URL), "needs")
    assert html.count('data-testid="kanban-card"') == board.CARDS_PER_COLUMN
    assert f'data-testid="column-count">{board.CARDS_PER_COLUMN + 7}<' in html
    assert "7 more" in html
    # The oldest in the stage first: the longest-waiting deals are the ones shown.
    assert f"批量{board.CARDS_PER_COLUMN + 6:04d}" in html and "批量0000" not in html


def test_the_query_count_does_not_grow_with_the_number_of_deals(
    client, org, pipeline, django_assert_max_num_queries
):
    account = make_account(owner=org.rep_a)
    client.force_login(org.manager_east)
    make_deal(owner=org.rep_a, name="一个")
    with django_assert_max_num_queries(40) as few:
        assert client.get(URL).status_code == 200
    for code in ("contact", "needs", "proposal", "demo", "negotiation", "signing"):
        _many(org.rep_a, stage(code), 70, account, prefix=code)
        _many(org.rep_b, stage(code), 30, account, prefix=code + "b")
    with django_assert_max_num_queries(40) as many:
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="kanban-card"') == 6 * 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_board_lists_won_and_lost_of_this_quarter(client, org, pipeline):
    deal = make_deal(owner=org.rep_a, amount=Decimal("1234"))
    stages.request_stage_change(
        actor=org.rep_a, deal=deal, to_stage=stage("lost"), reason="预算取消", lost_reason="price"
    )
    client.force_login(org.rep_a)
    html = client.get(URL).content.decode()
    lost = html[html.index('data-testid="closed-lost"') :]
    assert 'data-testid="closed-count">1<' in lost[:600]
    assert "¥1,234.00" in lost[:600]
    assert names(client.get(URL)) == set()


def test_default_pipeline_helper_is_used_when_no_pipeline_exists(client, org, db):
    Pipeline.objects.all().delete()
    client.force_login(org.rep_a)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="kanban-empty"' in response.content.decode()


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_default_pipeline_fixture_is_the_standard_one(pipeline):
    assert default_pipeline() == pipeline


@pytest.mark.parametrize(
    "entered",
    [
        dt.datetime(2026, 9, 25, 1, 30, tzinfo=dt.UTC),  # Friday 09:30 Shanghai
        dt.datetime(2026, 9, 30, 9, 59, 30, tzinfo=dt.UTC),  # before National Day
        dt.datetime(2026, 10, 3, 4, 0, tzinfo=dt.UTC),  # inside the holiday
        dt.datetime(2026, 10, 10, 2, 17, 45, tzinfo=dt.UTC),  # a make-up Saturday
        dt.datetime(2026, 10, 14, 12, 0, tzinfo=dt.UTC),  # after hours
        dt.datetime(2026, 10, 16, 0, 30, tzinfo=dt.UTC),  # today, before opening
        dt.datetime(2026, 10, 16, 3, 10, tzinfo=dt.UTC),  # today, an hour ago
        dt.datetime(2025, 12, 31, 8, 0, tzinfo=dt.UTC),  # across New Year and Spring Festival
    ],
)
def test_days_in_stage_are_the_calendars_working_days(db, entered):
    from salesops.core import calendar

    now = dt.datetime(2026, 10, 16, 4, 12, 30, tzinfo=dt.UTC)  # Friday 12:12:30 Shanghai
    days = board.DaysInStage(now)
    assert days(entered) == calendar.working_days_elapsed(entered, now)
    # Several cards share one running count, whatever the order they come in.
    assert days(entered - dt.timedelta(days=40)) == calendar.working_days_elapsed(
        entered - dt.timedelta(days=40), now
    )
    assert days(entered) == calendar.working_days_elapsed(entered, now)
