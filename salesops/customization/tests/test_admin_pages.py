"""The settings pages for custom fields and form layouts, and the Django admin."""

import pytest

from salesops.customers.tests.factories import make_account
from salesops.customization.models import CustomFieldDefinition, FormLayout

PAGES = [
    ("get", "/settings/custom-fields/"),
    ("get", "/settings/custom-fields/new/?entity=account"),
    ("get", "/settings/custom-fields/{pk}/edit/"),
    ("post", "/settings/custom-fields/{pk}/toggle/"),
    ("get", "/settings/forms/?entity=account&name=quick_entry"),
    ("get", "/settings/forms/account/default/"),
    ("post", "/settings/forms/account/default/"),
    ("post", "/settings/forms/account/default/preview/"),
    ("post", "/settings/forms/account/default/delete/"),
]


@pytest.mark.parametrize("role", ["rep_a", "manager_east", "director", "finance", "cs"])
@pytest.mark.parametrize("method, url", PAGES)
def test_only_admins_may_open_the_settings_pages(client, org, define, role, method, url):
    d = define("budget", "money")
    client.force_login(getattr(org, role))
    response = getattr(client, method)(url.format(pk=d.pk))
    assert response.status_code == 403
    assert CustomFieldDefinition.objects.get().active


def test_anonymous_users_are_sent_to_log_in(client, org):
    response = client.get("/settings/custom-fields/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_menu_entry_only_for_admins(client, org):
    client.force_login(org.admin)
    assert "/settings/custom-fields/" in client.get("/customers/accounts/").content.decode()
    client.force_login(org.director)
    assert "/settings/custom-fields/" not in client.get("/customers/accounts/").content.decode()


def test_admin_lists_fields_per_entity(client, org, define):
    define("budget", "money", label_en="Budget")
    define("hobby", "text", entity="contact", label_en="Hobby")
    client.force_login(org.admin)
    html = client.get("/settings/custom-fields/").content.decode()
    assert 'data-key="budget"' in html and 'data-key="hobby"' not in html
    html = client.get("/settings/custom-fields/?entity=contact").content.decode()
    assert 'data-key="hobby"' in html
    assert client.get("/settings/custom-fields/?entity=spaceship").status_code == 404


def test_admin_creates_a_choice_field_from_the_page(client, org):
    client.force_login(org.admin)
    assert client.get("/settings/custom-fields/new/?entity=account").status_code == 200
    response = client.post(
        "/settings/custom-fields/new/?entity=account",
        {
            "entity": "account",
            "key": "temp",
            "label_zh": "温度",
            "label_en": "Temperature",
            "type": "choice",
            "choices": "hot | 热\nwarm\n\n cold | 冷 ",
            "default": "warm",
            "show_in_list": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/settings/custom-fields/?entity=account")
    d = CustomFieldDefinition.objects.get()
    assert d.choices == [
        {"value": "hot", "label": "热"},
        {"value": "warm", "label": "warm"},
        {"value": "cold", "label": "冷"},
    ]
    assert (d.default, d.show_in_list, d.created_by) == ("warm", True, org.admin)


def test_admin_sees_every_problem_on_the_page(client, org, define):
    define("budget", "money")
    client.force_login(org.admin)
    response = client.post(
        "/settings/custom-fields/new/",
        {"entity": "account", "key": "budget", "type": "multi_choice", "default": "x"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("key", "label_zh", "choices"):
        assert f'data-testid="error-{name}"' in html
    assert CustomFieldDefinition.objects.count() == 1


def test_admin_edits_a_field_but_not_its_key(client, org, define):
    d = define("remark", "text", label_en="Remark")
    client.force_login(org.admin)
    html = client.get(f"/settings/custom-fields/{d.pk}/edit/").content.decode()
    assert 'value="long_text"' in html and 'value="number"' not in html  # compatible types only
    response = client.post(
        f"/settings/custom-fields/{d.pk}/edit/",
        {"key": "changed", "label_en": "Remarks", "type": "long_text", "order": "5"},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.key, d.label_en, d.type, d.order) == ("remark", "Remarks", "long_text", 5)


def test_admin_switches_a_field_off_and_on(client, org, define):
    d = define("budget", "money")
    client.force_login(org.admin)
    client.post(f"/settings/custom-fields/{d.pk}/toggle/")
    d.refresh_from_db()
    assert not d.active
    client.post(f"/settings/custom-fields/{d.pk}/toggle/")
    d.refresh_from_db()
    assert d.active
    assert client.get(f"/settings/custom-fields/{d.pk}/toggle/").status_code == 405


def test_admin_edits_a_layout_with_order_required_and_preview(client, org, define):
    define("budget", "money", label_en="Budget")
    client.force_login(org.admin)
    response = client.get("/settings/forms/?entity=account&name=Quick Entry")
    assert response["Location"].endswith("/settings/forms/account/quick_entry/")
    html = client.get("/settings/forms/account/quick_entry/").content.decode()
    assert 'data-field="custom.budget"' in html and "saving creates it" in html
    post = {
        "field": ["custom.budget", "name", "city", "industry"],
        "show": ["custom.budget", "name", "city"],
        "required": ["custom.budget"],
    }
    preview = client.post("/settings/forms/account/quick_entry/preview/", post).content.decode()
    order = [preview.index(f'data-field="{n}"') for n in ("custom.budget", "name", "city")]
    assert order == sorted(order) and 'data-field="industry"' not in preview
    assert "disabled" in preview
    response = client.post("/settings/forms/account/quick_entry/", post)
    assert response.status_code == 302
    layout = FormLayout.objects.get(entity="account", name="quick_entry")
    assert layout.fields == [
        {"field": "custom.budget", "required": True},
        {"field": "name", "required": False},
        {"field": "city", "required": False},
    ]
    listing = client.get("/settings/custom-fields/?entity=account").content.decode()
    assert 'data-testid="layout-quick_entry"' in listing
    editor = client.get("/settings/forms/account/quick_entry/").content.decode()
    rows = [editor.index(f'<tr data-field="{n}"') for n in ("custom.budget", "name", "city")]
    assert rows == sorted(rows)
    assert 'name="required" value="custom.budget" checked' in editor
    assert 'name="required" value="name" checked' not in editor
    # Leaving out an always-required field is refused with the reason, nothing saved.
    response = client.post(
        "/settings/forms/account/quick_entry/", {"field": ["city"], "show": ["city"]}
    )
    assert "must stay on the form" in response.content.decode()
    assert FormLayout.objects.get().field_names == ["custom.budget", "name", "city"]
    client.post("/settings/forms/account/quick_entry/delete/")
    assert not FormLayout.objects.exists()


def test_django_admin_validates_like_the_services(client, org):
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save()
    client.force_login(org.admin)
    assert client.get("/admin/customization/customfielddefinition/").status_code == 200
    response = client.post(
        "/admin/customization/customfielddefinition/add/",
        {
            "entity": "account",
            "key": "name",
            "label_en": "Clash",
            "type": "text",
            "order": "0",
            "choices": "[]",
            "default": "null",
        },
    )
    assert response.status_code == 200
    assert "built-in field" in response.content.decode()
    assert not CustomFieldDefinition.objects.exists()
    assert client.get("/admin/customization/formlayout/add/").status_code == 200
    account = make_account(org.rep_a, custom={})
    page = client.get(f"/admin/customers/account/{account.pk}/change/")
    assert page.status_code == 200 and 'name="custom"' not in page.content.decode()
