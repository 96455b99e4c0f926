"""Settings · App templates, the API and ``salesops template``: who may, download,
upload → preview → apply, industry templates, refusals that write nothing."""

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from salesops.activities.models import ResultTag
from salesops.customers.tests.test_api import API, token_client
from salesops.customization.models import CustomFieldDefinition, FormLayout
from salesops.exchange import industry
from salesops.exchange.appconfig import engine

pytestmark = pytest.mark.django_db


def template(**sections) -> dict:
    return {"format": engine.FORMAT, "version": engine.VERSION, "name": "t", "sections": sections}


NEW_TAG = {"code": "visited_plant", "label_zh": "已参观工厂", "label_en": "Plant visited"}
DANGLING = {
    "entity": "account",
    "name": "quick",
    "fields": [{"field": "name", "required": True}, {"field": "custom.ghost"}],
}


def upload(client, data, name="t.json"):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(
        reverse("exchange:app_template"), {"file": SimpleUploadedFile(name, raw)}, follow=False
    )


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "finance"])
def test_only_admins_and_directors_may(client, org, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("exchange:app_template")).status_code == 403
    assert client.get(reverse("exchange:app_template_export")).status_code == 403
    assert client.get(reverse("exchange:industry_templates")).status_code == 403
    response = client.post(
        reverse("exchange:app_template_apply"),
        {"payload": json.dumps(template(result_tags=[NEW_TAG]))},
    )
    assert response.status_code == 403
    assert not ResultTag.objects.filter(code="visited_plant").exists()


def test_download_is_the_export_with_a_dated_name(client, org):
    client.force_login(org.director)
    page = client.get(reverse("exchange:app_template"))
    assert page.status_code == 200 and b"export-app-template" in page.content
    response = client.get(reverse("exchange:app_template_export"), {"name": "总部"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="salesops-template-')
    assert response["Content-Disposition"].endswith('.json"')
    assert response.content.decode() == engine.dumps(engine.export_config(name="总部"))


def test_upload_preview_then_apply(client, org):
    client.force_login(org.admin)
    response = upload(client, template(result_tags=[NEW_TAG]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "visited_plant" in body and "apply-app-template" in body
    assert not ResultTag.objects.filter(code="visited_plant").exists()  # preview writes nothing

    payload = response.context["payload"]
    done = client.post(reverse("exchange:app_template_apply"), {"payload": payload, "source": "t"})
    assert done.status_code == 302
    assert ResultTag.objects.get(code="visited_plant").label_en == "Plant visited"

    again = upload(client, template(result_tags=[NEW_TAG]))
    assert b"nothing-to-apply" in again.content and b"apply-app-template" not in again.content


def test_dangling_reference_is_shown_and_apply_refuses(client, org):
    client.force_login(org.admin)
    data = template(result_tags=[NEW_TAG], form_layouts=[DANGLING])
    response = upload(client, data)
    assert response.status_code == 400
    assert "account.ghost" in response.content.decode()
    assert b"apply-app-template" not in response.content
    forced = client.post(reverse("exchange:app_template_apply"), {"payload": json.dumps(data)})
    assert forced.status_code == 400 and "account.ghost" in forced.content.decode()
    assert not ResultTag.objects.filter(code="visited_plant").exists()
    assert not FormLayout.objects.exists()


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"\x89PNG\r\n\x1a\n", "not UTF-8"),
        (b"name,stage\nA,B\n", "not valid JSON"),
        (b'{"format": "salesops-app-template", "version": 2, "sections": {}}', "version 2"),
    ],
)
def test_not_a_template_upload_is_a_clear_400(client, org, raw, expected):
    client.force_login(org.admin)
    response = upload(client, raw)
    assert response.status_code == 400
    assert expected in response.content.decode()


def test_industry_templates_list_and_preview(client, org, tmp_path, monkeypatch):
    (tmp_path / "saas.json").write_text(
        json.dumps({**template(result_tags=[NEW_TAG]), "name": "SaaS 软件", "description": "订阅"}),
        encoding="utf-8",
    )
    monkeypatch.setattr(industry, "DIRECTORY", tmp_path)
    client.force_login(org.admin)
    listing = client.get(reverse("exchange:industry_templates"))
    assert listing.status_code == 200
    assert "SaaS 软件" in listing.content.decode() and "订阅" in listing.content.decode()
    preview = client.get(reverse("exchange:industry_templates"), {"template": "saas"})
    assert preview.status_code == 200 and "visited_plant" in preview.content.decode()
    missing = client.get(reverse("exchange:industry_templates"), {"template": "../secrets"})
    assert missing.status_code == 404


# --- API -----------------------------------------------------------------------------------


def test_api_export_preview_apply(org):
    admin = token_client(org.admin)
    exported = admin.get(f"{API}/app-templates/export")
    assert exported.status_code == 200
    assert exported.content.decode() == engine.dumps(engine.export_config())

    body = json.dumps(template(result_tags=[NEW_TAG]))
    preview = admin.post(f"{API}/app-templates/preview", body, content_type="application/json")
    assert preview.status_code == 200
    assert preview.json()["sections"]["result_tags"]["create"] == ["visited_plant"]
    applied = admin.post(f"{API}/app-templates/apply", body, content_type="application/json")
    assert applied.status_code == 200
    assert applied.json()["sections"]["result_tags"]["created"] == 1
    twice = admin.post(f"{API}/app-templates/apply", body, content_type="application/json")
    assert twice.json()["sections"]["result_tags"] == {"created": 0, "changed": 0, "unchanged": 1}


def test_api_refusals_are_4xx_and_write_nothing(org):
    admin = token_client(org.admin)
    bad = admin.post(f"{API}/app-templates/apply", "not json", content_type="application/json")
    assert bad.status_code == 422 and "not valid JSON" in bad.content.decode()
    data = json.dumps(template(result_tags=[NEW_TAG], form_layouts=[DANGLING]))
    refused = admin.post(f"{API}/app-templates/apply", data, content_type="application/json")
    assert refused.status_code == 422 and "account.ghost" in refused.content.decode()
    assert not ResultTag.objects.filter(code="visited_plant").exists()
    rep = token_client(org.rep_a)
    assert rep.get(f"{API}/app-templates/export").status_code == 403


# --- CLI -----------------------------------------------------------------------------------


def test_cli_export_then_import_dry_run_and_yes(org, tmp_path):
    path = tmp_path / "out.json"
    call_command("template", "export", "-o", str(path), "--name", "工厂", stdout=StringIO())
    assert path.read_text(encoding="utf-8") == engine.dumps(engine.export_config(name="工厂"))

    file = tmp_path / "in.json"
    file.write_text(
        json.dumps(
            template(
                custom_fields=[
                    {"entity": "account", "key": "budget", "type": "money", "label_zh": "预算"}
                ]
            )
        ),
        encoding="utf-8",
    )
    out = StringIO()
    call_command("template", "import", str(file), "--dry-run", stdout=out)
    assert "create: account.budget" in out.getvalue() and "Dry run" in out.getvalue()
    assert not CustomFieldDefinition.objects.exists()

    out = StringIO()
    call_command("template", "import", str(file), "--yes", stdout=out)
    assert "1 created" in out.getvalue()
    field = CustomFieldDefinition.objects.get(key="budget")
    assert field.history.first().history_user == org.admin

    out = StringIO()
    call_command("template", "import", str(file), "--yes", stdout=out)
    assert "Nothing to change" in out.getvalue()
    assert field.history.count() == 1


def test_cli_refuses_a_dangling_reference_by_name(org, tmp_path):
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(template(form_layouts=[DANGLING])), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("template", "import", str(file), "--yes", stdout=StringIO())
    assert "account.ghost" in str(exc.value)
    assert not FormLayout.objects.exists()
    file.write_text("<xml/>", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("template", "import", str(file), "--yes", stdout=StringIO())
