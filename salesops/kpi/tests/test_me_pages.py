"""The self-service pages (K3–K5): my score, a rep's score, the drill-down, rankings with
export, my comparison and my radar — who sees what, and bad input."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from salesops.customers.tests.factories import make_account
from salesops.kpi import runs, selectors
from salesops.kpi.models import KpiPolicy, MetricValue, RadarDimension, RankingVisibility, Scheme
from salesops.revenue.tests.factories import make_contract

from .factories import make_metric
from .factories_me import END, NOW, START, scheme, scored_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def month(org):
    return scored_month(org)


def get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


def value_of(user, code):
    return next(
        v
        for v in MetricValue.objects.filter(user=user).select_related("item")
        if v.item.metric_definition["code"] == code
    )


def test_my_score_shows_score_ranks_metrics_and_links_to_records(client, org, month):
    response = get(client, org.rep_b, "kpi:my_score")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-score">52.50<' in html
    assert 'data-testid="rank-team">2 / 2<' in html
    assert 'data-testid="rank-org">2 / 4<' in html
    calls = value_of(org.rep_b, "calls")
    assert reverse("kpi:drill", args=[calls.pk]) in html
    assert "min(actual / target, 1.2) * 100" in html and "the target scores 100.00" in html
    assert "2026-07" in html


def test_rep_gets_404_for_another_reps_page_manager_and_director_see_it(client, org, month):
    assert get(client, org.rep_a, "kpi:rep_score", org.rep_b.pk).status_code == 404
    assert get(client, org.manager_south, "kpi:rep_score", org.rep_b.pk).status_code == 404
    page = get(client, org.manager_east, "kpi:rep_score", org.rep_b.pk)
    assert page.status_code == 200 and "KPI of Rep B" in page.content.decode()
    assert get(client, org.director, "kpi:rep_score", org.rep_d.pk).status_code == 200
    own = get(client, org.rep_b, "kpi:rep_score", org.rep_b.pk)
    assert own.status_code == 302 and own["Location"] == reverse("kpi:my_score")


def test_no_scheme_explains_itself(client, org):
    Scheme.objects.update(is_active=False)
    html = get(client, org.rep_a, "kpi:my_score").content.decode()
    assert 'data-testid="no-score"' in html and "No KPI scheme applies to you yet" in html


def test_bad_period_is_a_message_naming_it(client, org, month):
    response = get(client, org.rep_a, "kpi:my_score", period="2026-99")
    assert response.status_code == 200
    assert "Enter a month as YYYY-MM" in response.content.decode()
    assert response.context["card"].start.month == 7


def test_drill_lists_the_records_searchable_and_404_for_others(client, org, month):
    calls = value_of(org.rep_a, "calls")
    response = get(client, org.rep_a, "kpi:drill", calls.pk)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 4 == calls.actual
    html = response.content.decode()
    assert html.count('data-testid="record-row"') == 4
    first = response.context["page_obj"].object_list[0]
    assert first.get_absolute_url() in html
    assert get(client, org.rep_b, "kpi:drill", calls.pk).status_code == 404
    assert get(client, org.manager_east, "kpi:drill", calls.pk).status_code == 200
    none = get(client, org.rep_a, "kpi:drill", calls.pk, q="zzz-nothing")
    assert none.context["page_obj"].paginator.count == 0


def test_drill_of_a_metric_dated_by_a_day_lists_its_records(client, org, month):
    """A date field (a contract's signing day), not a moment: the day is shown."""
    signed = make_metric(
        "kpi_signed", name_en="Signed", source="contracts", aggregate="sum", field="amount",
        date_field="signed_on",
    )  # fmt: skip
    make_contract(
        make_account(org.rep_a), amount=Decimal("5000"), signed_on=dt.date(2026, 7, 9),
        instalments=[{"due_on": dt.date(2026, 8, 1), "percent": Decimal("100")}],
    )  # fmt: skip
    runs.run_period(scheme([(signed, "result", Decimal(1000))]), START, END)
    value = MetricValue.objects.get(user=org.rep_a, item__metric__code="kpi_signed")
    response = get(client, org.rep_a, "kpi:drill", value.pk)
    assert response.status_code == 200 and "2026-07-09" in response.content.decode()


def test_drill_of_a_derived_metric_links_its_components(client, org, month):
    share = value_of(org.rep_a, "call_share")
    html = get(client, org.rep_a, "kpi:drill", share.pk).content.decode()
    assert 'data-testid="components"' in html
    assert reverse("kpi:drill", args=[value_of(org.rep_a, "visits").pk]) in html
    part = get(client, org.rep_a, "kpi:drill_component", share.pk, "calls")
    assert part.status_code == 200 and part.context["page_obj"].paginator.count == 4


def test_rankings_hide_names_per_policy_and_show_ties(client, org, month):
    policy = KpiPolicy.current()
    policy.ranking_visibility = RankingVisibility.RANK_ONLY
    policy.save()
    html = get(client, org.rep_b, "kpi:rankings", scope="org").content.decode()
    assert html.count('data-testid="ranking-row"') == 1 and "Rep A" not in html
    assert 'data-testid="names-hidden"' in html and "2 / 4" in html
    director = get(client, org.director, "kpi:rankings", scope="org")
    ranks = [(r.name, r.rank) for r in director.context["page_obj"]]
    assert ranks == [("Rep A", 1), ("Rep B", 2), ("Rep C", 2), ("Rep D", 4)]


def test_rankings_export_holds_the_visible_rows(client, org, month):
    response = get(client, org.manager_east, "kpi:rankings_export", scope="team", format="csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Rank", "Name", "Team", "Score"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("1", "Rep A"), ("2", "Rep B"), ("2", "Rep C")]
    xlsx = get(client, org.director, "kpi:rankings_export", scope="org", format="xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')


def test_rankings_bad_scope_falls_back_with_a_message(client, org, month):
    response = get(client, org.rep_a, "kpi:rankings", scope="galaxy", period="nope")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose “team” or “org”" in html and "Enter a month as YYYY-MM" in html
    assert response.context["ranking"].scope == "team"


def test_comparison_page_has_table_and_chart_data(client, org, month):
    policy = KpiPolicy.current()
    policy.comparison_metrics = ["calls", "visits"]
    policy.save()
    response = get(client, org.rep_b, "kpi:comparison")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="comparison-row"') == 2
    assert 'id="kpi-comparison-chart-data"' in html and "kpi/me.js" in html


def test_radar_page_explains_each_axis(client, org, month):
    RadarDimension.objects.update(is_active=False)
    RadarDimension.objects.create(
        code="hunting", name_zh="开拓", name_en="Hunting", formula="calls * 20"
    )
    response = get(client, org.rep_a, "kpi:radar")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="kpi-radar-chart-data"' in html and "calls * 20" in html
    assert "calls = 4.0000" in html
    assert response.context["chart"]["series"][0]["data"] == [80.0]


def test_home_card_partial_renders(client, org, month):
    from django.template.loader import render_to_string

    html = render_to_string("kpi/me/_card.html", {"kpi_card": selectors.home_card(org.rep_a)})
    assert 'data-testid="kpi-card-score">95.00<' in html


def test_templates_have_no_inline_style_or_script(client, org, month):
    calls = value_of(org.rep_a, "calls")
    pages = [
        get(client, org.rep_a, "kpi:my_score"),
        get(client, org.rep_a, "kpi:drill", calls.pk),
        get(client, org.rep_a, "kpi:rankings"),
        get(client, org.rep_a, "kpi:comparison"),
        get(client, org.rep_a, "kpi:radar"),
    ]
    for page in pages:
        html = page.content.decode()
        assert " style=" not in html
        for chunk in html.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head


def test_pages_speak_chinese(client, org, month):
    org.rep_b.language = "zh-hans"
    org.rep_b.save()
    html = get(client, org.rep_b, "kpi:my_score").content.decode()
    assert "我的绩效" in html and "距目标差距" in html and "全公司排名" in html
    rankings = get(client, org.rep_b, "kpi:rankings").content.decode()
    assert "绩效排名" in rankings
