"""Export a queryset as CSV or Excel, for any list page or API endpoint.

The caller passes the queryset it already filtered and scoped by visibility, so an export
holds exactly the rows the user was looking at. Rows are read with ``.iterator()`` and
written as they come, so memory stays flat however long the list is.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
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

from . import clock

Accessor = str | Callable[[Any], Any]
Column = tuple[Any, Accessor]

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 2000
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
    """The headers, the column getters and the cell conversion of one export.

    Built while the view runs: a CSV is written after the view has returned, when the
    request's language and time zone may no longer be active, so everything translated
    or zoned is settled here first.
    """

    def __init__(self, queryset, columns: list[Column]):
        self.queryset = queryset
        self.headers = [force_str(header) for header, _a in columns]
        self.getters = [column_getter(queryset.model, accessor) for _h, accessor in columns]
        self.tz = timezone.get_current_timezone()
        self.yes, self.no = _("Yes"), _("No")

    def rows(self) -> Iterator[list]:
        for obj in self.queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [self.cell(get(obj)) for get in self.getters]

    def cell(self, value):
        """Numbers and dates stay typed, times are shown in the organisation's time zone
        (spreadsheets have no zones), everything else becomes text."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, int | float | Decimal):
            return value
        if isinstance(value, dt.datetime):
            if timezone.is_aware(value):
                value = value.astimezone(self.tz)
            return value.replace(tzinfo=None, microsecond=0)
        if isinstance(value, dt.date):
            return value
        return force_str(value)


def _csv_text(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
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


class _Echo:
    """csv.writer needs a file; this one hands each written line back to the caller."""

    def write(self, value):
        return value


def _csv_stream(table: _Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(table.headers)
    for row in table.rows():
        yield writer.writerow([_csv_text(v) for v in row])


def _xlsx_file(table: _Table):
    """Write the workbook to an anonymous temp file (deleted when the response closes it)."""
    import xlsxwriter

    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    # constant_memory flushes each row to disk as it is written, so 100,000 rows do not
    # sit in memory; it needs rows in order, which is how we write them.
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for col, header in enumerate(table.headers):
        sheet.set_column(col, col, max(10, min(40, len(header) * 2 + 2)))
        sheet.write_string(0, col, header, bold)
    sheet.freeze_panes(1, 0)
    for row_no, row in enumerate(table.rows(), start=1):
        for col, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(row_no, col, value, datetime_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row_no, col, value, date_format)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(row_no, col, value)
            else:
                # write_string, never write(): a cell starting with "=" stays text, so a
                # record's name cannot smuggle a formula into the workbook.
                sheet.write_string(row_no, col, value)
    workbook.close()
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
