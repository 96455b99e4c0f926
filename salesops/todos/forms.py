"""The task form. It parses; ``services`` validates and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import PageFormMixin, TablerFormMixin
from salesops.customization.formfields import CustomFieldsFormMixin
from salesops.org import selectors as org_selectors

from .models import Task


class TaskForm(CustomFieldsFormMixin, PageFormMixin, TablerFormMixin, forms.ModelForm):
    """Title, due time, description, (for managers) whom it is for, and the task's
    custom fields."""

    custom_entity = "task"

    class Meta:
        model = Task
        fields = ("title", "due_at", "assignee", "description")
        widgets = {
            "due_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["title"].widget.attrs["placeholder"] = _("e.g. Call back about the quote")
        # Assignees: the users whose work ``user`` already sees (a manager's team
        # subtrees and direct reports, everyone for directors and admins). A task links
        # to records and its assignee opens them, so assigning outside that circle would
        # both list strangers and hand them this user's records.
        choices = org_selectors.visible_users(user).order_by("display_name", "username")
        assignee = self.fields["assignee"]
        assignee.queryset = choices
        assignee.label_from_instance = lambda u: u.label
        if not self.instance.pk:
            self.initial.setdefault("assignee", user.pk)
        if not (user.is_manager_role or user.sees_everything):
            # A rep's tasks are their own: no picker to get wrong.
            del self.fields["assignee"]
        self.init_custom_fields(None)  # the form's fields are fixed; no form layouts here

    def _post_clean(self):
        pass  # the service validates everything and reports all problems at once

    def service_data(self) -> dict:
        return super().service_data()
