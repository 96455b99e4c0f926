"""Custom fields (SPEC X1) and form layouts: configuration an admin edits as data.

A business model takes custom fields by inheriting :class:`CustomFieldsModel`; the values
live in its ``custom`` JSON column, keyed by :attr:`CustomFieldDefinition.key`. Values are
stored in a JSON-safe canonical form (numbers and money as Decimal strings, dates and
instants as ISO text, users as ids) so that filters compare like with like on SQLite and
PostgreSQL; ``customization.types`` converts between that form and Python values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core.models import BaseModel


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money (CNY)")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    USER = "user", _("User")
    BOOLEAN = "boolean", _("Yes / no")


CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)


# The rules a definition and a layout must follow live in validation.py, which reads these
# models (and the cached definitions), so this module cannot import it: it registers its
# checks here when the app is ready (customization/apps.py), and clean() runs them.
_CHECKS: dict[type, Callable] = {}


def register_check(model: type, check: Callable) -> None:
    _CHECKS[model] = check


def _run_check(instance) -> None:
    check = _CHECKS.get(type(instance))
    if check is None:
        raise RuntimeError(f"No check registered for {type(instance).__name__}.")
    check(instance)


def _in_language(zh: str, en: str) -> str:
    """The text for the active language, falling back to the other one when it is empty
    (an admin may fill in only one)."""
    if (get_language() or "").startswith("zh"):
        return zh or en
    return en or zh


class CustomFieldsModel(models.Model):
    """Abstract mixin: a model whose records carry admin-defined custom fields.

    ``layout_fields`` lists the model fields a form layout may show (default: every
    editable field); ``layout_required`` the ones every layout must keep because a record
    cannot be saved without them.
    """

    # Editable (for django-simple-history, which diffs editable fields only), but no form
    # shows it raw: entity forms add one field per definition instead.
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    layout_fields: ClassVar[tuple[str, ...]] = ()
    layout_required: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @classmethod
    def form_field_names(cls) -> list[str]:
        if cls.layout_fields:
            return list(cls.layout_fields)
        return [
            f.name
            for f in cls._meta.concrete_fields
            if f.editable and not f.auto_created and not f.primary_key and f.name != "custom"
        ]


class CustomFieldDefinition(BaseModel):
    """One custom field of one entity (account, contact …): its key in the ``custom``
    JSON, its labels in both languages, its type and rules. Deactivating hides the field
    everywhere but keeps the stored values, so switching it back on loses nothing."""

    entity = models.CharField(_("entity"), max_length=50, db_index=True)
    key = models.CharField(
        _("key"),
        max_length=40,
        help_text=_(
            "Lower-case letters, digits and underscores, starting with a letter; used in the "
            "API, in filters (cf_<key>) and in rule conditions. Cannot be changed later."
        ),
    )
    label_zh = models.CharField(_("label (Chinese)"), max_length=100, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    default = models.JSONField(_("default value"), null=True, blank=True)
    help_zh = models.CharField(_("help text (Chinese)"), max_length=300, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    order = models.IntegerField(_("order"), default=0)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice fields: a list of {value, label}."),
    )
    show_in_list = models.BooleanField(
        _("show in lists"),
        default=False,
        help_text=_("Add a column and a filter for this field to the list page."),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="customization_field_key"),
        ]

    def __str__(self):
        return f"{self.entity}.{self.key}"

    @property
    def label(self) -> str:
        return _in_language(self.label_zh, self.label_en) or self.key

    @property
    def help_text(self) -> str:
        return _in_language(self.help_zh, self.help_en)

    @property
    def path(self) -> str:
        """The name of this field in errors, forms and layouts: ``custom.<key>``."""
        return f"custom.{self.key}"

    @property
    def choice_labels(self) -> dict[str, str]:
        return {c["value"]: c.get("label") or c["value"] for c in self.choices or []}

    def clean(self):
        _run_check(self)


class FormLayout(BaseModel):
    """Which fields one form of an entity shows, in which order, and which of them the
    form requires on top of the fields that are always required.

    ``fields`` is ``[{"field": "name", "required": false}, {"field": "custom.budget",
    "required": true}, …]``; model fields by name, custom fields as ``custom.<key>``.
    """

    DEFAULT = "default"

    entity = models.CharField(_("entity"), max_length=50)
    name = models.SlugField(
        _("form"),
        max_length=50,
        default=DEFAULT,
        help_text=_("“default” is the normal entry form; e.g. “quick_entry” for a short one."),
    )
    fields = models.JSONField(_("fields"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("form layout")
        verbose_name_plural = _("form layouts")
        ordering = ["entity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="customization_layout_name"),
        ]

    def __str__(self):
        return f"{self.entity}/{self.name}"

    @property
    def field_names(self) -> list[str]:
        return [item["field"] for item in self.fields or []]

    @property
    def required_names(self) -> set[str]:
        return {item["field"] for item in self.fields or [] if item.get("required")}

    def clean(self):
        _run_check(self)
