"""Tasks (待办): something one person has to do by a time, optionally about a record."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core.models import BaseModel
from salesops.core.visibility import OwnedQuerySet
from salesops.customization.models import CustomFieldsModel


class TaskQuerySet(OwnedQuerySet):
    owner_path = "assignee"

    def editable_by(self, user):
        """Managers (and above) of the assignee, and always the assignee themselves (a
        finance user may tick off their own task even though they edit nothing else)."""
        scoped = super().editable_by(user)
        if user is None or not user.is_authenticated or not user.is_active:
            return scoped
        return self.filter(Q(pk__in=scoped.values("pk")) | Q(assignee=user))

    def open(self):
        return self.filter(done_at__isnull=True)

    def done(self):
        return self.filter(done_at__isnull=False)

    def overdue(self, now):
        return self.open().filter(due_at__lt=now)

    def by_due(self):
        """Soonest due first; tasks without a due time after them."""
        return self.order_by(F("due_at").asc(nulls_last=True), "id")


class Task(BaseModel, CustomFieldsModel):
    """A to-do for one assignee, with an optional due time and an optional link to any
    record (account, contact, later lead or deal) through contenttypes. ``source`` names
    what created it (``rule:5:v2`` for an automation rule; empty for a person)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("record type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    history = HistoricalRecords()

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            # "My open tasks by due date" and the navigation count.
            models.Index(fields=["assignee", "done_at", "due_at"], name="todo_assignee_open_due"),
            # The tasks of one record (its page, rules' "unless a task exists").
            models.Index(fields=["content_type", "object_id"], name="todo_record"),
            # Timer rules on tasks ("due_at passed and still open").
            models.Index(fields=["due_at"], name="todo_due"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("todos:task_detail", args=[self.pk])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
