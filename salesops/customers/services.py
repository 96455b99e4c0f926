"""Every write to accounts and contacts: validation, duplicate checks, audit, events.

Services take the acting user explicitly and record it on the history row, so changes
made from the shell, the worker or an import are audited the same as web edits (X9).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, events
from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors, normalize_credit_code, normalize_phone
from salesops.customization import services as custom_services
from salesops.org.models import Role

from . import selectors
from .models import Account, Contact

ACCOUNT_FIELDS = (
    "name",
    "credit_code",
    "industry",
    "size_band",
    "province",
    "city",
    "address",
    "level",
    "owner",
    "success_owner",
    "notes",
    "nda_signed_on",
)
CONTACT_FIELDS = ("account", "name", "phone", "wechat", "email", "title", "decision_role")


@dataclass
class DuplicateMatch:
    field: str
    record: Any


class DuplicateError(ValidationError):
    """The record matches an existing one on a unique business key (credit code, phone)."""

    def __init__(self, matches: list[DuplicateMatch]):
        self.matches = matches
        super().__init__(
            {
                m.field: ValidationError(
                    _("Already registered: %(label)s.") % {"label": m.record}, code="duplicate"
                )
                for m in matches
            }
        )


def _clean_fields(instance, data: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in sorted(unknown)})
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(instance, key, value)


def _full_clean(instance, extra_errors: dict) -> None:
    """Run Django's field validation, merge our own errors, and raise them all at once so
    a form or API client learns about every bad field in one answer."""
    errors: dict[str, list] = {k: list(v) for k, v in extra_errors.items()}
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _custom_errors(
    instance, entity: str, custom: dict | None, *, partial: bool, required: Iterable[str]
) -> dict:
    """Custom field values (validated and merged into ``instance.custom``) and the fields
    a form layout requires; the errors join the model's so every problem shows at once.
    An update without ``custom`` leaves the custom values alone."""
    errors: dict[str, list] = {}
    if custom is not None or not partial:
        errors.update(
            custom_services.merge_custom(
                instance, entity, custom, partial=partial, required=required
            )
        )
    for field, messages in custom_services.required_model_fields(instance, required).items():
        errors.setdefault(field, []).extend(messages)
    return errors


# Fields that store a code of an editable list (core.choices).
ACCOUNT_LISTS = {
    "industry": choices.INDUSTRY,
    "size_band": choices.COMPANY_SIZE,
    "level": choices.ACCOUNT_LEVEL,
}
CONTACT_LISTS = {"decision_role": choices.DECISION_ROLE}


def _success_owner_errors(account: Account, before_id: int | None) -> dict:
    """A newly assigned customer-success manager must be an active CS user (one already
    assigned stays valid when other fields change)."""
    user = account.success_owner
    if user is None or user.pk == before_id:
        return {}
    if user.is_active and user.role == Role.CUSTOMER_SUCCESS:
        return {}
    return {"success_owner": [_("Pick an active customer-success manager.")]}


def _normalise_account(account: Account, before: dict | None = None) -> dict:
    errors = {}
    try:
        account.credit_code = normalize_credit_code(account.credit_code or "")
    except ValidationError as exc:
        errors["credit_code"] = exc.messages
    return choices.check_fields(account, ACCOUNT_LISTS, errors, before=before)


def _account_duplicates(account: Account) -> list[DuplicateMatch]:
    """The account already registered under the same credit code, or — when either of
    the two has no credit code — under the same company name once legal-form suffixes,
    bracketed regions and punctuation are ignored (``core.names.company_key``, SPEC L4).
    Two names with different credit codes are different companies."""
    if account.credit_code:
        other = (
            Account.objects.filter(credit_code=account.credit_code).exclude(pk=account.pk).first()
        )
        if other:
            return [DuplicateMatch("credit_code", other)]
    named = selectors.accounts_by_company_name(account.name, exclude=account.pk)
    if account.credit_code:
        named = named.filter(credit_code="")
    other = named.first()
    return [DuplicateMatch("name", other)] if other else []


@transaction.atomic
def account_create(
    *, actor, custom: dict | None = None, required_fields: Iterable[str] = (), **data
) -> Account:
    """Create an account. ``custom`` holds custom field values by key; ``required_fields``
    names fields a form layout requires beyond the model's own (``city``,
    ``custom.budget``)."""
    account = Account(created_by=actor)
    data.setdefault("owner", actor)
    _clean_fields(account, data, ACCOUNT_FIELDS)
    _full_clean(
        account,
        merge_errors(
            _normalise_account(account),
            _success_owner_errors(account, None),
            _custom_errors(account, "account", custom, partial=False, required=required_fields),
        ),
    )
    dupes = _account_duplicates(account)
    if dupes:
        raise DuplicateError(dupes)
    save_with_history(account, actor, "created")
    events.emit(
        "account.created",
        {"id": account.pk, "owner_id": account.owner_id, "actor_id": getattr(actor, "pk", None)},
    )
    return account


@transaction.atomic
def account_update(
    *,
    actor,
    account: Account,
    custom: dict | None = None,
    required_fields: Iterable[str] = (),
    **data,
) -> Account:
    """Change an account; ``custom`` changes only the custom fields it names."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = {f: getattr(account, f if f != "owner" else "owner_id") for f in data}
    before_custom = dict(account.custom or {})
    before_success = account.success_owner_id
    _clean_fields(account, data, ACCOUNT_FIELDS)
    _full_clean(
        account,
        merge_errors(
            _normalise_account(account, before),
            _success_owner_errors(account, before_success),
            _custom_errors(account, "account", custom, partial=True, required=required_fields),
        ),
    )
    dupes = _account_duplicates(account)
    if dupes:
        raise DuplicateError(dupes)
    changed = [f for f in data if before[f] != getattr(account, f if f != "owner" else "owner_id")]
    changed += custom_services.changed_keys(before_custom, account.custom)
    if changed:
        save_with_history(account, actor, "updated")
        events.emit(
            "account.updated",
            {"id": account.pk, "changed": changed, "actor_id": getattr(actor, "pk", None)},
        )
    return account


@transaction.atomic
def account_delete(*, actor, account: Account) -> None:
    account._history_user = actor
    for contact in account.contacts.all():
        contact._history_user = actor
        contact.delete()
    pk = account.pk
    account.delete()
    events.emit("account.deleted", {"id": pk, "actor_id": getattr(actor, "pk", None)})


def _normalise_contact(contact: Contact, before: dict | None = None) -> dict:
    errors = {}
    try:
        contact.phone = normalize_phone(contact.phone or "")
    except ValidationError as exc:
        errors["phone"] = exc.messages
    return choices.check_fields(contact, CONTACT_LISTS, errors, before=before)


def _contact_duplicates(contact: Contact) -> list[DuplicateMatch]:
    if not contact.phone:
        return []
    other = (
        Contact.objects.select_related("account")
        .filter(phone=contact.phone)
        .exclude(pk=contact.pk)
        .first()
    )
    return [DuplicateMatch("phone", other)] if other else []


@transaction.atomic
def contact_create(
    *, actor, custom: dict | None = None, required_fields: Iterable[str] = (), **data
) -> Contact:
    """Create a contact; ``custom`` and ``required_fields`` as in :func:`account_create`."""
    contact = Contact(created_by=actor)
    _clean_fields(contact, data, CONTACT_FIELDS)
    _full_clean(
        contact,
        merge_errors(
            _normalise_contact(contact),
            _custom_errors(contact, "contact", custom, partial=False, required=required_fields),
        ),
    )
    dupes = _contact_duplicates(contact)
    if dupes:
        raise DuplicateError(dupes)
    save_with_history(contact, actor, "created")
    events.emit(
        "contact.created",
        {
            "id": contact.pk,
            "account_id": contact.account_id,
            "actor_id": getattr(actor, "pk", None),
        },
    )
    return contact


@transaction.atomic
def contact_update(
    *,
    actor,
    contact: Contact,
    custom: dict | None = None,
    required_fields: Iterable[str] = (),
    **data,
) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    before = {f: getattr(contact, f if f != "account" else "account_id") for f in data}
    before_custom = dict(contact.custom or {})
    _clean_fields(contact, data, CONTACT_FIELDS)
    _full_clean(
        contact,
        merge_errors(
            _normalise_contact(contact, before),
            _custom_errors(contact, "contact", custom, partial=True, required=required_fields),
        ),
    )
    dupes = _contact_duplicates(contact)
    if dupes:
        raise DuplicateError(dupes)
    changed = [
        f for f in data if before[f] != getattr(contact, f if f != "account" else "account_id")
    ]
    changed += custom_services.changed_keys(before_custom, contact.custom)
    if changed:
        save_with_history(contact, actor, "updated")
        events.emit(
            "contact.updated",
            {"id": contact.pk, "changed": changed, "actor_id": getattr(actor, "pk", None)},
        )
    return contact


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> None:
    contact._history_user = actor
    pk = contact.pk
    contact.delete()
    events.emit("contact.deleted", {"id": pk, "actor_id": getattr(actor, "pk", None)})
