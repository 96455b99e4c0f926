"""The import pages as admin, manager and rep: upload → columns → check → report →
commit; a refused file writes nothing; another user's import is a 404, an entity the
user may not import a 403; the progress bar polls until the worker is done; the
templates and Settings · Import and export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesops.customers.models import Account
from salesops.exchange.models import ExchangePolicy, ImportJob, JobState
from salesops.exchange.tests.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db

HEADERS = ["公司名称", "城市", "负责人"]
ROWS = [
    ["上海甲乙机械有限公司", "上海", "rep_a"],
    ["苏州丙丁电子有限公司", "苏州", "nobody"],
    ["杭州戊己软件有限公司", "杭州", "rep_a"],
]


def upload(client, rows=ROWS, entity="account", name="accounts.xlsx", data=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = xlsx_bytes(HEADERS, rows) if data is None else data
    return client.post(
        reverse("exchange:upload"),
        {"entity": entity, "file": SimpleUploadedFile(name, data)},
    )


def confirm_and_check(client, job):
    mapping = {f"col_{i}": key for i, key in job.mapping.items()}
    response = client.post(reverse("exchange:job_mapping", args=[job.pk]), mapping)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("exchange:job_check", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def test_admin_uploads_checks_reads_the_report_and_commits(client, org):
    client.force_login(org.admin)
    home = client.get(reverse("exchange:home"))
    assert home.status_code == 200
    html = home.content.decode()
    assert 'data-entity="account"' in html and 'accept=".xlsx,.xls,.csv"' in html
    assert reverse("exchange:template", args=["account"]) in html
    assert reverse("exchange:template_data", args=["account"]) in html

    response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "exchange:job", args=[job.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-testid="mapping-row"') == 3
    assert '<option value="name" selected>' in page and '<option value="owner" selected>' in page

    job = confirm_and_check(client, job)
    assert job.state == JobState.CHECKED and job.counts["create"] == 2
    assert job.counts["error"] == 1
    assert not Account.objects.exists()
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert page.count('data-testid="report-row"') == 3
    assert 'data-row="3" data-status="error"' in page and "nobody" in page
    assert "Import 2 good rows" in page
    errors_only = client.get(reverse("exchange:job", args=[job.pk]), {"status": "error"})
    assert [r["row"].row_no for r in errors_only.context["report"]] == [3]
    assert errors_only.context["report"][0]["problems"][0]["field"] == "owner"

    report = client.get(reverse("exchange:job_report", args=[job.pk]))
    assert report.status_code == 200 and report["Content-Type"].startswith("application/")

    response = client.post(reverse("exchange:job_commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "上海甲乙机械有限公司",
        "杭州戊己软件有限公司",
    ]
    done = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert 'data-testid="commit"' not in done and 'data-testid="mapping-form"' not in done


def test_a_refused_file_shows_the_reason_and_writes_nothing(client, org):
    client.force_login(org.admin)
    response = upload(client, data=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="logo.xlsx")
    assert response.status_code == 422
    assert "logo.xlsx" in response.content.decode()
    assert 'data-testid="upload-error"' in response.content.decode()
    assert not ImportJob.objects.exists()
    missing = client.post(reverse("exchange:upload"), {"entity": "account"})
    assert missing.status_code == 422 and "Choose an Excel" in missing.content.decode()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, org):
    ExchangePolicy.objects.create(max_file_mb=1)
    client.force_login(org.admin)
    response = upload(client, data=b"a,b\n" + b"1,2\n" * 300_000, name="big.csv")
    assert response.status_code == 422
    assert "big.csv" in response.content.decode() and "1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_error_names_the_column_and_keeps_the_choice(client, org):
    client.force_login(org.admin)
    upload(client)
    job = ImportJob.objects.get()
    before = dict(job.mapping)
    response = client.post(
        reverse("exchange:job_mapping", args=[job.pk]),
        {"col_0": "name", "col_1": "name", "col_2": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="mapping-errors"' in html and "“城市”" in html  # column B named
    assert html.count('<option value="name" selected>') == 2  # the user's choice is kept
    job.refresh_from_db()
    assert job.mapping == before and before["0"] == "name"  # nothing saved


def test_check_before_the_columns_are_confirmed_is_refused_with_a_message(client, org):
    client.force_login(org.admin)
    # No column for the company name (required): the columns wait for the user.
    upload(client, data=xlsx_bytes(["城市", "负责人"], [["上海", "rep_a"]]))
    job = ImportJob.objects.get()
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert 'data-testid="check"' not in page and not job.mapping_confirmed
    response = client.post(reverse("exchange:job_check", args=[job.pk]), follow=True)
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.state == JobState.UPLOADED and not job.rows.exists()
    assert list(response.context["messages"])


def test_a_manager_imports_accounts_but_not_another_users_job(client, org):
    client.force_login(org.manager_east)
    assert upload(client).status_code == 302
    job = ImportJob.objects.get()
    assert client.get(reverse("exchange:job", args=[job.pk])).status_code == 200

    client.force_login(org.manager_south)
    for name in ("exchange:job", "exchange:job_progress", "exchange:job_report"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    for name in ("exchange:job_mapping", "exchange:job_check", "exchange:job_commit"):
        assert client.post(reverse(name, args=[job.pk])).status_code == 404
    listing = client.get(reverse("exchange:home"))
    assert listing.context["page_obj"].paginator.count == 0

    client.force_login(org.admin)  # a configurer sees every import
    assert client.get(reverse("exchange:job", args=[job.pk])).status_code == 200
    assert client.get(reverse("exchange:home")).context["page_obj"].paginator.count == 1


def test_a_rep_may_not_import_accounts(client, org):
    client.force_login(org.rep_a)
    assert upload(client).status_code == 403
    assert client.get(reverse("exchange:template", args=["account"])).status_code == 403
    assert client.get(reverse("exchange:template_data", args=["account"])).status_code == 403
    assert client.get(reverse("exchange:template", args=["nothing"])).status_code == 404
    home = client.get(reverse("exchange:home"))
    assert "account" not in [e["entity"] for e in home.context["entities"]]
    assert not ImportJob.objects.exists()


def test_templates_download_for_who_may_import(client, org):
    client.force_login(org.manager_east)
    for name in ("exchange:template", "exchange:template_data"):
        response = client.get(reverse(name, args=["account"]))
        assert response.status_code == 200
        assert ".xlsx" in response["Content-Disposition"]


def test_the_home_list_searches_by_file_name_and_filters_by_entity(client, org):
    client.force_login(org.admin)
    upload(client, name="east accounts.xlsx")
    upload(client, name="south.xlsx")
    home = reverse("exchange:home")
    found = client.get(home, {"q": "EAST"}).context["rows"]
    assert [r["job"].filename for r in found] == ["east accounts.xlsx"]
    assert len(client.get(home, {"entity": "account"}).context["rows"]) == 2
    assert client.get(home, {"entity": "contact"}).context["rows"] == []


def test_the_progress_bar_polls_while_running_and_reloads_when_done(client, org):
    client.force_login(org.admin)
    upload(client)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.CHECKING, progress=40)
    url = reverse("exchange:job_progress", args=[job.pk])
    running = client.get(url, headers={"HX-Request": "true"})
    html = running.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'data-width="40"' in html
    assert "HX-Refresh" not in running
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert 'hx-get="' + url + '"' in page and "style=" not in page
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.CHECKED, progress=100)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()


def test_settings_page_saves_for_configurers_only(client, org):
    url = reverse("exchange:policy")
    client.force_login(org.manager_east)
    assert client.get(url).status_code == 403
    client.force_login(org.admin)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"max_file_mb": "0", "max_rows": "x", "dual_track_days": "61"})
    assert bad.status_code == 422 and bad.context["form"].errors.keys() == {
        "max_file_mb",
        "max_rows",
    }
    assert not ExchangePolicy.objects.exists()
    good = client.post(url, {"max_file_mb": "5", "max_rows": "1000", "dual_track_days": "30"})
    assert good.status_code == 302
    policy = ExchangePolicy.current()
    assert (policy.max_file_mb, policy.max_rows, policy.dual_track_days) == (5, 1000, 30)


def test_the_menu_offers_import_to_importers_and_settings_to_configurers(client, org):
    client.force_login(org.manager_east)
    html = client.get(reverse("exchange:home")).content.decode()
    assert f'href="{reverse("exchange:home")}"' in html
    assert f'href="{reverse("exchange:policy")}"' not in html
    client.force_login(org.admin)
    html = client.get(reverse("exchange:home")).content.decode()
    assert f'href="{reverse("exchange:policy")}"' in html


def test_a_fuzzy_column_is_preselected_flagged_and_confirmed_by_saving(client, org):
    client.force_login(org.admin)
    upload(client, data=xlsx_bytes(["公司名称（全称）", "负责人"], [["上海甲乙机械", "rep_a"]]))
    job = ImportJob.objects.get()
    assert job.suggested["0"]["how"] == "fuzzy" and not job.mapping_confirmed
    page = client.get(reverse("exchange:job", args=[job.pk]))
    first = page.context["mapping_rows"][0]
    assert first["field"] == "name" and first["confirm"] is True
    html = page.content.decode()
    assert html.count('data-testid="confirm-flag"') == 1 and 'data-testid="check"' not in html
    response = client.post(
        reverse("exchange:job_mapping", args=[job.pk]), {"col_0": "name", "col_1": "owner"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping_confirmed and job.mapping == {"0": "name", "1": "owner"}
    html = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert 'data-testid="confirm-flag"' not in html and 'data-testid="check"' in html


def test_commit_before_a_check_is_refused_and_a_failed_run_shows_its_reason(client, org):
    client.force_login(org.admin)
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(reverse("exchange:job_commit", args=[job.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Check the file first, then import it."
    ]
    assert not Account.objects.exists() and not job.rows.exists()
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="The disk is full.")
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert 'data-testid="job-error"' in page and "The disk is full." in page
    assert 'hx-trigger="every 1s"' not in page
