from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Task


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ("title", "assignee", "due_at", "done_at", "source")
    list_filter = ("done_at",)
    search_fields = ("title", "source", "assignee__username")
    raw_id_fields = ("assignee", "done_by")
    list_select_related = ("assignee",)
