"""Forms of the import pages. They only parse: ``jobs`` and ``mapping`` validate and
write (the mapping's service names the column at fault, the file reader the file)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

from .models import ExchangePolicy

ACCEPT = ".xlsx,.xls,.csv"


class UploadForm(TablerFormMixin, forms.Form):
    entity = forms.CharField(max_length=40, widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={"required": _("Choose an Excel (.xlsx, .xls) or CSV file to upload.")},
    )


def field_choices(importer) -> list[tuple[str, str]]:
    """The entity's fields (custom ones included) as (key, "zh-Hans / English") options,
    the required ones marked; the first option leaves the column out."""
    options = [("", str(_("— ignore this column —")))]
    for field in importer.fields():
        zh, en = field.names()
        label = zh if zh == en else f"{zh} / {en}"
        if field.required:
            label = f"{label} *"
        options.append((field.key, label))
    return options


def mapping_rows(job, importer) -> list[dict]:
    """One row per column of the file: its header, the field chosen (the saved mapping,
    else the suggestion) and whether that field still waits for the user's confirmation
    (a fuzzy suggestion the user has not confirmed yet)."""
    suggested = job.suggested or {}
    rows = []
    for index, header in enumerate(job.headers or []):
        key = str(index)
        hint = suggested.get(key) or {}
        chosen = (job.mapping or {}).get(key)
        if chosen is None and not job.mapping_confirmed:
            chosen = hint.get("field") or ""
        how = hint.get("how", "") if hint.get("field") == chosen else ""
        rows.append(
            {
                "index": index,
                "name": f"col_{index}",
                "header": header,
                "field": chosen or "",
                "how": how,
                "score": hint.get("score"),
                "confirm": how == "fuzzy" and not job.mapping_confirmed,
            }
        )
    return rows


def posted_mapping(data, headers) -> dict[str, str]:
    """Column index → field key from the mapping form (``col_<index>``); an empty choice
    leaves the column out."""
    mapping = {}
    for index in range(len(headers or [])):
        key = str(data.get(f"col_{index}", "")).strip()[:100]
        if key:
            mapping[str(index)] = key
    return mapping


class PolicyForm(TablerFormMixin, forms.Form):
    """Settings · Import and export: the limits of an upload and the dual-track period."""

    max_file_mb = forms.IntegerField(
        label=_("Largest file (MB)"),
        min_value=1,
        max_value=500,
        help_text=_("A bigger upload is refused before it is read."),
    )
    max_rows = forms.IntegerField(
        label=_("Most rows per file"),
        min_value=1,
        max_value=1_000_000,
        help_text=_("A file with more data rows is refused; split it into several files."),
    )
    dual_track_days = forms.IntegerField(
        label=_("Days an older template version still imports"),
        min_value=0,
        max_value=3650,
        help_text=_(
            "After a template changes, files made from the previous version still import "
            "(with a notice) for this many days, then are refused."
        ),
    )

    def __init__(self, *args, policy: ExchangePolicy, **kwargs):
        initial = {name: getattr(policy, name) for name in self.base_fields}
        super().__init__(*args, initial=initial, **kwargs)

    def attach_errors(self, errors: dict) -> None:
        """The service's errors by field (unknown fields go to the form)."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
