"""What the REST API (salesops/api.py) needs to refuse bad input with a 4xx and to say so in
its OpenAPI, whatever the endpoint:

* :class:`SafeParser` refuses text a database cannot store (a lone UTF-16 surrogate such as
  ``"\\ud800"``, a NUL character) in a JSON body or a query string, naming the field;
* :func:`harden_operations` walks every operation's input models once, after the routers are
  added, and

  - bounds every integer to what the database stores (64 bits for ids and query values,
    32 bits for other numbers in a body: they land in ``IntegerField`` columns), so
    ``?owner=100000000000000000000`` is a 422, not an OverflowError / DataError;
  - makes ``null`` for a text field the model stores as NOT NULL honest: accepted as ""
    where the field may be blank, refused (the schema no longer says nullable) where not;

* :func:`add_error_responses` documents the error responses every operation can give
  (400, 401, 403, 404, 409, 413, 422, 429) with the one error schema;
* :func:`protected_summary` names what blocks a delete ("3 contracts, 2 tickets");
* :func:`schema_name_clashes` finds two different schemas published under one component name.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Annotated, Any

import annotated_types as at
from django.apps import apps
from django.db import models as djm
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Schema
from ninja.parser import Parser
from pydantic import BaseModel, BeforeValidator

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
ERROR_SCHEMA = "ApiError"


# --------------------------------------------------------------------------- text ---------


class UnsafeInput(Exception):
    """Input no database can store, refused as a 422 naming ``field``."""

    def __init__(self, field: str | None, message: str, code: str = "invalid_text"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return _("Text may not contain NUL (\\u0000) characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text may not contain unpaired UTF-16 surrogates (such as \\ud800).")
    return None


def check_text(data: Any, path: tuple = ()) -> None:
    """Raise :class:`UnsafeInput` for the first string (value or key) in ``data`` that a
    database cannot store."""
    if isinstance(data, str):
        problem = _text_problem(data)
        if problem:
            raise UnsafeInput(".".join(str(p) for p in path) or None, problem)
    elif isinstance(data, dict):
        for key, value in data.items():
            check_text(key, (*path, key) if isinstance(key, str) and key.isprintable() else path)
            check_text(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            check_text(value, (*path, index))


class SafeParser(Parser):
    """ninja's JSON parser, refusing unstorable text in the body and the query string."""

    def parse_body(self, request):
        data = json.loads(request.body)
        check_text(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        for key, value in result.items():
            check_text(key, ())
            check_text(value, (key,))
        return result


# ----------------------------------------------------------------------- integers -------


def _has_bounds(metadata) -> bool:
    return any(isinstance(m, (at.Ge, at.Gt, at.Le, at.Lt, at.Interval)) for m in metadata)


def _bound(tp, lo_hi):
    """``tp`` with every plain ``int`` in it (also inside unions and lists) bounded."""
    origin = typing.get_origin(tp)
    if tp is int:
        return Annotated[int, at.Ge(lo_hi[0]), at.Le(lo_hi[1])]
    if origin is Annotated:
        inner, *meta = typing.get_args(tp)
        if inner is int and _has_bounds(meta):
            return tp
        bounded = _bound(inner, lo_hi)
        return tp if bounded is inner else Annotated[(bounded, *meta)]
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        new = tuple(_bound(a, lo_hi) for a in args)
        return tp if new == args else typing.Union[new]  # noqa: UP007
    if origin in (list, set, frozenset, tuple):
        args = typing.get_args(tp)
        if origin is tuple or len(args) != 1:
            return tp
        new = _bound(args[0], lo_hi)
        return tp if new is args[0] else origin[new]
    return tp


def _submodels(tp) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _submodels(arg)]


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_ids"))


# --------------------------------------------------------------------- null text --------

_TEXT_FIELDS = (djm.CharField, djm.TextField)


def _null_as_empty(value):
    return "" if value is None else value


def _is_optional_str(tp) -> bool:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _is_optional_str(typing.get_args(tp)[0])
    args = typing.get_args(tp)
    return origin in (typing.Union, types.UnionType) and set(args) == {str, type(None)}


def model_for_schema(schema: type[BaseModel]):
    """The Django model a body schema writes: ``__model__`` on the schema if given, else the
    model of the schema's app whose name is the schema's without In/Patch/… (or the one
    model that name starts or ends, e.g. TicketPatch → ServiceTicket)."""
    explicit = getattr(schema, "__model__", None)
    if explicit is not None:
        return explicit or None
    base = schema.__name__
    for suffix in ("Patch", "Update", "Create", "In", "Body"):
        if base.endswith(suffix) and base != suffix:
            base = base[: -len(suffix)]
            break
    parts = schema.__module__.split(".")
    if len(parts) < 2:
        return None
    try:
        candidates = list(apps.get_app_config(parts[1]).get_models())
    except LookupError:
        return None
    base = base.lower()
    exact = [m for m in candidates if m.__name__.lower() == base]
    if exact:
        return exact[0]
    near = [
        m
        for m in candidates
        if m.__name__.lower().endswith(base) or m.__name__.lower().startswith(base)
    ]
    if len(near) == 1:
        return near[0]
    # AutomationRulePatch → Rule, NotificationChannelIn → Channel: the longest model name
    # the schema's name ends with
    suffixes = sorted(
        (m for m in candidates if base.endswith(m.__name__.lower())),
        key=lambda m: -len(m.__name__),
    )
    return suffixes[0] if suffixes else None


def not_null_text_field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001  (FieldDoesNotExist, or a reverse relation)
        return None
    if isinstance(field, _TEXT_FIELDS) and not field.null:
        return field
    return None


def _fix_null_text(schema: type[BaseModel], fname: str, finfo) -> bool:
    """``null`` for a NOT NULL text column: "" where blank is allowed, refused otherwise."""
    if not _is_optional_str(finfo.annotation):
        return False
    field = not_null_text_field(model_for_schema(schema), fname)
    if field is None:
        return False
    if field.blank:
        finfo.annotation = Annotated[str | None, BeforeValidator(_null_as_empty)]
        note = 'null is the same as "".'
        finfo.description = f"{finfo.description} {note}" if finfo.description else note
    else:
        finfo.annotation = str
        finfo.json_schema_extra = _drop_null_default
    return True


def _drop_null_default(schema: dict) -> None:
    if schema.get("default", 1) is None:
        del schema["default"]


# ------------------------------------------------------------------------- the walk -----


def _harden_model(model: type[BaseModel], source: str, done: set, top: bool) -> bool:
    """Bound the ints and fix null text of ``model`` and the models inside it; rebuild what
    changed. True when ``model`` was rebuilt."""
    key = (model, source)
    if key in done:
        return False
    done.add(key)
    changed = False
    for fname, finfo in model.model_fields.items():
        for sub in _submodels(finfo.annotation):
            changed |= _harden_model(sub, source, done, top=False)
        if source == "body" and not top:
            changed |= _fix_null_text(model, fname, finfo)
        if _has_bounds(finfo.metadata):
            continue
        lo_hi = INT32 if source == "body" and not top and not _is_id(fname) else INT64
        bounded = _bound(finfo.annotation, lo_hi)
        if bounded is not finfo.annotation:
            finfo.annotation = bounded
            changed = True
    if changed:
        model.model_rebuild(force=True)
    return changed


def harden_operations(api) -> None:
    """Run once after every router is added (the end of salesops/api.py)."""
    done: set = set()
    for operation in iter_operations(api):
        for model in operation.models:
            source = getattr(model, "__ninja_param_source__", "body")
            source = "body" if source in ("body", "form") else source
            _harden_model(model, source, done, top=True)


def iter_operations(api):
    for bound_router in api._get_bound_routers():
        for path_view in bound_router.path_operations.values():
            yield from path_view.operations


# ---------------------------------------------------------------------- responses -------


class ApiErrorItem(Schema):
    code: str
    field: str | None = None
    message: str


class ApiError(Schema):
    """The one error shape of the API."""

    code: str = Field(..., description="validation_error, not_found, forbidden, conflict, …")
    message: str
    field: str | None = None
    errors: list[ApiErrorItem] | None = None

    model_config = {"extra": "allow"}


ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    401: "No valid session or API token.",
    403: "Not allowed for this user (or the CSRF check failed on a session write).",
    404: "Not found, or not visible to this user.",
    409: "Conflict: a duplicate, or a record others depend on.",
    413: "The request body is too large.",
    422: "Invalid input; ``field`` names the first field at fault.",
    429: "Too many requests; try again later.",
}


def throttled_operation_ids(api) -> set[str]:
    """The operations with a ninja throttle (their own, their router's or the API's): they
    can answer 429."""
    ids = set()
    for operation in iter_operations(api):
        if getattr(operation, "throttle_objects", None):
            ids.add(operation.operation_id or api.get_openapi_operation_id(operation))
    return ids


def add_error_responses(schema: dict, throttled: set[str] = frozenset()) -> dict:
    """Document on every operation of an OpenAPI ``schema`` the errors it can give."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ApiError.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in error_schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components[ERROR_SCHEMA] = error_schema
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            statuses = {404}
            if operation.get("security"):
                statuses |= {401, 403}
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.add(422)
            if operation.get("requestBody"):
                statuses |= {400, 413}
            if method.lower() in ("post", "put", "patch", "delete"):
                statuses |= {403, 409, 422}
            if operation.get("operationId") in throttled:
                statuses.add(429)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                if status in responses or str(status) in responses:
                    continue
                responses[status] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": ref}},
                }
    return schema


# ---------------------------------------------------------------------- conflicts -------


def protected_summary(objects) -> str:
    """ "3 contracts, 2 tickets": what (protected) objects block a delete, by model."""
    counts: dict = {}
    for obj in objects:
        meta = obj._meta
        counts[meta] = counts.get(meta, 0) + 1
    parts = []
    for meta, n in sorted(counts.items(), key=lambda item: -item[1]):
        name = meta.verbose_name if n == 1 else meta.verbose_name_plural
        parts.append(f"{n} {name}")
    return ", ".join(parts)


def protected_message(objects) -> str:
    summary = protected_summary(objects)
    return capfirst(
        ngettext(
            "It cannot be deleted while %(what)s depends on it.",
            "It cannot be deleted while %(what)s depend on it.",
            len(list(objects)),
        )
        % {"what": summary}
    )


# ------------------------------------------------------------------ schema names --------


def schema_name_clashes(api) -> dict[str, list[str]]:
    """Component names under which two *different* schemas would be published: ninja keys
    its registry by class name, so the last model generated silently replaces the others
    (two identical small refs such as ``UserRef`` in two apps are harmless)."""
    seen: dict[str, dict[str, str]] = {}

    def visit(model, stack):
        if model in stack:
            return
        stack.add(model)
        if getattr(model, "__ninja_param_source__", None) is None and model.__name__ not in (
            "NinjaResponseSchema",
        ):
            definition = json.dumps(
                model.model_json_schema(ref_template="#/components/schemas/{model}"),
                sort_keys=True,
                default=str,
            )
            where = f"{model.__module__}.{model.__qualname__}"
            seen.setdefault(model.__name__, {}).setdefault(definition, where)
        for finfo in model.model_fields.values():
            for sub in _submodels(finfo.annotation):
                visit(sub, stack)

    for operation in iter_operations(api):
        for model in operation.models:
            visit(model, set())
        for model in (operation.response_models or {}).values():
            if isinstance(model, type) and issubclass(model, BaseModel):
                visit(model, set())
    return {
        name: sorted(by_definition.values())
        for name, by_definition in seen.items()
        if len(by_definition) > 1
    }
