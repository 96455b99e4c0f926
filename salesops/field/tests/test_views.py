"""The installable app's files and the offline pages."""

import json

from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from salesops.field.models import FieldPolicy, SyncConflict

from .conftest import item, lead_for


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_manifest_and_worker_are_served_at_the_root(db):
    client = Client()
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["short_name"] == "销售运营" and "SalesOps" in manifest["name"]
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert manifest["start_url"] == "/field/"
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("application/javascript")
    assert worker["Cache-Control"] == "no-cache"
    text = worker.content.decode()
    assert "/static/field/field.js" in text and "/field/" in text
    assert "importScripts" not in text  # nothing fetched from a CDN


def test_base_page_links_the_manifest_and_the_badge(org):
    page = logged_in(org.rep_a).get("/field/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert "data-field-status" in html and 'src="/static/field/field.js"' in html
    assert "data-field-anonymous" not in html
    login = Client().get("/login/").content.decode()
    assert "data-field-anonymous" in login


def test_the_offline_forms_are_marked(org):
    client = logged_in(org.rep_a)
    assert 'data-offline="lead.create"' in client.get("/leads/new/").content.decode()
    lead = lead_for(org.rep_a)
    checkin = client.get(f"/activities/check-in/?lead={lead.pk}").content.decode()
    assert 'data-offline="checkin.create"' in checkin


def test_conflict_page_lists_both_values_and_resolves(org):
    from salesops.field import services
    from salesops.leads import services as lead_services

    lead = lead_for(org.rep_a)
    seen = lead.need
    lead_services.lead_update(actor=org.manager_east, lead=lead, need="他们的")
    services.sync_batch(
        actor=org.rep_a,
        items=[
            item(
                "lead.update",
                {"lead": lead.pk, "changes": {"need": {"base": seen, "value": "我的"}}},
            )
        ],
    )
    conflict = SyncConflict.objects.get()
    client = logged_in(org.rep_a)
    html = client.get("/field/conflicts/").content.decode()
    assert "他们的" in html and "我的" in html
    assert "他们的" not in logged_in(org.rep_b).get("/field/conflicts/").content.decode()
    assert (
        logged_in(org.rep_b)
        .post("/field/conflicts/", {"id": conflict.pk, "choice": "mine"})
        .status_code
        == 404
    )
    response = client.post("/field/conflicts/", {"id": conflict.pk, "choice": "theirs"})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == "resolved" and conflict.chosen_value == "他们的"


def test_settings_page_for_admins(org):
    assert logged_in(org.rep_a).get("/field/settings/").status_code == 403
    admin = logged_in(org.admin)
    assert admin.get("/field/settings/").status_code == 200
    bad = admin.post("/field/settings/", {"max_leads": 1, "max_accounts": 300, "max_batch": 500})
    assert bad.status_code == 422
    assert not FieldPolicy.objects.exists()
    good = admin.post("/field/settings/", {"max_leads": 100, "max_accounts": 300, "max_batch": 50})
    assert good.status_code == 302
    assert FieldPolicy.current().max_batch == 50
