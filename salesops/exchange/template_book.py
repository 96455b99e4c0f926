"""An entity's import template as an .xlsx (X5): the columns in the user's language
(required ones bold and marked “*”), a typed sample row or the user's records ("export
for re-import"), drop-down lists on choice and yes/no columns, a notes sheet describing
every column, and a hidden sheet naming the entity and template version, which the
import reads back (:func:`.versions.check_file`).

Written with xlsxwriter in ``constant_memory`` mode (rows flushed as they are written)
to a temporary file, so exporting every record the user sees stays flat in memory.
Text is written with ``write_string``: a value beginning with “=” stays text.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from decimal import Decimal

from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from salesops.core import clock

from . import files, versions
from .registry import Field, Importer, Kind, user_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_SHEET = "_lists"
# Excel keeps an inline drop-down list to 255 characters; longer ones refer to a range.
INLINE_LIST_LIMIT = 255
# Drop-downs cover the rows an import may hold (the default row limit).
VALIDATED_ROWS = 200_000
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
REQUIRED_MARK = "*"


def template_filename(importer: Importer, *, with_data: bool) -> str:
    if with_data:
        return f"{importer.entity}-{clock.today():%Y%m%d}.xlsx"
    return f"{importer.entity}-template-v{versions.current(importer.entity).version}.xlsx"


def template_workbook(importer: Importer, *, user, with_data: bool) -> bytes:
    """The template (``with_data=False``: one sample row) or the records ``user`` may see
    in the template's columns (``with_data=True``), as .xlsx bytes."""
    with tempfile.TemporaryFile(suffix=".xlsx") as handle:
        _write(handle, importer, user=user, with_data=with_data)
        handle.seek(0)
        return handle.read()


def template_response(importer: Importer, *, user, with_data: bool) -> FileResponse:
    """The download of :func:`template_workbook`, streamed from a temporary file."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    _write(handle, importer, user=user, with_data=with_data)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=template_filename(importer, with_data=with_data),
        content_type=XLSX,
    )


def _language(user) -> str:
    return getattr(user, "language", "") or translation.get_language() or "zh-hans"


def _zh(language: str) -> bool:
    return language.lower().startswith("zh")


def _label(field: Field, language: str) -> str:
    zh, en = field.names()
    return zh if _zh(language) else en


def _choice_labels(field: Field, language: str) -> list[tuple[str, str]]:
    """(value, label in ``language``) for a CHOICE or BOOL field."""
    if field.kind == Kind.BOOL:
        return [("true", _("Yes")), ("false", _("No"))]
    return [(value, zh if _zh(language) else en) for value, zh, en in field.choice_labels()]


def _write(target, importer: Importer, *, user, with_data: bool) -> None:
    import xlsxwriter

    language = _language(user)
    version = versions.current(importer.entity)
    with translation.override(language):
        fields = importer.fields()
        book = xlsxwriter.Workbook(target, {"constant_memory": True})
        formats = {
            "header": book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1}),
            "required": book.add_format(
                {"bold": True, "font_color": "#B42318", "bg_color": "#EEF2F7", "border": 1}
            ),
            "money": book.add_format({"num_format": MONEY_FORMAT}),
            "date": book.add_format({"num_format": DATE_FORMAT}),
            "datetime": book.add_format({"num_format": DATETIME_FORMAT}),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
            "bold": book.add_format({"bold": True}),
        }
        sheet = book.add_worksheet(_sheet_name(force_str(importer.label)))
        notes = book.add_worksheet(pgettext("template sheet", "Notes"))
        lists = None
        long_lists = [
            f
            for f in fields
            if f.kind in (Kind.CHOICE, Kind.BOOL) and _needs_list_sheet(f, language)
        ]
        if long_lists:
            lists = book.add_worksheet(LIST_SHEET)
        meta = book.add_worksheet(files.META_SHEET)

        sample = None if with_data else _sample_row(fields, user, language)
        _data_sheet(sheet, fields, language, formats, long_lists)
        rows: Iterable[dict] = importer.export_rows(user) if with_data else [sample]
        for row_no, row in enumerate(rows, start=1):
            for col, field in enumerate(fields):
                _write_cell(sheet, row_no, col, field, row.get(field.key), language, formats)
        _notes_sheet(notes, fields, language, formats)
        if lists is not None:
            _lists_sheet(lists, long_lists, language)
            lists.hide()
        meta.write_string(0, 0, "entity")
        meta.write_string(0, 1, importer.entity)
        meta.write_string(1, 0, "version")
        meta.write_number(1, 1, version.version)
        meta.hide()
        book.close()


def _sheet_name(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text.strip()[:31] or "Sheet1"


def _needs_list_sheet(field: Field, language: str) -> bool:
    """Whether the drop-down must refer to a range: an inline list is comma-separated
    and at most 255 characters, so a long list or a label holding a comma cannot be."""
    labels = [label for _v, label in _choice_labels(field, language)]
    return len(",".join(labels)) >= INLINE_LIST_LIMIT or any(
        "," in label or '"' in label for label in labels
    )


def _width(text: str) -> float:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _data_sheet(sheet, fields: list[Field], language: str, formats: dict, long_lists) -> None:
    long_columns = {f.key: index for index, f in enumerate(long_lists)}
    for col, field in enumerate(fields):
        label = _label(field, language)
        header = f"{label}{REQUIRED_MARK}" if field.required else label
        width = max(10, min(40, _width(header) + 4))
        if field.kind in (Kind.DATE, Kind.DATETIME, Kind.MONEY):
            width = max(width, 16)
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, header, formats["required" if field.required else "header"])
        if field.kind not in (Kind.CHOICE, Kind.BOOL):
            continue
        labels = [label for _v, label in _choice_labels(field, language)]
        if not labels:
            continue
        options = {
            "validate": "list",
            "error_type": "warning",
            "error_title": label[:32],
            "error_message": (
                _("Choose one of the list: %(choices)s") % {"choices": "、".join(labels)}
            )[:255],
        }
        if field.key in long_columns:
            letter = files.column_letter(long_columns[field.key])
            options["source"] = f"={LIST_SHEET}!${letter}$1:${letter}${len(labels)}"
        else:
            options["source"] = labels
        sheet.data_validation(1, col, VALIDATED_ROWS, col, options)
    sheet.freeze_panes(1, 0)


def _sample_row(fields: list[Field], user, language: str) -> dict:
    """A typed example for each column: the shapes people copy."""
    today = clock.today()
    row = {}
    for field in fields:
        kind = field.kind
        if kind == Kind.BOOL:
            row[field.key] = True
        elif kind == Kind.CHOICE:
            labels = _choice_labels(field, language)
            row[field.key] = labels[0][0] if labels else None
        elif kind == Kind.DATE:
            row[field.key] = today
        elif kind == Kind.DATETIME:
            row[field.key] = dt.datetime.combine(today, dt.time(9, 30))
        elif kind == Kind.MONEY:
            row[field.key] = Decimal("12800.00")
        elif kind == Kind.INT:
            row[field.key] = 10
        elif kind == Kind.DECIMAL:
            row[field.key] = Decimal("12.5")
        elif kind == Kind.PHONE:
            row[field.key] = "13800138000"
        elif kind == Kind.EMAIL:
            row[field.key] = "name@example.com"
        elif kind == Kind.REF and "owner" in field.key:
            row[field.key] = user_name(user)
        else:
            row[field.key] = _("Example: %(name)s") % {"name": _label(field, language)}
    return row


def _write_cell(sheet, row: int, col: int, field: Field, value, language: str, formats) -> None:
    if value is None or value == "":
        return
    if field.kind == Kind.CHOICE:
        value = _choice_text(field, value, language)
    if isinstance(value, bool):
        sheet.write_string(row, col, _("Yes") if value else _("No"))
    elif isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, formats["date"])
    elif isinstance(value, int | float | Decimal):
        number_format = formats["money"] if field.kind == Kind.MONEY else None
        sheet.write_number(row, col, float(value), number_format)
    elif isinstance(value, list | tuple | set):
        sheet.write_string(row, col, "、".join(str(v) for v in value))
    else:
        sheet.write_string(row, col, str(value))


def _choice_text(field: Field, value, language: str):
    """A stored choice code (or a bool) as its label in ``language``; unknown codes as
    they are, so nothing is lost."""
    if field.kind == Kind.BOOL:
        return value
    for code, label in _choice_labels(field, language):
        if str(value) == code:
            return label
    return value


def _kind_text(field: Field) -> str:
    texts = {
        Kind.TEXT: _("Text"),
        Kind.INT: _("Whole number, e.g. 10"),
        Kind.DECIMAL: _("Number, e.g. 12.5 or 12.5%"),
        Kind.MONEY: _("Amount of money, e.g. 12800, ¥12,800.00, 1.28万 or 12800元"),
        Kind.DATE: _(
            "Date: 2026-11-03, 2026/11/3, 2026年11月3日, 2026.11.3, 20261103 or an Excel date"
        ),
        Kind.DATETIME: _("Date and time, e.g. 2026-11-03 09:30 or an Excel date and time"),
        Kind.BOOL: _("Yes or no: 是/否, yes/no, Y/N, 1/0"),
        Kind.CHOICE: _("One of the choices (the label in Chinese or English, or its code)"),
        Kind.PHONE: _("Phone number, e.g. 13800138000 or 021-12345678"),
        Kind.EMAIL: pgettext("import template", "Email address"),
        Kind.REF: _("The name of an existing record (a user's username or name, a company name)"),
    }
    return texts.get(field.kind, texts[Kind.TEXT])


def _notes_sheet(notes, fields: list[Field], language: str, formats: dict) -> None:
    headers = [
        pgettext("import template", "Column"),
        _("Required"),
        _("Type and accepted formats"),
        _("Choices"),
        _("Notes"),
    ]
    for col, (header, width) in enumerate(zip(headers, (22, 8, 50, 40, 40), strict=True)):
        notes.set_column(col, col, width, formats["wrap"])
        notes.write_string(0, col, header, formats["bold"])
    for row, field in enumerate(fields, start=1):
        labels = "、".join(label for _v, label in _choice_labels(field, language))
        notes.write_string(row, 0, _label(field, language))
        notes.write_string(row, 1, _("Yes") if field.required else _("No"))
        notes.write_string(row, 2, _kind_text(field))
        if field.kind == Kind.CHOICE and labels:
            notes.write_string(row, 3, labels)
        if field.help:
            notes.write_string(row, 4, force_str(field.help))
    tail = len(fields) + 2
    notes.write_string(
        tail,
        0,
        _(
            "Columns marked * are required. Keep the first row as it is; one record per row. "
            "Do not type formulas: paste values only."
        ),
    )
    notes.freeze_panes(1, 0)


def _lists_sheet(lists, long_lists: list[Field], language: str) -> None:
    """One column per long choice list, written row by row (constant_memory needs rows
    in order)."""
    columns = [[label for _v, label in _choice_labels(f, language)] for f in long_lists]
    for row in range(max(len(c) for c in columns)):
        for col, labels in enumerate(columns):
            if row < len(labels):
                lists.write_string(row, col, labels[row])
