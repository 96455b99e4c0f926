"""The pages: visibility (a manager sees their team only), records and their export, bad
input on Settings · Diagnosis, the run button."""

from __future__ import annotations

import pytest

from salesops.diagnosis.models import DiagnosisPolicy, DiagnosisRun
from salesops.leads.models import Lead
from salesops.leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_manager_sees_only_their_team(client, org):
    client.force_login(org.manager_east)
    page = client.get("/diagnosis/")
    assert page.status_code == 200
    assert page.context["scope"].key == f"team:{org.east.pk}"
    assert client.get(f"/diagnosis/?team={org.south.pk}").status_code == 404
    assert client.get(f"/diagnosis/?rep={org.rep_d.pk}").status_code == 404
    assert client.get(f"/diagnosis/?rep={org.rep_c.pk}").status_code == 200
    client.post("/diagnosis/run/", {"team": org.south.pk})
    assert not DiagnosisRun.objects.filter(scope_key=f"team:{org.south.pk}").exists()


def test_rep_sees_only_themselves(client, org):
    client.force_login(org.rep_a)
    assert client.get("/diagnosis/").context["scope"].key == f"rep:{org.rep_a.pk}"
    assert client.get(f"/diagnosis/?rep={org.rep_b.pk}").status_code == 404
    assert client.get(f"/diagnosis/?team={org.east.pk}").status_code == 404


def test_run_button_then_tiles_and_report(client, org):
    client.force_login(org.director)
    response = client.post("/diagnosis/run/")
    assert response.status_code == 302
    run = DiagnosisRun.objects.get(scope_key="org")
    assert run.state == "done" and run.created_by == org.director
    page = client.get("/diagnosis/").content.decode()
    assert page.count('data-testid="tile"') == 12
    report = client.get("/diagnosis/report/").content.decode()
    assert 'data-testid="report-date"' in report and "@media print" not in report
    assert "diagnosis/report.css" in report


def test_records_and_export_keep_the_scope(client, org):
    mine = LeadFactory(owner=org.rep_a, company="东方精密机械有限公司")
    other = LeadFactory(owner=org.rep_d, company="南方重工有限公司")
    Lead.objects.filter(pk__in=[mine.pk, other.pk]).update(progressed_at="2000-01-01T00:00Z")
    client.force_login(org.manager_east)
    page = client.get("/diagnosis/sleeping_leads/").content.decode()
    assert "东方精密机械有限公司" in page and "南方重工有限公司" not in page
    export = client.get("/diagnosis/sleeping_leads/export.csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "东方精密机械有限公司" in body and "南方重工有限公司" not in body
    found = client.get("/diagnosis/sleeping_leads/?q=精密").content.decode()
    assert "东方精密机械有限公司" in found
    assert (
        client.get("/diagnosis/sleeping_leads/?q=nothing-like-it")
        .content.decode()
        .count('data-testid="record-row"')
        == 0
    )
    assert client.get("/diagnosis/no_such_check/").status_code == 404
    xlsx = client.get("/diagnosis/effective_touches/export.xlsx")
    assert xlsx.status_code == 200


def test_settings_bad_input_names_the_field_and_saves_nothing(client, org):
    client.force_login(org.admin)
    form = client.get("/diagnosis/settings/").context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["weekly_run"] = "on"
    data["target_coverage_green"] = "999"
    data["first_response_amber"] = "95"  # above its healthy 90
    data["window_days"] = "abc"
    response = client.post("/diagnosis/settings/", data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"target_coverage_green", "first_response_amber", "window_days"}
    assert "0 to 20" in errors["target_coverage_green"][0]
    assert not DiagnosisPolicy.objects.exists()
    data.update(target_coverage_green="2.0", first_response_amber="70", window_days="14")
    assert client.post("/diagnosis/settings/", data).status_code == 302
    saved = DiagnosisPolicy.objects.get()
    assert saved.window_days == 14 and saved.thresholds["target_coverage"]["green"] == "2.00"


def test_settings_are_for_configurers(client, org):
    client.force_login(org.manager_east)
    assert client.get("/diagnosis/settings/").status_code == 403


def test_api_runs_and_reads_the_scope(client, org):
    client.force_login(org.manager_east)
    started = client.post("/api/v1/diagnosis/runs")
    assert started.status_code == 202, started.content
    latest = client.get("/api/v1/diagnosis").json()
    assert latest["current"]["scope"] == f"team:{org.east.pk}"
    assert len(latest["current"]["results"]) == 12
    assert client.get(f"/api/v1/diagnosis?team={org.south.pk}").status_code == 404


def test_a_records_page_counts_up_to_the_cap_and_pages_in_the_database(client, org, settings):
    """A red check of a large organisation has many records: the page counts at most the
    cap ("30+") and reads only the rows it shows."""
    settings.SALESOPS = {**settings.SALESOPS, "LIST_COUNT_CAP": 30, "PAGE_SIZE": 25}
    leads = LeadFactory.create_batch(40, owner=org.rep_a)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(
        progressed_at="2000-01-01T00:00Z"
    )
    client.force_login(org.director)
    page = client.get("/diagnosis/sleeping_leads/")
    body = page.content.decode()
    assert body.count('data-testid="record-row"') == 25
    assert page.context["page_obj"].paginator.count_display == "30+"
    assert "1–25 of 30+" in " ".join(body.split())
    second = client.get("/diagnosis/sleeping_leads/?page=2").content.decode()
    assert second.count('data-testid="record-row"') == 5  # to the cap, not the 40
