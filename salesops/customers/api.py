"""Accounts and contacts over the API: parse → service/selector → serialise."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate
from salesops.org import selectors as org_selectors
from salesops.org.models import User

from . import selectors, services
from .models import Account, Contact
from .schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountPatch,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
)

router = Router(tags=["customers"])


class AccountQuery(Schema):
    q: str | None = None
    province: str | None = None
    city: str | None = None
    industry: str | None = None
    size_band: str | None = None
    level: str | None = None
    owner: int | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


class ContactQuery(Schema):
    q: str | None = None
    account: int | None = None
    decision_role: str | None = None
    owner: int | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


CUSTOM_FILTER_HELP = (
    "Filter by a custom field with cf_<key>=value (choice, yes/no, text, number, date, "
    "user equal to the value; multiple choice containing it)."
)


def _filters(query: Schema, request=None) -> dict:
    filters = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    if request is not None:
        # Custom fields vary per installation, so their cf_<key> filters are not part of
        # the query schema; the filterset knows them and refuses bad values.
        filters.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v})
    return filters


def _owner(actor, owner_id):
    if owner_id is None:
        return {}
    owner = org_selectors.visible_users(actor).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError(
            {"owner_id": _("You cannot give records to this user; pick someone in your team.")}
        )
    return {"owner": owner}


def _success_owner(payload) -> dict:
    """``success_owner_id`` as the service's ``success_owner`` (null clears it on a patch);
    the service checks the user is an active customer-success manager."""
    if "success_owner_id" not in payload.model_fields_set:
        return {}
    if payload.success_owner_id is None:
        return {"success_owner": None}
    user = User.objects.filter(pk=payload.success_owner_id).first()
    if user is None:
        raise ValidationError({"success_owner_id": _("Pick an active customer-success manager.")})
    return {"success_owner": user}


def _account_for_contact(actor, account_id):
    account = selectors.Account.objects.editable_by(actor).filter(pk=account_id).first()
    if account is None:
        raise ValidationError({"account_id": _("No account with this id that you may edit.")})
    return account


@router.get(
    "/accounts", response=AccountPage, summary="List accounts", description=CUSTOM_FILTER_HELP
)
def list_accounts(request, query: Query[AccountQuery]):
    fs = selectors.account_filterset(user=request.user, data=_filters(query, request))
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return paginate(fs.qs, query.page, query.page_size)


@router.post("/accounts", response={201: AccountOut}, summary="Create an account")
def create_account(request, payload: AccountIn):
    if request.user.is_read_only_role:
        raise PermissionDenied(_("Your role can read accounts but not create them."))
    data = payload.dict(exclude={"owner_id", "success_owner_id"})
    data.update(_owner(request.user, payload.owner_id))
    data.update(_success_owner(payload))
    return Status(201, services.account_create(actor=request.user, **data))


@router.get("/accounts/{account_id}", response=AccountOut, summary="Get an account")
@with_etag(Account, "account_id")
def get_account(request, account_id: int):
    return selectors.account_get(user=request.user, pk=account_id)


@router.patch("/accounts/{account_id}", response=AccountOut, summary="Change an account")
@if_match(Account, "account_id")
def update_account(request, account_id: int, payload: AccountPatch):
    account = selectors.account_get_for_edit(user=request.user, pk=account_id)
    data = payload.dict(exclude_unset=True, exclude={"owner_id", "success_owner_id"})
    if payload.owner_id is not None:
        data.update(_owner(request.user, payload.owner_id))
    data.update(_success_owner(payload))
    return services.account_update(actor=request.user, account=account, **data)


@router.delete("/accounts/{account_id}", response={204: None}, summary="Delete an account")
def delete_account(request, account_id: int):
    account = selectors.account_get_for_edit(user=request.user, pk=account_id)
    services.account_delete(actor=request.user, account=account)
    return Status(204, None)


@router.get(
    "/contacts", response=ContactPage, summary="List contacts", description=CUSTOM_FILTER_HELP
)
def list_contacts(request, query: Query[ContactQuery]):
    fs = selectors.contact_filterset(user=request.user, data=_filters(query, request))
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return paginate(fs.qs, query.page, query.page_size)


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
def create_contact(request, payload: ContactIn):
    if request.user.is_read_only_role:
        raise PermissionDenied(_("Your role can read contacts but not create them."))
    data = payload.dict(exclude={"account_id"})
    data["account"] = _account_for_contact(request.user, payload.account_id)
    return Status(201, services.contact_create(actor=request.user, **data))


@router.get("/contacts/{contact_id}", response=ContactOut, summary="Get a contact")
@with_etag(Contact, "contact_id")
def get_contact(request, contact_id: int):
    return selectors.contact_get(user=request.user, pk=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact")
@if_match(Contact, "contact_id")
def update_contact(request, contact_id: int, payload: ContactPatch):
    contact = selectors.contact_get_for_edit(user=request.user, pk=contact_id)
    data = payload.dict(exclude_unset=True, exclude={"account_id"})
    if payload.account_id is not None:
        data["account"] = _account_for_contact(request.user, payload.account_id)
    return services.contact_update(actor=request.user, contact=contact, **data)


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request, contact_id: int):
    contact = selectors.contact_get_for_edit(user=request.user, pk=contact_id)
    services.contact_delete(actor=request.user, contact=contact)
    return Status(204, None)


__all__ = ["router", "Account"]
