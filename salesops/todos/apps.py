from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import entities, events


class TodosConfig(AppConfig):
    name = "salesops.todos"
    label = "todos"
    verbose_name = _("Tasks")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.
        from salesops.notifications import services as notification_services

        from . import services
        from .models import Task

        entities.register(
            "task",
            Task,
            label=_("Task"),
            owner_path="assignee",
            timer_fields=("due_at", "created_at"),
            # Rules' "set a field" writes through the service (validation, history, events).
            writer=entities.service_writer(services.task_update, "task"),
        )
        events.register("task.created", fields=("id", "assignee_id", "actor_id", "source"))
        events.register("task.updated", fields=("id", "changed", "actor_id"))
        events.register("task.completed", fields=("id", "assignee_id", "actor_id"))
        events.register("task.reopened", fields=("id", "assignee_id", "actor_id"))
        notification_services.register_kind("task.assigned", _("A task was assigned to me"))
