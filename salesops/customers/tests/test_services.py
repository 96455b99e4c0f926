import pytest
from django.core.exceptions import ValidationError

from salesops.customers import services
from salesops.customers.models import Account, Contact
from salesops.customers.tests.factories import credit_code, make_account, make_contact


def test_account_create_normalises_credit_code_and_records_history(org):
    code = credit_code(7)
    account = services.account_create(
        actor=org.rep_a, name="上海示例科技有限公司", credit_code=code.lower(), owner=org.rep_a
    )
    assert account.credit_code == code
    record = account.history.get()
    assert record.history_type == "+"
    assert record.history_user == org.rep_a


def test_wrong_check_digit_names_the_field(org):
    code = credit_code(8)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=org.rep_a, name="X", credit_code=wrong)
    assert "credit_code" in exc.value.message_dict
    assert "check digit" in exc.value.message_dict["credit_code"][0]
    assert not Account.objects.exists()


def test_every_bad_field_is_reported_at_once(org):
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=org.rep_a, name="", credit_code="123", level="Z")
    assert set(exc.value.message_dict) >= {"name", "credit_code", "level"}


def test_duplicate_credit_code_points_to_existing_record(org):
    first = make_account(org.rep_a, credit_code=credit_code(9))
    with pytest.raises(services.DuplicateError) as exc:
        make_account(org.rep_b, credit_code=credit_code(9))
    assert exc.value.matches[0].record == first
    assert Account.objects.count() == 1


@pytest.mark.parametrize(
    "variant", ["138 0013 8000", "+86-13800138000", "0086 138 0013 8000", "13800138000"]
)
def test_contact_phone_formats_are_one_number(org, variant):
    account = make_account(org.rep_a)
    make_contact(account, phone="13800138000")
    with pytest.raises(services.DuplicateError):
        make_contact(account, phone=variant)
    assert Contact.objects.count() == 1


def test_invalid_phone_is_refused(org):
    account = make_account(org.rep_a)
    with pytest.raises(ValidationError) as exc:
        make_contact(account, phone="12345")
    assert "phone" in exc.value.message_dict


def test_update_records_before_and_after(org):
    account = make_account(org.rep_a, name="Old name")
    services.account_update(actor=org.manager_east, account=account, name="New name")
    latest, previous = account.history.all()[:2]
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("name", "Old name", "New name")]
    assert latest.history_user == org.manager_east


def test_audit_recorded_for_a_write_outside_any_request(org):
    """A service call from the shell or the worker (no request, no middleware) is audited."""
    account = make_account(org.rep_a)
    services.account_update(actor=org.admin, account=account, level="A")
    assert account.history.first().history_user == org.admin
    assert account.history.first().level == "A"


def test_events_are_emitted_after_commit(org, django_capture_on_commit_callbacks):
    from salesops.core import events

    seen = []
    handler = lambda name, payload: seen.append((name, payload["id"]))  # noqa: E731
    events.subscribe("account.created", handler)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            account = make_account(org.rep_a)
        assert seen == []
        for cb in callbacks:
            cb()
        assert seen == [("account.created", account.pk)]
    finally:
        events.unsubscribe("account.created", handler)
