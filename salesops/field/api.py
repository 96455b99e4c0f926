"""The offline app's API: the working set to read offline (with an ETag), the outbox
replay, and the conflicts it left. Parse → service/selector → serialise."""

from typing import Any

from django.http import HttpResponse
from django.utils import translation
from ninja import Router, Schema

from . import selectors, services

router = Router(tags=["field"])


class SyncIn(Schema):
    items: list[Any]


class SyncOut(Schema):
    results: list[dict]


class ResolveIn(Schema):
    choice: str
    value: str = ""


class ConflictOut(Schema):
    id: int
    record_type: str
    record_id: int
    field: str
    base_value: str
    server_value: str
    client_value: str
    status: str
    chosen: str
    chosen_value: str


@router.get(
    "/field/working-set",
    summary="The rep's working set for offline reading",
    description="My open leads, my accounts and their contacts, the check-in results and "
    "today's tasks, as the user may see them. Send the ETag back in If-None-Match: an "
    "unchanged set is answered 304 with no body.",
)
def working_set(request):
    body, etag = selectors.encode(selectors.working_set(request.user, translation.get_language()))
    sent = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in sent:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@router.post(
    "/field/sync",
    response=SyncOut,
    summary="Replay the offline outbox",
    description="Items in the order they were made: {uuid, kind, payload, created}. Each "
    "answer has the item's uuid and a status: applied, replayed (this uuid was applied "
    "before: the first answer, nothing written), duplicate (a new lead matched an existing "
    "one: matched_by says how), conflict, refused (message) or error (errors by field).",
)
def sync(request, payload: SyncIn):
    return {"results": services.sync_batch(actor=request.user, items=payload.items)}


@router.get("/field/conflicts", response=list[ConflictOut], summary="My sync conflicts")
def conflict_list(request):
    return list(selectors.conflicts(request.user)[:200])


@router.post(
    "/field/conflicts/{conflict_id}/resolve",
    response=ConflictOut,
    summary="Resolve a sync conflict: keep mine, keep theirs or an edited value",
)
def conflict_resolve(request, conflict_id: int, payload: ResolveIn):
    # Another user's conflict does not exist for this one (404, by the API's handler).
    conflict = selectors.conflict_get(user=request.user, pk=conflict_id)
    return services.conflict_resolve(
        actor=request.user, conflict=conflict, choice=payload.choice, value=payload.value
    )
