"""Custom fields through the account and contact services: merged errors, nothing
half-saved, partial updates, events and history."""

import pytest
from django.core.exceptions import ValidationError

from salesops.core import events
from salesops.customers import services
from salesops.customers.models import Account, Contact
from salesops.customers.tests.factories import make_account, make_contact


def test_values_are_stored_converted(org, define):
    define("budget", "money")
    define("temp", "choice")
    account = make_account(org.rep_a, custom={"budget": "1,200", "temp": "Warm"})
    account.refresh_from_db()
    assert account.custom == {"budget": "1200.00", "temp": "warm"}


def test_custom_errors_join_the_other_field_errors_and_nothing_is_saved(org, define):
    define("budget", "money", required=True)
    define("temp", "choice")
    before = (Account.objects.count(), Account.history.count())
    with pytest.raises(ValidationError) as exc:
        services.account_create(
            actor=org.rep_a, name="", credit_code="123", custom={"temp": "boiling"}
        )
    assert set(exc.value.message_dict) == {"name", "credit_code", "custom.budget", "custom.temp"}
    assert (Account.objects.count(), Account.history.count()) == before


def test_defaults_apply_on_create(org, define):
    define("temp", "choice", default="warm")
    assert make_account(org.rep_a).custom == {"temp": "warm"}


def test_update_changes_only_the_named_custom_fields(org, define):
    define("budget", "money")
    define("temp", "choice")
    account = make_account(org.rep_a, custom={"budget": "100", "temp": "hot"})
    account = services.account_update(actor=org.rep_a, account=account, custom={"budget": "200"})
    assert account.custom == {"budget": "200.00", "temp": "hot"}
    # A value cleared with "" or None disappears.
    account = services.account_update(actor=org.rep_a, account=account, custom={"temp": None})
    assert account.custom == {"budget": "200.00"}
    # Other fields change without touching custom values.
    account = services.account_update(actor=org.rep_a, account=account, city="杭州市")
    assert account.custom == {"budget": "200.00"}


def test_a_failed_update_leaves_the_record_as_it_was(org, define):
    define("budget", "money")
    account = make_account(org.rep_a, name="Keep", custom={"budget": "100"})
    with pytest.raises(ValidationError):
        services.account_update(
            actor=org.rep_a, account=account, name="Changed", custom={"budget": "lots"}
        )
    account.refresh_from_db()
    assert (account.name, account.custom) == ("Keep", {"budget": "100.00"})


def test_required_field_added_later_does_not_block_other_edits(org, define):
    account = make_account(org.rep_a)
    define("budget", "money", required=True)
    account = services.account_update(actor=org.rep_a, account=account, city="苏州市")
    assert account.city == "苏州市"


def test_updated_event_names_the_changed_custom_fields(
    org, define, django_capture_on_commit_callbacks
):
    define("budget", "money")
    account = make_account(org.rep_a, custom={"budget": "100"})
    seen = []

    def handler(name, payload):
        seen.append(payload)

    events.subscribe("account.updated", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.account_update(actor=org.rep_a, account=account, custom={"budget": "150"})
        with django_capture_on_commit_callbacks(execute=True):
            services.account_update(actor=org.rep_a, account=account, custom={"budget": "150"})
    finally:
        events.unsubscribe("account.updated", handler)
    assert [p["changed"] for p in seen] == [["custom.budget"]]


def test_history_records_custom_values(org, define):
    define("budget", "money")
    account = make_account(org.rep_a, custom={"budget": "100"})
    services.account_update(actor=org.manager_east, account=account, custom={"budget": "300"})
    latest, previous = account.history.all()[:2]
    assert (previous.custom, latest.custom) == ({"budget": "100.00"}, {"budget": "300.00"})
    assert latest.history_user == org.manager_east


def test_contacts_have_their_own_fields(org, define):
    define("wechat_group", "boolean", entity="contact", required=True)
    define("budget", "money")  # an account field: unknown for contacts
    account = make_account(org.rep_a)
    with pytest.raises(ValidationError) as exc:
        make_contact(account, custom={"budget": "1"})
    assert set(exc.value.message_dict) == {"custom.budget", "custom.wechat_group"}
    contact = make_contact(account, custom={"wechat_group": "yes"})
    assert contact.custom == {"wechat_group": True}
    contact = services.contact_update(
        actor=org.rep_a, contact=contact, custom={"wechat_group": False}
    )
    assert Contact.objects.get(pk=contact.pk).custom == {"wechat_group": False}


def test_layout_required_model_fields_are_checked_by_the_service(org):
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=org.rep_a, name="X", required_fields=["city", "industry"])
    assert set(exc.value.message_dict) == {"city", "industry"}
