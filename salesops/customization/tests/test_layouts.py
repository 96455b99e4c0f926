"""Form layouts: validation on save, and the order / fields / required flags they give
the account and contact forms."""

import pytest
from django.core.exceptions import ValidationError

from salesops.customers.forms import AccountForm, ContactForm
from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account
from salesops.customization import services

from .factories import FormLayoutFactory


def save(org, fields, entity="account", name="default"):
    return FormLayoutFactory(actor=org.admin, entity=entity, name=name, fields=fields)


def layout_errors(org, fields, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        save(org, fields, **kwargs)
    return exc.value.message_dict["fields"]


def test_layout_is_saved_normalised_with_history(org, define):
    define("budget", "money")
    layout = save(org, ["name", {"field": "custom.budget", "required": 1}])
    assert layout.fields == [
        {"field": "name", "required": False},
        {"field": "custom.budget", "required": True},
    ]
    layout = save(org, ["name", "city"])  # saving again replaces it
    assert layout.field_names == ["name", "city"]
    assert layout.history.count() == 2


def test_layout_refuses_unknown_duplicate_and_missing_required_fields(org, define):
    define("budget", "money", required=True)
    old = define("legacy", "text")
    services.definition_deactivate(actor=org.admin, definition=old)
    problems = layout_errors(org, ["name", "name", "shoe_size", "custom.legacy"])
    text = " ".join(problems)
    assert "listed twice" in text
    assert "“shoe_size” is not a field" in text
    assert "“custom.legacy” is not a field" in text
    assert "must stay on the form: Budget" in text
    problems = layout_errors(org, ["city"])
    assert "Company name" in " ".join(problems)
    problems = layout_errors(org, ["name"], entity="contact")
    assert "Account" in " ".join(problems)


def test_layout_name_must_be_a_slug_and_entity_known(org):
    with pytest.raises(ValidationError) as exc:
        save(org, ["name"], name="quick entry!")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        save(org, ["name"], entity="spaceship")
    assert "entity" in exc.value.message_dict


def test_form_follows_the_default_layout(org, define):
    define("budget", "money")
    define("temp", "choice")
    save(org, [{"field": "custom.budget", "required": True}, "name", "city"])
    form = AccountForm(user=org.manager_east)
    assert list(form.fields) == ["custom.budget", "name", "city"]
    assert form.fields["custom.budget"].service_required
    assert form.layout.name == "default"


def test_layout_required_fields_are_enforced_with_the_other_errors(client, org, define):
    define("budget", "money", label_en="Budget")
    save(
        org,
        ["name", {"field": "city", "required": True}, {"field": "custom.budget", "required": True}],
    )
    client.force_login(org.rep_a)
    response = client.post("/customers/accounts/new/", {"name": ""})
    html = response.content.decode()
    assert 'data-testid="layout-default"' in html
    for name in ("name", "city", "custom.budget"):
        assert f'data-testid="error-{name}"' in html
    assert not Account.objects.exists()
    response = client.post(
        "/customers/accounts/new/", {"name": "Layout Co", "city": "成都市", "custom.budget": "5"}
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert (account.city, account.level, account.custom) == ("成都市", "C", {"budget": "5.00"})


def test_a_named_layout_is_chosen_with_the_layout_parameter(client, org, define):
    define("temp", "choice")
    save(org, ["name", "custom.temp"], name="quick_entry")
    client.force_login(org.rep_a)
    html = client.get("/customers/accounts/new/?layout=quick_entry").content.decode()
    assert 'data-testid="layout-quick_entry"' in html
    assert 'name="credit_code"' not in html
    normal = client.get("/customers/accounts/new/").content.decode()
    assert 'name="credit_code"' in normal  # no default layout: the full form
    response = client.post(
        "/customers/accounts/new/?layout=quick_entry", {"name": "Quick Co", "custom.temp": "hot"}
    )
    assert response.status_code == 302
    assert Account.objects.get().custom == {"temp": "hot"}


def test_editing_through_a_short_layout_keeps_the_hidden_values(client, org, define):
    define("budget", "money")
    define("temp", "choice")
    account = make_account(org.rep_a, industry="software", custom={"budget": "10", "temp": "cold"})
    save(org, ["name", "custom.temp"])
    client.force_login(org.rep_a)
    response = client.post(
        f"/customers/accounts/{account.pk}/edit/", {"name": "Renamed", "custom.temp": "hot"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed" and account.industry == "software"
    assert account.custom == {"budget": "10.00", "temp": "hot"}


def test_fields_that_became_required_are_added_to_an_older_layout(org, define):
    save(org, ["name", "city"])
    define("budget", "money", required=True)
    form = AccountForm(user=org.rep_a)
    assert list(form.fields) == ["name", "city", "custom.budget"]


def test_contact_form_layout(org, define):
    define("hobby", "text", entity="contact")
    save(org, ["name", "account", "custom.hobby"], entity="contact")
    form = ContactForm(user=org.rep_a)
    assert list(form.fields) == ["name", "account", "custom.hobby"]
