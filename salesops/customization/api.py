"""Custom field definitions over the API: every client reads each entity's schema, and
sales-ops admins define, change and switch fields off with the same service and rules as
the settings page (anyone else: 403; bad input: 422 naming the field)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from . import selectors, services
from .schemas import CustomFieldIn, CustomFieldOut, CustomFieldPatch, EntityListQuery

router = Router(tags=["custom fields"])


def _check_entity(key: str) -> None:
    if selectors.custom_entity(key) is None:
        raise ValidationError(
            {
                "entity": _("Unknown entity “%(entity)s”. Choose one of: %(choices)s.")
                % {
                    "entity": key,
                    "choices": ", ".join(e.key for e in selectors.custom_entities()),
                }
            }
        )


def _definition(request, definition_id: int):
    services.require_admin(request.user)
    try:
        return selectors.definition_get(definition_id)
    except ObjectDoesNotExist:
        raise Http404(_("No such custom field.")) from None


@router.get(
    "/custom-fields",
    response=list[CustomFieldOut],
    summary="List the custom fields of an entity",
    description="The active custom fields, in form order. Their values travel in the "
    "records' `custom` object and are filtered with `cf_<key>` on list endpoints.",
)
def list_custom_fields(request, query: Query[EntityListQuery]):
    _check_entity(query.entity)
    include_inactive = query.include_inactive and services.can_manage(request.user)
    return selectors.definitions(query.entity, include_inactive=include_inactive)


@router.post(
    "/custom-fields",
    response={201: CustomFieldOut},
    summary="Define a custom field (sales-ops admins)",
)
def create_custom_field(request, payload: CustomFieldIn):
    services.require_admin(request.user)
    definition = services.definition_create(actor=request.user, **payload.dict())
    return Status(201, definition)


@router.get("/custom-fields/{definition_id}", response=CustomFieldOut, summary="One custom field")
def get_custom_field(request, definition_id: int):
    return _definition(request, definition_id)


@router.patch(
    "/custom-fields/{definition_id}",
    response=CustomFieldOut,
    summary="Change a custom field (sales-ops admins); its entity and key stay",
)
def update_custom_field(request, definition_id: int, payload: CustomFieldPatch):
    definition = _definition(request, definition_id)
    data = payload.dict(exclude_unset=True)
    for name in ("type", "required", "order", "show_in_list", "active", "choices"):
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    for name in ("label_zh", "label_en", "help_zh", "help_en"):
        if name in data and data[name] is None:
            data[name] = ""
    return services.definition_update(actor=request.user, definition=definition, **data)


@router.post(
    "/custom-fields/{definition_id}/deactivate",
    response=CustomFieldOut,
    summary="Switch a custom field off (values kept; sales-ops admins)",
)
def deactivate_custom_field(request, definition_id: int):
    definition = _definition(request, definition_id)
    return services.definition_deactivate(actor=request.user, definition=definition)


@router.post(
    "/custom-fields/{definition_id}/activate",
    response=CustomFieldOut,
    summary="Switch a custom field back on (sales-ops admins)",
)
def activate_custom_field(request, definition_id: int):
    definition = _definition(request, definition_id)
    return services.definition_activate(actor=request.user, definition=definition)
