"""Reads of tasks, always through visibility: the assignee, their managers (up the
team tree), directors and admins see a task; anyone else gets ``DoesNotExist`` (→ 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from salesops.core import clock, entities

from .models import Task

STATUSES = ("open", "overdue", "done", "all")
SCOPES = ("mine", "team")


def end_of_today() -> dt.datetime:
    """Local midnight at the end of today: "due today or overdue" is ``due_at <`` this."""
    tomorrow = clock.today() + dt.timedelta(days=1)
    return timezone.make_aware(
        dt.datetime.combine(tomorrow, dt.time.min), timezone.get_default_timezone()
    )


def task_list(*, user, status: str = "open", scope: str = "mine"):
    """Tasks ``user`` may see: ``scope`` "mine" (assigned to them) or "team" (every task
    they may see); ``status`` open (by due time), overdue, done (latest first) or all."""
    qs = Task.objects.visible_to(user).select_related("assignee").prefetch_related("record")
    if scope != "team":
        qs = qs.filter(assignee=user)
    if status == "overdue":
        return qs.overdue(clock.now()).by_due()
    if status == "done":
        return qs.done().order_by("-done_at", "-id")
    if status == "all":
        return qs.by_due()
    return qs.open().by_due()


def task_get(*, user, pk: int) -> Task:
    return (
        Task.objects.visible_to(user)
        .select_related("assignee", "done_by", "created_by", "content_type")
        .get(pk=pk)
    )


def task_get_for_edit(*, user, pk: int) -> Task:
    return Task.objects.editable_by(user).select_related("assignee").get(pk=pk)


def task_editable(*, user, task: Task) -> bool:
    return Task.objects.editable_by(user).filter(pk=task.pk).exists()


def nav_count(user) -> int:
    """The user's own open tasks due today or overdue: one COUNT on the
    (assignee, done_at, due_at) index, cheap enough for every page's navigation."""
    return Task.objects.filter(
        assignee=user, done_at__isnull=True, due_at__lt=end_of_today()
    ).count()


def tasks_for_record(*, user, record):
    """The tasks linked to ``record`` that ``user`` may see, open first."""
    ct = ContentType.objects.get_for_model(record)
    return (
        Task.objects.visible_to(user)
        .filter(content_type=ct, object_id=record.pk)
        .select_related("assignee")
        .order_by("done_at", "due_at", "id")
    )


def resolve_record(*, user, key: str, pk: int):
    """A record ``user`` may see, by entity key (``account``) and id; ``LookupError``
    for an unknown key, ``DoesNotExist`` for an invisible or missing record."""
    entity = entities.get(key)
    manager = entity.model.objects
    queryset = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.all()
    return queryset.get(pk=pk)


def record_ref(task: Task) -> dict | None:
    """``{"type", "id", "label", "url"}`` of the linked record, or None."""
    if task.content_type_id is None:
        return None
    record = task.record
    entity = entities.for_model(type(record)) if record is not None else None
    model_key = entity.key if entity else task.content_type.model
    if record is None:
        return {"type": model_key, "id": task.object_id, "label": "—", "url": None}
    url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else None
    return {"type": model_key, "id": record.pk, "label": str(record), "url": url}
