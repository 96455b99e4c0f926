from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CustomFieldDefinition, FormLayout
from .selectors import custom_entities


class _EntityChoiceForm(forms.ModelForm):
    """The entity as a drop-down of the entities that take custom fields; the model's
    ``clean()`` runs the same checks as the services."""

    entity = forms.ChoiceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [(e.key, e.label) for e in custom_entities()]


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(SimpleHistoryAdmin):
    form = _EntityChoiceForm
    list_display = ("entity", "key", "label_zh", "label_en", "type", "required", "order", "active")
    list_filter = ("entity", "type", "active", "required")
    search_fields = ("key", "label_zh", "label_en")
    ordering = ("entity", "order", "id")
    readonly_fields = ("created_at", "updated_at", "created_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FormLayout)
class FormLayoutAdmin(SimpleHistoryAdmin):
    form = _EntityChoiceForm
    list_display = ("entity", "name", "updated_at")
    list_filter = ("entity",)
    readonly_fields = ("created_at", "updated_at", "created_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
