"""Tasks over the API, through the same visibility as the pages (invisible → 404)."""

from __future__ import annotations

from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate

from . import selectors, services
from .models import Task
from .schemas import TaskIn, TaskOut, TaskPage, TaskPatch

router = Router(tags=["tasks"])


class TaskQuery(Schema):
    status: Literal["open", "overdue", "done", "all"] = "open"
    scope: Literal["mine", "team"] = "mine"
    page: int = 1
    page_size: int = 25


def _assignee(assignee_id: int):
    user = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if user is None:
        raise ValidationError({"assignee_id": _("No active user with this id.")})
    return user


@router.get("/tasks", response=TaskPage, summary="Tasks (mine, or my team's)")
def list_tasks(request, query: Query[TaskQuery]):
    qs = selectors.task_list(user=request.user, status=query.status, scope=query.scope)
    return paginate(qs, query.page, query.page_size)


@router.post("/tasks", response={201: TaskOut}, summary="Create a task")
def create_task(request, payload: TaskIn):
    record = None
    if payload.record_type or payload.record_id is not None:
        if not payload.record_type or payload.record_id is None:
            raise ValidationError(
                {"record_type": _("Send record_type and record_id together, or neither.")}
            )
        try:
            record = selectors.resolve_record(
                user=request.user, key=payload.record_type, pk=payload.record_id
            )
        except LookupError:
            raise ValidationError({"record_type": _("Unknown record type.")}) from None
        except ObjectDoesNotExist:
            raise ValidationError(
                {"record_id": _("No such record, or you may not see it.")}
            ) from None
    assignee = request.user if payload.assignee_id is None else _assignee(payload.assignee_id)
    task = services.task_create(
        actor=request.user,
        title=payload.title,
        description=payload.description,
        due_at=payload.due_at,
        assignee=assignee,
        record=record,
        custom=payload.custom,
    )
    return Status(201, selectors.task_get(user=request.user, pk=task.pk))


@router.get("/tasks/{task_id}", response=TaskOut, summary="One task")
@with_etag(Task, "task_id")
def get_task(request, task_id: int):
    return selectors.task_get(user=request.user, pk=task_id)


@router.patch("/tasks/{task_id}", response=TaskOut, summary="Change a task")
@if_match(Task, "task_id")
def update_task(request, task_id: int, payload: TaskPatch):
    task = selectors.task_get_for_edit(user=request.user, pk=task_id)
    data = payload.dict(exclude_unset=True, exclude={"assignee_id"})
    if payload.assignee_id is not None:
        data["assignee"] = _assignee(payload.assignee_id)
    services.task_update(actor=request.user, task=task, **data)
    return selectors.task_get(user=request.user, pk=task_id)


@router.post("/tasks/{task_id}/complete", response=TaskOut, summary="Mark a task done")
def complete_task(request, task_id: int):
    task = selectors.task_get_for_edit(user=request.user, pk=task_id)
    services.task_complete(actor=request.user, task=task)
    return selectors.task_get(user=request.user, pk=task_id)


@router.post("/tasks/{task_id}/reopen", response=TaskOut, summary="Reopen a done task")
def reopen_task(request, task_id: int):
    task = selectors.task_get_for_edit(user=request.user, pk=task_id)
    services.task_reopen(actor=request.user, task=task)
    return selectors.task_get(user=request.user, pk=task_id)
