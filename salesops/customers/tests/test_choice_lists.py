"""Industry, company size, level and decision role are editable lists (issue 13, item 3):
forms offer the active options by label, the API accepts only active codes and names the
field and the allowed codes, a stored code keeps showing its label when deactivated."""

from django.urls import reverse

from salesops.core import choices
from salesops.core.models import Choice
from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account, make_contact
from salesops.customers.tests.test_api import assert_error, patch, post, state, token_client


def deactivate(key: str, code: str) -> None:
    choice = Choice.objects.get(choice_list__key=key, code=code)
    choice.is_active = False
    choice.save()


def test_the_api_refuses_a_code_not_in_the_list_naming_the_field_and_codes(org):
    client = token_client(org.rep_a)
    before = state()
    body = assert_error(
        post(client, "/accounts", {"name": "Bad Industry Co", "industry": "mining"}),
        422,
        "validation_error",
        "industry",
    )
    assert "mining" in body["message"] and "manufacturing" in body["message"]
    assert state() == before


def test_a_deactivated_code_is_refused_for_new_records_but_kept_on_old_ones(org):
    account = make_account(org.rep_a, industry="software")
    deactivate("industry", "software")
    client = token_client(org.rep_a)
    assert_error(
        post(client, "/accounts", {"name": "New Soft Co", "industry": "software"}),
        422,
        "validation_error",
        "industry",
    )
    # the old record keeps its code through an unrelated change, and shows its label
    response = patch(client, f"/accounts/{account.pk}", {"city": "苏州"})
    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.industry == "software"
    assert account.get_industry_display() == "Software & internet"


def test_a_new_option_is_offered_by_label_and_accepted(client, org):
    industry = choices.lists().get(key="industry")
    Choice.objects.create(
        choice_list=industry, code="agri", label_en="Agriculture", label_zh="农业", order=1
    )
    deactivate("industry", "energy")
    client.force_login(org.rep_a)
    html = client.get(reverse("customers:account_create")).content.decode()
    assert '<option value="agri">Agriculture</option>' in html
    assert 'value="energy"' not in html
    api = token_client(org.rep_a)
    response = post(api, "/accounts", {"name": "Farm Co", "industry": "agri", "level": "A"})
    assert response.status_code == 201, response.content
    account = Account.objects.get(name="Farm Co")
    page = client.get(account.get_absolute_url()).content.decode()
    assert "Agriculture" in page


def test_a_renamed_label_shows_on_the_contact_and_in_the_chosen_language(client, org):
    contact = make_contact(make_account(org.rep_a), decision_role="signatory")
    choice = Choice.objects.get(code="signatory", choice_list__key="decision_role")
    choice.label_en = "Signs the contract"
    choice.save()
    client.force_login(org.rep_a)
    assert "Signs the contract" in client.get(contact.get_absolute_url()).content.decode()
    assert choices.label(choices.DECISION_ROLE, "signatory", "zh-hans") == "签约人"


def test_the_change_log_shows_list_labels(org):
    from salesops.core.history import history_entries
    from salesops.customers import services

    account = make_account(org.rep_a, industry="software")
    services.account_update(actor=org.rep_a, account=account, industry="finance")
    change = history_entries(account)[0]["changes"][0]
    assert (change["field"], change["old"], change["new"]) == (
        "industry",
        "Software & internet",
        "Finance",
    )
