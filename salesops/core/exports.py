"""Export a queryset as CSV or Excel, for any list page or API endpoint.

The caller passes the queryset it already filtered and scoped by visibility, so an export
holds exactly the rows the user was looking at. Rows are read with ``.iterator()`` and
written as they come, so memory stays flat however long the list is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from . import clock, xlsxstream

Accessor = str | Callable[[Any], Any]
Column = tuple[Any, Accessor]

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 2000
CSV_ROWS_PER_CHUNK = 500
# Excel without a byte-order mark reads UTF-8 CSV as the local ANSI code page and turns
# Chinese into mojibake.
BOM = "\ufeff"
# Spreadsheet apps run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RowList:
    """Rows computed in Python (a list of dicts) with the little of a queryset that
    :func:`export_response` reads, for exports of pages that are not one queryset."""

    def __init__(self, rows: list, model=None):
        self.rows = rows
        # The rows' model, when they are model instances: choice columns show labels.
        self.model = model

    def count(self) -> int:
        return len(self.rows)

    def iterator(self, chunk_size=None):
        return iter(self.rows)


class Formatted:
    """A column made from one field by a function (``Formatted("phone", display_phone)``):
    read with ``values_list`` like a plain path, and still a getter for the exports that
    read model instances."""

    def __init__(self, path: str, function: Callable[[Any], Any]):
        self.path, self.function = path, function
        self._get = None

    def __call__(self, obj):
        if self._get is None:
            self._get = column_getter(type(obj), self.path)
        value = self._get(obj)
        return None if value is None else self.function(value)


class ExportTooLarge(ValidationError):
    """The filtered list is longer than ``SALESOPS["EXPORT_MAX_ROWS"]``."""


def column_getter(model, accessor: Accessor) -> Callable[[Any], Any]:
    """A function giving one column's value for a row: a callable accessor gets the row;
    a string is a dotted attribute path (``"owner.label"``), ``None`` if a link along it
    is empty. A model field with choices shows its label, like the pages do."""
    if callable(accessor):
        return accessor
    parts = accessor.split(".")
    field = _path_field(model, parts)
    # Built once per export: Django's get_FOO_display() rebuilds and hashes the choice
    # list on every call, which made choice columns most of the cost of a large export.
    labels = (
        {k: force_str(v) for k, v in field.flatchoices}
        if field is not None and field.flatchoices
        else None
    )

    def get(obj):
        value = obj
        for part in parts:
            if value is None:
                return None
            value = getattr(value, part)
        if callable(value):
            value = value()
        if labels is not None:
            return labels.get(value, value)
        return value

    return get


def _path_field(model, parts: list[str]):
    """The model field a dotted path ends at, or ``None`` (a property, a method)."""
    field = None
    for i, part in enumerate(parts):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model if i < len(parts) - 1 else None
    return field


class _Table:
    """The headers, the rows and the cell conversion of one export.

    Built while the view runs: a CSV is written after the view has returned, when the
    request's language and time zone may no longer be active, so everything translated
    or zoned is settled here first.

    Rows come from ``values_list`` when every column is a path the database can give
    (:func:`columns_plan`): a choice column is turned into its label by a dict, a path
    ending past a foreign key (``owner.label``) reads the related row once per export
    and keeps the result by id. Otherwise every row is a model instance read through
    the column getters (a callable accessor, a property of the row's own model).
    """

    def __init__(self, queryset, columns: list[Column]):
        self.queryset = queryset
        self.headers = [force_str(header) for header, _a in columns]
        self.tz = timezone.get_current_timezone()
        self.yes, self.no = _("Yes"), _("No")
        self.plan = columns_plan(queryset, [accessor for _h, accessor in columns])
        if self.plan is None:
            self.getters = [column_getter(queryset.model, accessor) for _h, accessor in columns]
        self.labels = {}
        for index, step in enumerate(self.plan or ()):
            if step.kind == "related":
                step.labels = {}  # filled per chunk, kept for the export
            elif step.labels is not None:
                self.labels[index] = step.labels

    def rows(self) -> Iterator[list]:
        if self.plan is None:
            getters = self.getters
            cell = self.cell
            for obj in self.queryset.iterator(chunk_size=CHUNK_SIZE):
                yield [cell(get(obj)) for get in getters]
            return
        yield from self._value_rows()

    def _value_rows(self) -> Iterator[list]:
        plan = self.plan
        paths = ["pk", *(step.path for step in plan)]
        values = self.queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)
        related = [(i, step) for i, step in enumerate(plan) if step.kind == "related"]
        functions = [(i, step.function) for i, step in enumerate(plan) if step.function]
        labels = list(self.labels.items())
        cell = self.cell
        while chunk := list(islice(values, CHUNK_SIZE)):
            for index, step in related:
                step.load({row[index + 1] for row in chunk})
            for raw in chunk:
                row = list(raw[1:])
                for index, known in labels:
                    value = row[index]
                    row[index] = known.get(value, value)
                for index, step in related:
                    value = row[index]
                    if value is not None:
                        row[index] = step.labels[value]
                for index, function in functions:
                    value = row[index]
                    if value is not None:
                        row[index] = function(value)
                yield [v if type(v) is str else cell(v) for v in row]

    def cell(self, value):
        """Numbers and dates stay typed, times are shown in the organisation's time zone
        (spreadsheets have no zones), everything else becomes text."""
        if value is None:
            return ""
        kind = type(value)
        if kind is str or kind is int:
            return value
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, int | float | Decimal):
            return value
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(self.tz)
            return value.replace(tzinfo=None, microsecond=0)
        if isinstance(value, dt.date):
            return value
        return force_str(value)


class _Step:
    """How one column comes out of ``values_list``: ``path`` (``team__name``), and either
    a field's value (``labels``: its choices' labels, or None) or, ``kind`` "related", the
    id of a related row whose ``getter`` gives the cell, each id's result kept."""

    __slots__ = ("kind", "path", "labels", "model", "getter", "function")

    def __init__(self, kind: str, path: str, labels=None, model=None, getter=None):
        self.kind, self.path, self.labels = kind, path, labels
        self.model, self.getter = model, getter
        self.function = None  # a Formatted column's function of the value

    def load(self, ids: set) -> None:
        missing = [pk for pk in ids if pk is not None and pk not in self.labels]
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            found = self.model._base_manager.in_bulk(part)
            for pk in part:
                obj = found.get(pk)
                self.labels[pk] = None if obj is None else self.getter(obj)


def columns_plan(queryset, accessors: list) -> list[_Step] | None:
    """One :class:`_Step` per column when every accessor can be read with
    ``values_list`` (a dotted path along forward foreign keys to a field, a choice
    field's ``get_FOO_display``, an annotation; or past a foreign key to a property of
    the related row); None when a column needs the row's own instance."""
    model = getattr(queryset, "model", None)
    query = getattr(queryset, "query", None)
    if model is None or query is None or not hasattr(queryset, "values_list"):
        return None
    if getattr(query, "combinator", None):
        return None
    plan = []
    for accessor in accessors:
        step = _step(model, accessor, set(getattr(query, "annotations", {})))
        if step is None:
            return None
        plan.append(step)
    return plan


_DISPLAY = re.compile(r"^get_(\w+)_display$")


def _step(model, accessor, annotations: set) -> _Step | None:
    if isinstance(accessor, Formatted):
        step = _step(model, accessor.path, annotations)
        if step is None or step.kind != "value" or step.labels is not None:
            return None
        step.function = accessor.function
        return step
    if callable(accessor):
        return None
    parts = accessor.split(".")
    if len(parts) == 1 and parts[0] in annotations:
        return _Step("value", parts[0])
    current, path = model, []
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part == "pk" and index == last:
            return _Step("value", "__".join([*path, "pk"]))  # the id, whatever the pk is
        display = _DISPLAY.match(part)
        if display and index == len(parts) - 1:
            field = _concrete(current, display.group(1))
            label_of = getattr(getattr(current, part, None), "label_of", None)
            if field is not None and not field.is_relation and label_of is not None:
                # A code of a list kept as data (``core.choices.display_method``).
                step = _Step("value", "__".join([*path, field.name]))
                step.function = _memo(label_of)
                return step
            if field is None or not field.flatchoices or field.is_relation:
                return None
            labels = {k: force_str(v) for k, v in field.flatchoices}
            return _Step("value", "__".join([*path, field.name]), labels)
        field = _concrete(current, part)
        if field is None:
            if not path:
                return None  # a property of the row itself: needs the instance
            # Past a foreign key: the related row's attribute, read once per id.
            getter = column_getter(current, ".".join(parts[index:]))
            return _Step("related", "__".join(path), model=current, getter=getter)
        if field.is_relation and part == field.attname != field.name:
            if index != last:
                return None
            return _Step("value", "__".join([*path, part]))  # ``owner_id``: the id itself
        if field.is_relation:
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                return None
            path.append(field.name)
            if index == len(parts) - 1:
                # The related row itself: its text, like the getter's ``str(obj)``.
                return _Step(
                    "related", "__".join(path), model=field.related_model, getter=lambda obj: obj
                )
            current = field.related_model
            continue
        if index != len(parts) - 1:
            return None  # an attribute of a plain value
        labels = {k: force_str(v) for k, v in field.flatchoices} if field.flatchoices else None
        return _Step("value", "__".join([*path, field.name]), labels)
    return None


def _memo(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` computed once per distinct value of the export."""
    known: dict = {}

    def get(value):
        try:
            return known[value]
        except KeyError:
            result = known[value] = function(value)
            return result

    return get


def _concrete(model, name: str):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not getattr(field, "concrete", False) or field.many_to_many:
        return None
    return field


def _csv_text(value) -> str:
    if isinstance(value, dt.datetime):
        return (
            value.isoformat(" ") if value.microsecond == 0 else value.strftime("%Y-%m-%d %H:%M:%S")
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # A phone number like +8613800138000 is harmless; anything else starting with a
    # formula character gets a leading apostrophe so it is shown, not executed.
    if text.startswith(_FORMULA_START) and not _plain_number(text):
        return "'" + text
    return text


def _plain_number(text: str) -> bool:
    return (
        len(text) > 1 and text[0] in "+-" and text[1:].replace(" ", "").replace(".", "").isdigit()
    )


def _csv_stream(table: _Table) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    yield BOM + buffer.getvalue()
    start = _FORMULA_START
    rows = []
    for row in table.rows():
        # Text that cannot be a formula (most of it) is written as it is.
        rows.append(
            [v if type(v) is str and not v.startswith(start) else _csv_text(v) for v in row]
        )
        if len(rows) == CSV_ROWS_PER_CHUNK:
            yield _csv_chunk(buffer, writer, rows)
    if rows:
        yield _csv_chunk(buffer, writer, rows)


def _csv_chunk(buffer, writer, rows: list) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(rows)
    rows.clear()
    return buffer.getvalue()


def _xlsx_file(table: _Table):
    """Write the workbook to an anonymous temp file (deleted when the response closes it).
    Text is always an inline string, never a formula, so a record's name cannot smuggle
    one into the workbook."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    widths = [max(10, min(40, len(header) * 2 + 2)) for header in table.headers]
    writer = xlsxstream.SheetWriter(handle, table.headers, widths)
    writer.write_rows(table.rows())
    writer.close()
    handle.seek(0)
    return handle


def export_filename(stem: str, fmt: str) -> str:
    return f"{stem}-{clock.today():%Y%m%d}.{fmt}"


def export_response(queryset, columns: Iterable[Column], fmt: str, filename: str):
    """A download of ``queryset`` with one column per ``(header, accessor)`` pair.

    ``fmt`` is ``"csv"`` or ``"xlsx"`` (anything else is a 404, like an unknown URL);
    ``filename`` is the stem, the date and extension are added (``accounts-20261123.xlsx``).
    Raises :class:`ExportTooLarge` when the list has more rows than the configured cap,
    before anything is written.
    """
    if fmt not in FORMATS:
        raise Http404(_("Unknown export format “%(fmt)s”.") % {"fmt": fmt})
    columns = list(columns)
    limit = settings.SALESOPS.get("EXPORT_MAX_ROWS", 100_000)
    count = queryset.count()
    if count > limit:
        raise ExportTooLarge(
            _(
                "This list has %(count)d rows; exports are limited to %(limit)d. "
                "Narrow it down with the search or the filters and export again."
            )
            % {"count": count, "limit": limit},
            code="export_too_large",
        )
    name = export_filename(filename, fmt)
    table = _Table(queryset, columns)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(table), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(
        _xlsx_file(table),
        as_attachment=True,
        filename=name,
        content_type=FORMATS["xlsx"],
    )


def export_or_back(request, filterset, columns, fmt: str, stem: str, list_route: str):
    """The download of a list page's filtered rows, or back to the same filtered list with
    the reason it was refused (invalid filters, too many rows)."""
    back = reverse(list_route) + (f"?{request.GET.urlencode()}" if request.GET else "")
    if not filterset.is_valid():
        messages.error(request, _("The filters are not valid; fix them and export again."))
        return redirect(back)
    try:
        return export_response(filterset.qs, columns, fmt, stem)
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)


def queryset_export_or_back(request, queryset, columns, fmt: str, stem: str, back: str):
    """The download of a list that is not driven by a FilterSet (the view filtered and
    scoped ``queryset`` itself), or back to ``back`` (the list's URL with its query) with
    the reason it was refused."""
    try:
        return export_response(queryset, columns, fmt, stem)
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)


def back_to(request, list_route: str, *args) -> str:
    """The list page's URL with the export request's query (minus nothing: the same
    filters)."""
    query = request.GET.urlencode()
    return reverse(list_route, args=args) + (f"?{query}" if query else "")
