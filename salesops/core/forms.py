"""Forms shared by every app: Tabler classes on each widget, set once here; the version
check and the one-time token of every page form (:class:`PageFormMixin`)."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .concurrency import ConflictError, claim_instance, version_of
from .models import FormSubmission


class DateInput(forms.DateInput):
    """A browser date picker (``<input type="date">``), which needs ISO dates."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker (``<input type="datetime-local">``)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TablerBoundField(forms.BoundField):
    """Renders inputs with the toolkit's classes, marked invalid when the field has errors,
    so templates can print ``{{ field }}`` without per-widget markup. A field the service
    requires (``service_required``) is marked required although the form lets it through,
    so the service can report every missing field at once."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        kind = getattr(widget, "input_type", "")
        if isinstance(widget, forms.Select):
            kind = "select"
        base = {"select": "form-select", "checkbox": "form-check-input"}.get(kind, "form-control")
        classes = [attrs.get("class", ""), base, "is-invalid" if self.errors else ""]
        attrs["class"] = " ".join(dict.fromkeys(c for c in classes if c))
        if getattr(self.field, "service_required", False):
            attrs["required"] = True
        return attrs

    @property
    def marked_required(self) -> bool:
        """Whether the label gets the "required" mark (checked by the form or the service)."""
        return self.field.required or getattr(self.field, "service_required", False)


class TablerFormMixin:
    """Use :class:`TablerBoundField` for every field of the form."""

    bound_field_class = TablerBoundField


class PageFormMixin:
    """Every page form that creates or edits a record (issue 11, item 10).

    * Editing: a hidden ``version`` (the record's ``updated_at``, ``core.concurrency``).
      :meth:`begin` refuses a stale form with a :class:`ConflictError` (a ValidationError,
      so the view's usual handling shows it) and the form keeps the user's input.
    * Creating: a hidden one-time ``form_token``. The second submission of the same form
      (a double click, a re-sent POST) gets the first one's record back from
      :meth:`begin` instead of creating another.

    The view runs, in one transaction::

        earlier = form.begin(request.user)
        if earlier: return redirect(earlier)
        record = services.x_create(...) / x_update(...)
        form.finish(record)
    """

    version_field = "version"
    token_field = "form_token"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.page_instance
        if instance is not None and instance.pk is not None:
            self.fields[self.version_field] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=version_of(instance)
            )
        else:
            self.fields[self.token_field] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=uuid.uuid4().hex, max_length=64
            )

    @property
    def page_instance(self):
        """The record being edited (None, or an unsaved one, when creating)."""
        return getattr(self, "versioned_instance", None) or getattr(self, "instance", None)

    def _sent(self, name) -> str:
        return str(self.data.get(self.add_prefix(name)) or "").strip() if self.is_bound else ""

    def service_data(self) -> dict:
        parent = getattr(super(), "service_data", None)
        data = parent() if parent else dict(self.cleaned_data)
        data.pop(self.version_field, None)
        data.pop(self.token_field, None)
        return data

    def begin(self, user) -> str | None:
        """Within the writing transaction: check the version (editing) or take the
        one-time token (creating). Returns the URL of the record an earlier submission of
        this form created, if there was one."""
        self._submission = None
        if self.version_field in self.fields:
            claim_instance(self.page_instance, self._sent(self.version_field))
            return None
        token = self._sent(self.token_field)[:64]
        if not token or user is None or not user.is_authenticated:
            return None
        try:
            with transaction.atomic():
                self._submission = FormSubmission.objects.create(user=user, token=token)
        except IntegrityError:  # this form was sent before and its record created
            earlier = FormSubmission.objects.filter(user=user, token=token).first()
            return (earlier.url if earlier else "") or "/"
        return None

    def finish(self, record) -> None:
        """Remember which record this form's token created."""
        submission = getattr(self, "_submission", None)
        if submission is not None and hasattr(record, "get_absolute_url"):
            submission.url = record.get_absolute_url()[:500]
            submission.save(update_fields=["url"])

    def show_conflict(self, exc: ConflictError) -> None:
        """Show the conflict on top; the user's input stays, and the form now carries
        the current version, so saving it again is a deliberate overwrite."""
        self.add_error(None, [exc.text, str(CONFLICT_HINT)])
        if exc.current is not None and self.version_field in self.fields:
            data = self.data.copy()
            data[self.add_prefix(self.version_field)] = version_of(exc.current)
            self.data = data


CONFLICT_HINT = _("Saving again will replace their changes with yours.")


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses: the service validates and writes (pages, API and feed
    share one set of rules), so the form skips building the instance and ``full_clean``.

    With ``service_checks_required`` the required fields (but pickers) are let through empty
    at once (:meth:`let_required_through`)."""

    bound_field_class = TablerBoundField
    service_checks_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.service_checks_required:
            self.let_required_through()

    def let_required_through(self, *, pickers_too: bool = False) -> None:
        """Let an empty required value through to the service, which reports it together
        with every other problem (bad credit code, duplicate …) in one answer; the form
        alone would stop at the first. The label keeps its "required" mark. A picker
        (ModelChoiceField) stays required unless ``pickers_too``."""
        for field in self.fields.values():
            if field.required and (pickers_too or not isinstance(field, forms.ModelChoiceField)):
                field.required = False
                field.service_required = True

    def _post_clean(self):
        # ModelForm would build the instance and run full_clean/validate_unique here; the
        # service does both on save and reports errors we attach to the fields.
        pass

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


def attach_service_errors(form, exc: ValidationError) -> None:
    """Each error a service raised on its form field; errors about fields the form does not
    show, or about the whole record, on top of the form, named by the field's label."""
    if isinstance(exc, ConflictError) and hasattr(form, "show_conflict"):
        form.show_conflict(exc)
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif field == "__all__" or field.startswith("custom."):
            form.add_error(None, errors)  # a custom field's messages name it
        else:
            label = field
            model = getattr(getattr(form, "_meta", None), "model", None)
            if model is not None:
                try:
                    label = capfirst(model._meta.get_field(field).verbose_name)
                except FieldDoesNotExist:  # not a model field: the key as it came
                    pass
            form.add_error(None, [f"{label}: {e}" for e in errors])
