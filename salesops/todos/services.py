"""Every write to tasks: create, change, complete, reopen — validated, audited, announced.

``task_create`` is also what the automation engine's "create task" action calls (with
``actor=None`` and ``source="rule:<id>:v<version>"``). A person creating a task may only
give it to someone they see (themselves, or their team as a manager) and link it to a
record they see; a rule may assign anyone. When a person gives a task to someone else,
the assignee is notified (``task.assigned``); a rule's task is not, as the rule has its
own notify action.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.core import clock, entities, events
from salesops.core.history import save_with_history
from salesops.customization import services as custom_services
from salesops.notifications import services as notification_services
from salesops.org import selectors as org_selectors

from .models import Task

TASK_FIELDS = ("title", "description", "due_at", "assignee")


def _aware(value):
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _check_assignee(actor, assignee, errors: dict) -> None:
    if assignee is None:
        errors.setdefault("assignee", []).append(_("Choose who should do this task."))
        return
    if not assignee.is_active:
        errors.setdefault("assignee", []).append(
            _("%(user)s is deactivated; choose someone else.") % {"user": assignee.label}
        )
        return
    if actor is not None and assignee.pk != actor.pk:
        if not org_selectors.visible_users(actor).filter(pk=assignee.pk).exists():
            errors.setdefault("assignee", []).append(
                _("You can give tasks to yourself and to people in your team only.")
            )


def _check_record(actor, record, errors: dict) -> None:
    if record is None:
        return
    if record.pk is None:
        errors.setdefault("record", []).append(_("The linked record has not been saved."))
        return
    if actor is None:
        return
    entity = entities.for_model(type(record))
    queryset = getattr(type(record).objects, "visible_to", None) if entity else None
    if queryset is not None and not queryset(actor).filter(pk=record.pk).exists():
        errors.setdefault("record", []).append(
            _("No such record, or you may not see it; link a record you can open.")
        )


def _full_clean(task: Task, errors: dict) -> None:
    errors = {k: list(v) for k, v in errors.items()}
    try:
        task.full_clean(
            exclude=["assignee", "content_type", "object_id"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _announce_assignment(task: Task, actor) -> None:
    if actor is None or task.assignee_id == actor.pk:
        return
    notification_services.notify(
        recipients=[task.assignee],
        kind="task.assigned",
        title=_("New task from %(user)s: %(title)s") % {"user": actor.label, "title": task.title},
        body=task.description,
        link=task.get_absolute_url(),
        source=f"task:{task.pk}",
    )


def _actor_id(actor):
    return getattr(actor, "pk", None)


@transaction.atomic
def task_create(
    *,
    title: str,
    assignee,
    due_at=None,
    record=None,
    description: str = "",
    actor=None,
    source: str = "",
    custom: dict | None = None,
) -> Task:
    """Create a task for ``assignee``, optionally due at ``due_at`` and linked to any
    saved model instance ``record``. ``custom``: the task's custom field values (SPEC
    X1); a person's task gets the defaults and needs the required ones, a rule's task
    (no actor) only checks what it was given."""
    task = Task(
        title=(title or "").strip(),
        description=(description or "").strip(),
        due_at=_aware(due_at),
        assignee=assignee,
        source=(source or "").strip()[:100],
        created_by=actor,
    )
    errors: dict[str, list] = {}
    _check_assignee(actor, assignee, errors)
    _check_record(actor, record, errors)
    for field, messages in custom_services.merge_custom(
        task, "task", custom, partial=actor is None
    ).items():
        errors.setdefault(field, []).extend(messages)
    if record is not None and record.pk is not None:
        task.content_type = ContentType.objects.get_for_model(record)
        task.object_id = record.pk
    _full_clean(task, errors)
    save_with_history(task, actor, "created")
    events.emit(
        "task.created",
        {
            "id": task.pk,
            "assignee_id": task.assignee_id,
            "actor_id": _actor_id(actor),
            "source": task.source,
        },
    )
    _announce_assignment(task, actor)
    return task


@transaction.atomic
def task_update(*, actor, task: Task, custom: dict | None = None, **data) -> Task:
    """Change title, description, due time, assignee or custom field values (only the
    ones given; the caller has checked that ``actor`` may edit the task:
    ``selectors.task_get_for_edit``)."""
    unknown = set(data) - set(TASK_FIELDS)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in sorted(unknown)})
    task = Task.objects.select_for_update().get(pk=task.pk)
    before = {f: getattr(task, "assignee_id" if f == "assignee" else f) for f in data}
    before_custom = dict(task.custom or {})
    errors: dict[str, list] = {}
    if custom is not None:
        errors.update(custom_services.merge_custom(task, "task", custom, partial=True))
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if key == "due_at":
            value = _aware(value)
        setattr(task, key, value)
    if "assignee" in data and getattr(data["assignee"], "pk", None) != before["assignee"]:
        _check_assignee(actor, data["assignee"], errors)
    _full_clean(task, errors)
    changed = [
        f for f in data if before[f] != getattr(task, "assignee_id" if f == "assignee" else f)
    ]
    changed += custom_services.changed_keys(before_custom, task.custom)
    if changed:
        save_with_history(task, actor, "updated")
        events.emit(
            "task.updated", {"id": task.pk, "changed": changed, "actor_id": _actor_id(actor)}
        )
        if "assignee" in changed:
            _announce_assignment(task, actor)
    return task


@transaction.atomic
def task_complete(*, actor, task: Task) -> Task:
    """Mark done now, by ``actor``. Completing a done task changes nothing."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.done_at is not None:
        return task
    task.done_at = clock.now()
    task.done_by = actor
    save_with_history(task, actor, "completed", update_fields=["done_at", "done_by"])
    events.emit(
        "task.completed",
        {"id": task.pk, "assignee_id": task.assignee_id, "actor_id": _actor_id(actor)},
    )
    return task


@transaction.atomic
def task_reopen(*, actor, task: Task) -> Task:
    """Undo a completion (a mis-tap on the phone)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.done_at is None:
        return task
    task.done_at = None
    task.done_by = None
    save_with_history(task, actor, "reopened", update_fields=["done_at", "done_by"])
    events.emit(
        "task.reopened",
        {"id": task.pk, "assignee_id": task.assignee_id, "actor_id": _actor_id(actor)},
    )
    return task
