"""An admin uploads an app template with a dangling reference, reads which one, uploads
the fixed file, sees what it would create, applies it; the same file again changes
nothing."""

import json

from django.urls import reverse
from playwright.sync_api import expect

from salesops.activities.models import ResultTag
from salesops.customization.models import CustomFieldDefinition
from salesops.exchange.appconfig import engine
from tests.e2e.conftest import login

TAG = {"code": "visited_plant", "label_zh": "已参观工厂", "label_en": "Plant visited"}
LAYOUT = {
    "entity": "account",
    "name": "quick",
    "fields": [{"field": "name", "required": True}, {"field": "custom.budget"}],
}
FIELD = {"entity": "account", "key": "budget", "type": "money", "label_zh": "预算"}


def _file(tmp_path, name, **sections):
    path = tmp_path / name
    data = {
        "format": engine.FORMAT,
        "version": engine.VERSION,
        "name": "工厂",
        "sections": sections,
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_admin_fixes_a_template_and_applies_it(desktop_page, org, tmp_path):
    page = desktop_page
    login(page, "admin", org.password)
    page.goto(reverse("exchange:app_template"))

    page.set_input_files(
        "input[name=file]", _file(tmp_path, "bad.json", result_tags=[TAG], form_layouts=[LAYOUT])
    )
    page.click("[data-testid=preview-app-template]")
    expect(page.locator("[data-testid=app-template-errors]")).to_contain_text("account.budget")
    expect(page.locator("[data-testid=apply-app-template]")).to_have_count(0)
    assert not ResultTag.objects.filter(code="visited_plant").exists()

    page.goto(reverse("exchange:app_template"))
    good = _file(
        tmp_path, "good.json", result_tags=[TAG], form_layouts=[LAYOUT], custom_fields=[FIELD]
    )
    page.set_input_files("input[name=file]", good)
    page.click("[data-testid=preview-app-template]")
    expect(page.locator("tr[data-section=custom_fields]")).to_contain_text("account.budget")
    expect(page.locator("tr[data-section=result_tags]")).to_contain_text("visited_plant")
    page.click("[data-testid=apply-app-template]")
    page.wait_for_url("**/app-templates/")
    expect(page.locator(".alert-success")).to_be_visible()
    assert ResultTag.objects.get(code="visited_plant").label_zh == "已参观工厂"
    assert CustomFieldDefinition.objects.filter(key="budget").exists()

    page.set_input_files("input[name=file]", good)
    page.click("[data-testid=preview-app-template]")
    expect(page.locator("[data-testid=nothing-to-apply]")).to_be_visible()
