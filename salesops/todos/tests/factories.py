"""Tasks, created through the service."""

import factory

from salesops.core.tests.factories import ServiceFactory
from salesops.org.tests.factories import UserFactory
from salesops.todos import services
from salesops.todos.models import Task


class TaskFactory(ServiceFactory):
    """An undated task for a new rep; ``record=`` links it to any saved record (create
    only), ``actor=`` is who gives it (default: the assignee)."""

    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"跟进任务 {n}")
    assignee = factory.SubFactory(UserFactory)
    due_at = None

    @classmethod
    def through_service(cls, **values):
        return services.task_create(**values)
