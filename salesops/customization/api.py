"""Custom field definitions over the API, so clients know each entity's schema."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router

from . import selectors
from .schemas import CustomFieldOut, EntityQuery

router = Router(tags=["custom fields"])


@router.get(
    "/custom-fields",
    response=list[CustomFieldOut],
    summary="List the custom fields of an entity",
    description="The active custom fields, in form order. Their values travel in the "
    "records' `custom` object and are filtered with `cf_<key>` on list endpoints.",
)
def list_custom_fields(request, query: Query[EntityQuery]):
    if selectors.custom_entity(query.entity) is None:
        raise ValidationError(
            {
                "entity": _("Unknown entity “%(entity)s”. Choose one of: %(choices)s.")
                % {
                    "entity": query.entity,
                    "choices": ", ".join(e.key for e in selectors.custom_entities()),
                }
            }
        )
    return selectors.definitions(query.entity)
