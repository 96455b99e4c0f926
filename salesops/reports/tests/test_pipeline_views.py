"""The pipeline report pages: visibility per role, bad filters (400 with the field's
message, never 500), the Excel export."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from salesops.pipeline.tests.factories import default_pipeline, make_deal

from .pipeline_data import june_history

pytestmark = pytest.mark.django_db

CONVERSION = reverse("reports:pipeline_conversion")
FORECAST = reverse("reports:pipeline_forecast")
QUALIFIED = reverse("reports:pipeline_qualified")
JUNE = {"start": "2026-06-01", "end": "2026-06-30"}


@pytest.fixture
def history(org):
    default_pipeline()
    return june_history(org)


def get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


def contact_row(response):
    report = response.context["report"]
    return next(row for row in report.rows if row.stage.code == "contact")


@pytest.mark.parametrize(
    ("who", "entered"),
    [
        ("rep_a", 3),
        ("rep_b", 2),
        ("manager_sh", 0),
        ("manager_east", 5),
        ("director", 5),
        ("admin", 5),
    ],
)
def test_conversion_counts_what_the_role_may_see(client, org, history, who, entered):
    response = get(client, getattr(org, who), CONVERSION, JUNE)
    assert response.status_code == 200
    assert contact_row(response).entered == entered
    assert b"conversion-funnel" in response.content and b"definitions" in response.content


@pytest.mark.parametrize("who", ["finance", "cs"])
def test_conversion_and_qualified_are_for_the_sales_roles(client, org, history, who):
    assert get(client, getattr(org, who), CONVERSION).status_code == 403
    assert get(client, getattr(org, who), QUALIFIED).status_code == 403


def test_finance_reads_the_forecast_and_cs_does_not(client, org, history):
    assert get(client, org.finance, FORECAST).status_code == 200
    assert get(client, org.cs, FORECAST).status_code == 403


def test_a_rep_cannot_filter_by_another_rep_or_a_team(client, org, history):
    response = get(client, org.rep_a, CONVERSION, {**JUNE, "owner": org.rep_b.pk})
    assert response.status_code == 400
    assert "Rep: Pick a rep from the list" in response.content.decode()
    assert response.context["report"].rows == []  # nothing shown for a refused filter
    response = get(client, org.rep_a, CONVERSION, {"team": org.east.pk})
    assert response.status_code == 400


def test_a_manager_filters_by_team_and_rep(client, org, history):
    response = get(client, org.manager_east, CONVERSION, {**JUNE, "team": org.shanghai.pk})
    assert response.status_code == 200
    rows = {r.stage.code: r for r in response.context["report"].rows}
    assert rows["needs"].entered == 1 and rows["contact"].entered == 0
    response = get(client, org.manager_east, CONVERSION, {**JUNE, "owner": org.rep_b.pk})
    assert contact_row(response).entered == 2
    # a team outside the manager's subtree is refused
    assert get(client, org.manager_east, CONVERSION, {"team": org.south.pk}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-13-01"},
        {"start": "2026-06-30", "end": "2026-06-01"},
        {"start": "2000-01-01", "end": "2026-06-01"},
        {"pipeline": "99999"},
        {"pipeline": "18446744073709551616"},
        {"team": "abc"},
        {"owner": "18446744073709551616"},
        {"product_line": "<script>"},
    ],
)
def test_bad_conversion_filters_answer_400_with_the_field(client, org, history, params):
    response = get(client, org.director, CONVERSION, params)
    assert response.status_code == 400
    assert b'data-testid="filter-errors"' in response.content


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (FORECAST, {"granularity": "week"}),
        (FORECAST, {"month": "2026-13"}),
        (FORECAST, {"weeks": "-1"}),
        (FORECAST, {"weeks": "x"}),
        (FORECAST, {"start": "2026-08-01", "end": "2026-07-01"}),
        (QUALIFIED, {"on": "2999-01-01"}),
        (QUALIFIED, {"on": "yesterday"}),
        (QUALIFIED, {"owner": "-5"}),
    ],
)
def test_bad_forecast_and_qualified_filters_answer_400(client, org, url, params):
    response = get(client, org.director, url, params)
    assert response.status_code == 400
    assert b'data-testid="filter-errors"' in response.content


def test_conversion_exports_the_table_as_excel(client, org, history):
    response = get(client, org.manager_east, CONVERSION, {**JUNE, "format": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Stage"
    assert rows[1][1:4] == (5, 3, 60.0)
    assert any(r[9] == "yes" for r in rows[1:])


def test_forecast_and_qualified_export_as_excel(client, org):
    default_pipeline()
    make_deal(
        owner=org.rep_a,
        amount=Decimal("1000"),
        need_confirmed=True,
        budget_confirmed=True,
        decision_maker_identified=True,
    )
    for url in (FORECAST, QUALIFIED):
        response = get(client, org.director, url, {"format": "xlsx"})
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert len(workbook.worksheets) >= 3


# --- the same reports over the API ---------------------------------------------------------
def api_get(user, path, params=None):
    from salesops.revenue.tests.test_api import client_for

    return client_for(user).get("/api/v1" + path, params or {})


def test_the_api_gives_the_conversion_a_role_may_see(org, history):
    response = api_get(org.rep_a, "/reports/pipeline/conversion", JUNE)
    assert response.status_code == 200
    stages = {s["code"]: s for s in response.json()["stages"]}
    assert stages["contact"]["entered"] == 3
    body = api_get(org.director, "/reports/pipeline/conversion", JUNE).json()
    stages = {s["code"]: s for s in body["stages"]}
    assert (stages["needs"]["conversion_pct"], stages["needs"]["bottleneck"]) == (25.0, True)
    assert stages["contact"]["median_working_days"] == 3.5


def test_the_api_refuses_bad_filters_and_other_roles(org, history):
    response = api_get(org.rep_a, "/reports/pipeline/conversion", {"owner": org.rep_b.pk})
    assert response.status_code == 422
    assert "owner" in response.content.decode()
    assert api_get(org.rep_a, "/reports/pipeline/forecast", {"weeks": "99"}).status_code == 422
    assert api_get(org.cs, "/reports/pipeline/qualified").status_code == 403
    assert api_get(org.finance, "/reports/pipeline/forecast").status_code == 200
    body = api_get(org.manager_east, "/reports/pipeline/qualified").json()
    assert body["total"]["qualified_amount"] == "0.00"
