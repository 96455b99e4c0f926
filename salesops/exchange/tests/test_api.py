"""The imports API with a personal token as admin, manager and rep: upload (201), map,
check, read the rows, commit; a bad file is a 400 naming ``file`` with nothing written;
an entity the user may not import 403; another user's job 404; templates."""

from __future__ import annotations

import pytest

from salesops.core.tests.visibility_matrix import api_client
from salesops.customers.models import Account
from salesops.exchange.models import ImportJob
from salesops.exchange.tests.helpers import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
API = "/api/v1/imports"
HEADERS = ["公司名称", "城市", "负责人"]
ROWS = [
    ["上海甲乙机械有限公司", "上海", "rep_a"],
    ["苏州丙丁电子有限公司", "苏州", "nobody"],
]


def post_file(client, data=None, name="accounts.xlsx", entity="account"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = xlsx_bytes(HEADERS, ROWS) if data is None else data
    return client.post(API, {"entity": entity, "file": SimpleUploadedFile(name, data)})


def put_json(client, url, body):
    return client.put(url, data=body, content_type="application/json")


def test_upload_map_check_rows_commit(org):
    client = api_client(org.admin)
    response = post_file(client)
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["entity"] == "account" and job["headers"] == HEADERS
    assert job["row_count"] == 2 and job["state"] == "uploaded"

    response = put_json(client, f"{API}/{job['id']}/mapping", {"mapping": job["mapping"]})
    assert response.status_code == 200, response.content
    assert response.json()["mapping_confirmed"] is True

    response = client.post(f"{API}/{job['id']}/check")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "checked"
    assert response.json()["counts"]["create"] == 1

    rows = client.get(f"{API}/{job['id']}/rows", {"status": "error"}).json()
    assert rows["count"] == 1
    bad = rows["results"][0]
    assert bad["row_no"] == 3 and bad["errors"][0]["field"] == "owner"
    assert "nobody" in bad["errors"][0]["message"] and bad["values"][2] == "nobody"
    assert client.get(f"{API}/{job['id']}/rows", {"status": "nope"}).status_code == 422

    response = client.post(f"{API}/{job['id']}/commit")
    assert response.status_code == 202 and response.json()["state"] == "done"
    assert list(Account.objects.values_list("name", flat=True)) == ["上海甲乙机械有限公司"]
    listing = client.get(API, {"entity": "account"}).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == job["id"]


def test_a_csv_in_gb18030_uploads(org):
    client = api_client(org.admin)
    response = post_file(client, csv_bytes(HEADERS, ROWS, "gb18030"), name="客户.csv")
    assert response.status_code == 201, response.content
    assert response.json()["headers"] == HEADERS


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4\n\x00\x01binary", "contract.pdf"),
        (xlsx_bytes(HEADERS, [])[:200], "broken.xlsx"),
        (b"", "empty.csv"),
    ],
)
def test_a_bad_file_is_a_400_naming_file_and_writes_nothing(org, data, name):
    client = api_client(org.admin)
    response = post_file(client, data, name=name)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "file" and body["message"]
    assert not ImportJob.objects.exists()


def test_a_missing_file_is_a_400(org):
    response = api_client(org.admin).post(API, {"entity": "account"})
    assert response.status_code == 400 and response.json()["field"] == "file"


def test_a_rep_may_not_import_accounts(org):
    client = api_client(org.rep_a)
    assert post_file(client).status_code == 403
    assert client.get(f"{API}/templates/account").status_code == 403
    assert post_file(client, entity="nothing").status_code == 404
    assert not ImportJob.objects.exists()


def test_another_users_job_is_a_404(org):
    job_id = post_file(api_client(org.manager_east)).json()["id"]
    other = api_client(org.manager_south)
    assert other.get(f"{API}/{job_id}").status_code == 404
    assert other.get(f"{API}/{job_id}/rows").status_code == 404
    assert put_json(other, f"{API}/{job_id}/mapping", {"mapping": {}}).status_code == 404
    assert other.post(f"{API}/{job_id}/check").status_code == 404
    assert other.post(f"{API}/{job_id}/commit").status_code == 404
    assert other.get(API).json()["count"] == 0
    admin = api_client(org.admin)
    assert admin.get(f"{API}/{job_id}").status_code == 200
    assert admin.get(API).json()["count"] == 1


def test_check_before_mapping_is_refused_and_a_bad_mapping_names_the_column(org):
    client = api_client(org.admin)
    # No column for the company name (required): the columns wait for the user.
    job_id = post_file(client, xlsx_bytes(["城市", "负责人"], [["上海", "rep_a"]])).json()["id"]
    response = client.post(f"{API}/{job_id}/check")
    assert response.status_code == 422 and response.json()["field"] == "mapping"
    response = put_json(client, f"{API}/{job_id}/mapping", {"mapping": {"0": "name", "1": "name"}})
    assert response.status_code == 422 and "“城市”" in response.json()["message"]
    assert ImportJob.objects.get().mapping_confirmed is False
    response = put_json(client, f"{API}/{job_id}/mapping", {"mapping": {"0": "name"}})
    assert response.status_code == 200 and response.json()["mapping_confirmed"] is True
    assert client.post(f"{API}/{job_id}/check").status_code == 202


def test_templates_download(org):
    client = api_client(org.manager_east)
    empty = client.get(f"{API}/templates/account")
    assert empty.status_code == 200 and ".xlsx" in empty["Content-Disposition"]
    filled = client.get(f"{API}/templates/account", {"with_data": "true"})
    assert filled.status_code == 200
