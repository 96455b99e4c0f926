"""The metric library and scheme pages: lists with search and export, the metric form
with the source's fields, the editor (rows posted as lists), Preview as an htmx partial
and Save making a new version; an error names the row and saves nothing; 403 for others."""

import pytest
from django.urls import reverse

from salesops.core import clock
from salesops.kpi.models import Metric

from .schemes_data import FORMULA, WEIGHTS, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build()


def editor_post(formula=FORMULA, calls_target="2", **overrides) -> dict:
    data = {
        "effective_from": str(clock.today()),
        **WEIGHTS,
        "note": "",
        "item_metric": ["t_calls", "t_visits"],
        "item_group": ["result", "process"],
        "item_weight": ["100", "100"],
        "item_formula": [formula, FORMULA],
        "item_target_source": ["fixed", "fixed"],
        "item_target_value": [calls_target, "1"],
    }
    data.update(overrides)
    return data


def test_pages_are_for_configurers(client, world):
    urls = [
        reverse("kpi:metric_list"),
        reverse("kpi:metric_create"),
        reverse("kpi:metric_edit", args=[world.calls.pk]),
        reverse("kpi:scheme_list"),
        reverse("kpi:scheme_detail", args=[world.scheme.pk]),
        reverse("kpi:version_new", args=[world.scheme.pk]),
        reverse("kpi:version_detail", args=[world.scheme.pk, 1]),
    ]
    for user in (world.org.rep_a, world.org.manager_east):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        preview = client.post(reverse("kpi:scheme_preview", args=[world.scheme.pk]), editor_post())
        assert preview.status_code == 403
    client.force_login(world.org.director)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("kpi:version_detail", args=[world.scheme.pk, 7])).status_code == 404


def test_metric_list_search_and_export(client, world):
    client.force_login(world.org.admin)
    page = client.get(reverse("kpi:metric_list"), {"q": "t_vis"}).content.decode()
    assert 'data-code="t_visits"' in page and 'data-code="t_calls"' not in page
    page = client.get(reverse("kpi:metric_list"), {"group": "result"}).content.decode()
    assert 'data-code="t_calls"' in page and 'data-code="t_visits"' not in page
    export = client.get(reverse("kpi:metric_list"), {"q": "t_", "export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "t_calls" in body and "t_visits" in body


def test_metric_form_help_try_and_errors(client, world):
    client.force_login(world.org.admin)
    page = client.get(reverse("kpi:metric_edit", args=[world.calls.pk])).content.decode()
    assert 'data-field="kind"' in page and "<code>visit</code>" in page  # the source's codes
    partial = client.get(reverse("kpi:metric_source"), {"source": "deals"}).content.decode()
    assert 'data-testid="source-help"' in partial and "<code>status</code>" in partial
    tried = client.get(reverse("kpi:metric_try", args=[world.calls.pk])).content.decode()
    assert "Rep A" in tried and "try-table" in tried
    data = {
        "code": "t_new",
        "name_zh": "新",
        "name_en": "New",
        "kind": "aggregate",
        "source": "activities",
        "filter": "colour == 1",
        "aggregate": "count",
        "date_field": "started_at",
        "unit": "count",
        "is_active": "on",
        "higher_is_better": "on",
    }
    response = client.post(reverse("kpi:metric_create"), data)
    assert response.status_code == 200 and "colour" in response.content.decode()
    assert not Metric.objects.filter(code="t_new").exists()
    data["filter"] = 'kind == "visit"'
    response = client.post(reverse("kpi:metric_create"), data)
    assert response.status_code == 302
    assert Metric.objects.get(code="t_new").filter == 'kind == "visit"'


def test_editor_preview_and_save(client, world):
    client.force_login(world.org.admin)
    editor = client.get(reverse("kpi:version_new", args=[world.scheme.pk])).content.decode()
    assert editor.count('data-testid="item-row"') == 3  # two rows + the template
    assert "kpi/schemes.js" in editor and "<script>" not in editor
    preview = client.post(reverse("kpi:scheme_preview", args=[world.scheme.pk]), editor_post())
    text = preview.content.decode()
    assert 'data-testid="preview-table"' in text and "37.50" in text and "Rep C" in text
    bad = client.post(
        reverse("kpi:scheme_preview", args=[world.scheme.pk]),
        editor_post(formula="min(actual / target, 1.2 * 100"),
    ).content.decode()
    assert "preview-errors" in bad and "Row 1, formula" in bad and "t_calls" in bad
    zero = client.post(
        reverse("kpi:scheme_preview", args=[world.scheme.pk]),
        editor_post(formula="actual / target", calls_target="0"),
    ).content.decode()
    assert "preview-errors" in zero and "t_calls" in zero
    assert world.scheme.versions.count() == 1
    response = client.post(
        reverse("kpi:version_new", args=[world.scheme.pk]),
        editor_post(formula="actual / goal"),
    )
    assert response.status_code == 200 and "Unknown name “goal”" in response.content.decode()
    assert world.scheme.versions.count() == 1
    response = client.post(
        reverse("kpi:version_new", args=[world.scheme.pk]),
        editor_post(calls_target="3", note="harder"),
    )
    assert response.status_code == 302
    assert world.scheme.versions.count() == 2
    detail = client.get(reverse("kpi:scheme_detail", args=[world.scheme.pk])).content.decode()
    assert 'data-number="2"' in detail and "t_calls: fixed target 2.0000 → 3.0000" in detail


def test_scheme_create_page(client, world):
    client.force_login(world.org.admin)
    response = client.post(
        reverse("kpi:scheme_create"),
        {"name": "South KPI", "role": "rep", "team": world.org.south.pk},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("kpi:scheme_create"), {"name": "Again", "role": "rep", "team": world.org.south.pk}
    )
    assert "exists already" in response.content.decode()
    listing = client.get(reverse("kpi:scheme_list"), {"q": "South"}).content.decode()
    assert "South KPI" in listing and "East reps KPI" not in listing


def test_errors_in_chinese(client, world):
    world.org.admin.language = "zh-hans"
    world.org.admin.save()
    client.force_login(world.org.admin)
    response = client.post(
        reverse("kpi:version_new", args=[world.scheme.pk]), editor_post(result_weight="70")
    )
    text = response.content.decode()
    assert "各组权重必须合计为 100；当前合计为 95。" in text
    assert "组内权重" in text and "用上月数据预览" in text
