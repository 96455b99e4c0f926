"""After-sales records and the decision chain over the API: parse → service/selector →
serialise. A record is visible when its account is (a complaint also to its handler);
anything else is a 404, and finance reads but does not write (403).

No ``from __future__ import annotations`` here: the endpoints are made in a loop and
django-ninja reads their (closure) annotations at definition time.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate
from salesops.customers import selectors as customer_selectors
from salesops.customers.models import Contact

from . import schemas, selectors, services
from .models import Complaint, NpsResponse, Renewal, ServiceTicket

router = Router(tags=["after-sales"])

CUSTOM_FILTER_HELP = "Filter by a custom field with cf_<key>=value."


class ComplaintQuery(Schema):
    q: str | None = None
    account: int | None = None
    owner: int | None = None
    severity: str | None = None
    status: str | None = None
    is_open: bool | None = None
    handler: int | None = None
    raised_after: str | None = None
    raised_before: str | None = None
    source: str | None = None
    external_id: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


class NpsQuery(Schema):
    q: str | None = None
    account: int | None = None
    owner: int | None = None
    category: str | None = None
    survey: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    responded_after: str | None = None
    responded_before: str | None = None
    source: str | None = None
    external_id: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


class TicketQuery(Schema):
    q: str | None = None
    account: int | None = None
    owner: int | None = None
    priority: str | None = None
    state: str | None = None
    opened_after: str | None = None
    opened_before: str | None = None
    source: str | None = None
    external_id: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


class RenewalQuery(Schema):
    q: str | None = None
    account: int | None = None
    owner: int | None = None
    status: str | None = None
    due_after: str | None = None
    due_before: str | None = None
    due_within: int | None = None
    source: str | None = None
    external_id: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


def _filters(query: Schema, request) -> dict:
    filters = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    # Custom fields vary per installation; the filterset knows them and refuses bad values.
    filters.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v})
    return filters


def _writer(user) -> None:
    if user.is_read_only_role:
        raise PermissionDenied(_("Your role can read after-sales records but not change them."))


def _account(user, account_id):
    account = selectors.editable_accounts(user).filter(pk=account_id).first()
    if account is None:
        raise ValidationError({"account_id": _("No account with this id that you may edit.")})
    return account


def _contact(user, contact_id):
    if contact_id is None:
        return None
    contact = Contact.objects.visible_to(user).filter(pk=contact_id).first()
    if contact is None:
        raise ValidationError({"contact_id": _("No contact with this id that you may see.")})
    return contact


def _handler(user, owner_id):
    handler = selectors.handler_options(user).filter(pk=owner_id).first()
    if handler is None:
        raise ValidationError(
            {"owner_id": _("You cannot give complaints to this user; pick someone in your team.")}
        )
    return handler


def _references(user, data: dict) -> dict:
    """Turn the ``*_id`` fields the client sent into records it may use."""
    if "account_id" in data:
        data["account"] = _account(user, data.pop("account_id"))
    if "contact_id" in data:
        data["contact"] = _contact(user, data.pop("contact_id"))
    if "owner_id" in data:
        owner_id = data.pop("owner_id")
        if owner_id is not None:
            data["owner"] = _handler(user, owner_id)
    return data


@dataclass(frozen=True)
class Endpoints:
    """One kind's list / get / create / update endpoints."""

    path: str  # "/complaints"
    model: type
    name: str  # "complaint" (for summaries and operation ids)
    instance_arg: str  # the update service's keyword for the record
    out: Any
    page: Any
    create_in: Any
    patch_in: Any
    query: Any
    create: Any
    update: Any


def _register(e: Endpoints) -> None:
    @router.get(
        e.path,
        response=e.page,
        summary=f"List {e.name}s",
        description=CUSTOM_FILTER_HELP,
        operation_id=f"list_{e.name}s",
    )
    def list_records(request, query: Query[e.query]):
        fs = selectors.filterset(e.model, user=request.user, data=_filters(query, request))
        if not fs.is_valid():
            raise ValidationError(fs.errors)
        return paginate(fs.qs, query.page, query.page_size)

    @router.post(
        e.path,
        response={201: e.out},
        summary=f"Record a {e.name}",
        operation_id=f"create_{e.name}",
    )
    def create_record(request, payload: e.create_in):
        _writer(request.user)
        data = _references(request.user, payload.dict())
        record = e.create(actor=request.user, **data)
        return Status(201, selectors.record_get(e.model, user=request.user, pk=record.pk))

    @router.get(
        e.path + "/{record_id}",
        response=e.out,
        summary=f"Get a {e.name}",
        operation_id=f"get_{e.name}",
    )
    @with_etag(e.model, "record_id")
    def get_record(request, record_id: int):
        return selectors.record_get(e.model, user=request.user, pk=record_id)

    @router.patch(
        e.path + "/{record_id}",
        response=e.out,
        summary=f"Change a {e.name}",
        operation_id=f"update_{e.name}",
    )
    @if_match(e.model, "record_id")
    def update_record(request, record_id: int, payload: e.patch_in):
        if request.user.is_read_only_role:
            selectors.record_get(e.model, user=request.user, pk=record_id)  # 404 first
            _writer(request.user)
        record = selectors.record_get_for_edit(e.model, user=request.user, pk=record_id)
        data = _references(request.user, payload.dict(exclude_unset=True))
        e.update(actor=request.user, **{e.instance_arg: record}, **data)
        return selectors.record_get(e.model, user=request.user, pk=record_id)


for _endpoints in (
    Endpoints(
        "/complaints",
        Complaint,
        "complaint",
        "complaint",
        schemas.ComplaintOut,
        schemas.ComplaintPage,
        schemas.ComplaintIn,
        schemas.ComplaintPatch,
        ComplaintQuery,
        services.complaint_create,
        services.complaint_update,
    ),
    Endpoints(
        "/nps-responses",
        NpsResponse,
        "nps_response",
        "response",
        schemas.NpsOut,
        schemas.NpsPage,
        schemas.NpsIn,
        schemas.NpsPatch,
        NpsQuery,
        services.nps_create,
        services.nps_update,
    ),
    Endpoints(
        "/service-tickets",
        ServiceTicket,
        "service_ticket",
        "ticket",
        schemas.TicketOut,
        schemas.TicketPage,
        schemas.TicketIn,
        schemas.TicketPatch,
        TicketQuery,
        services.ticket_create,
        services.ticket_update,
    ),
    Endpoints(
        "/renewals",
        Renewal,
        "renewal",
        "renewal",
        schemas.RenewalOut,
        schemas.RenewalPage,
        schemas.RenewalIn,
        schemas.RenewalPatch,
        RenewalQuery,
        services.renewal_create,
        services.renewal_update,
    ),
):
    _register(_endpoints)


def _chain_contact(contact) -> dict:
    return {"id": contact.pk, "name": contact.name, "title": contact.title}


@router.get(
    "/accounts/{account_id}/decision-chain",
    response=schemas.DecisionChainOut,
    summary="An account's decision chain",
    description="The account's contacts by decision role, in chain order, and how many "
    "distinct roles are reached. Visible when the account is.",
    tags=["customers"],
)
def get_decision_chain(request, account_id: int):
    account = customer_selectors.account_get(user=request.user, pk=account_id)
    chain = customer_selectors.decision_chain(account)
    return {
        "account_id": account.pk,
        "reached": chain.reached,
        "total": chain.total,
        "roles": [
            {
                "role": link.role,
                "label": str(link.label),
                "reached": link.reached,
                "contacts": [_chain_contact(c) for c in link.contacts],
            }
            for link in chain.links
        ],
        "missing": [link.role for link in chain.missing],
        "others": [_chain_contact(c) for c in chain.others],
    }
