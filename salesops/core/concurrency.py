"""Optimistic concurrency for every edit (issue 11, item 10b): a stale edit is refused
instead of silently overwriting what someone else saved in between.

A record's version is its ``updated_at`` (every :class:`~salesops.core.models.BaseModel`
has one, and each save moves it forward), written as microseconds since the epoch. The
API sends it as the ``ETag`` of a GET and of a successful PATCH/PUT; a PATCH/PUT that
sends ``If-Match`` with another version gets a 409 ``{"code": "conflict", …}`` saying
who changed the record and when. Edit forms carry it in a hidden ``version`` field
(``core.forms.PageFormMixin``); a stale form is shown again with the user's input and a
conflict message.

The check is race safe: :func:`claim` runs a conditional ``UPDATE … SET updated_at =
updated_at WHERE pk = … AND updated_at = <version>`` inside the writing transaction. The
UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit, so of two edits
read at the same version the second waits and then finds the version moved on.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.utils.translation import gettext as _

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICRO = dt.timedelta(microseconds=1)


def version_of(instance) -> str:
    """The record's version as text (empty for an unsaved record)."""
    stamp = getattr(instance, "updated_at", None)
    if stamp is None or instance.pk is None:
        return ""
    return str((stamp - EPOCH) // MICRO)


def etag_of(instance) -> str:
    return f'"{version_of(instance)}"'


def parse_version(text) -> dt.datetime | None:
    """The instant a version names; None when ``text`` is not a version."""
    text = str(text or "").strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        return None
    try:
        return EPOCH + int(text) * MICRO
    except OverflowError:
        return None


class ConflictError(ValidationError):
    """The record changed since the client read it (or no longer exists). A
    ``ValidationError``, so a page's usual error handling shows it on the form
    (``core.forms.attach_service_errors``)."""

    def __init__(self, current):
        self.current = current
        self.changed_by, self.changed_at = last_change(current)
        super().__init__(self.text, code="conflict")

    @property
    def text(self) -> str:
        if self.current is None:
            return _("This record was deleted after you opened it.")
        params = {
            "who": self.changed_by or _("someone"),
            "when": self.changed_at.isoformat(timespec="seconds") if self.changed_at else "?",
        }
        return (
            _(
                "This record was changed by %(who)s at %(when)s, after you opened it. "
                "Your changes were not saved; reload it and apply them again."
            )
            % params
        )

    def payload(self) -> dict:
        return {
            "code": "conflict",
            "message": self.text,
            "field": None,
            "errors": [],
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "etag": etag_of(self.current) if self.current is not None else None,
        }


def last_change(instance) -> tuple[str | None, dt.datetime | None]:
    """Who saved ``instance`` last and when, from its history when it keeps one."""
    if instance is None:
        return None, None
    history = getattr(instance, "history", None)
    row = history.order_by("-history_date", "-pk").first() if history is not None else None
    user = getattr(row, "history_user", None) if row is not None else None
    who = (getattr(user, "label", None) or str(user)) if user is not None else None
    return who, getattr(instance, "updated_at", None)


def claim(model, pk, version) -> None:
    """Within the writing transaction: go on only if the stored row is still at
    ``version`` (nothing to check when ``version`` is empty). Raises
    :class:`ConflictError` otherwise."""
    if version in (None, "", "*"):
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() must run inside the transaction that writes the record.")
    stamp = parse_version(version)
    rows = model._base_manager.filter(pk=pk)
    if stamp is not None and rows.filter(updated_at=stamp).update(updated_at=F("updated_at")):
        return
    raise ConflictError(rows.first())


def claim_instance(instance, version) -> None:
    claim(type(instance), instance.pk, version)


# --- the API ---------------------------------------------------------------------------------

IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of the record as you read it. If the record changed since, "
    "the change is refused with 409 (code “conflict”). Without it the change is applied.",
}
ETAG_HEADER_DOC = {
    "ETag": {
        "description": "The record's version; send it back in If-Match when you change it.",
        "schema": {"type": "string"},
    }
}
CONFLICT_DOC = {
    "description": "The record changed since the If-Match version was read: "
    '{"code": "conflict", "message", "field": null, "errors": [], "changed_by", '
    '"changed_at", "etag"}.',
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "example": "conflict"},
                    "message": {"type": "string"},
                    "field": {"type": "string", "nullable": True},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "changed_by": {"type": "string", "nullable": True},
                    "changed_at": {"type": "string", "format": "date-time", "nullable": True},
                    "etag": {"type": "string", "nullable": True},
                },
            }
        }
    },
}


def _merge(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key].extend(value)
        else:
            target[key] = value


def _attach(func, wrap_run, openapi: dict, wrap_view=None):
    """Wrap the django-ninja operation of ``func`` (decorated below ``@router.<verb>``):
    ``wrap_run`` around the whole operation (authentication, parsing, the view and the
    response), ``wrap_view`` around the view function alone."""
    from ninja.utils import contribute_operation_callback

    def contribute(operation):
        if wrap_view is not None:
            operation.view_func = wrap_view(operation.view_func)
        operation.run = wrap_run(operation.run)
        # A router mounted twice clones its operations and re-applies these.
        operation._run_decorators = [*getattr(operation, "_run_decorators", []), wrap_run]
        extra = dict(operation.openapi_extra or {})
        _merge(extra, openapi)
        operation.openapi_extra = extra

    contribute_operation_callback(func, contribute)
    return func


def _record_version(model, pk) -> str | None:
    row = model._base_manager.filter(pk=pk).values_list("updated_at", flat=True).first()
    return None if row is None else str((row - EPOCH) // MICRO)


def _visible(model, user, pk) -> bool:
    """Whether ``user`` may see the record: a 409 says who changed it, which must not
    tell anyone about a record they cannot open."""
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user).filter(pk=pk).exists()
    return True


def _set_etag(response, model, pk) -> None:
    if 200 <= response.status_code < 300:
        version = _record_version(model, pk)
        if version is not None:
            response["ETag"] = f'"{version}"'


def with_etag(model, pk_arg: str):
    """For a GET of one record: answer with its ``ETag``. Put it below ``@router.get``."""

    def wrap_run(run):
        @functools.wraps(run)
        def wrapper(request, **kw):
            response = run(request, **kw)
            if pk_arg in kw:
                _set_etag(response, model, kw[pk_arg])
            return response

        return wrapper

    openapi = {"responses": {200: {"description": "OK", "headers": ETAG_HEADER_DOC}}}
    return lambda func: _attach(func, wrap_run, openapi)


def if_match(model, pk_arg: str, *, visible=None):
    """For a PATCH/PUT of one record: honour ``If-Match`` (409 when the record moved on),
    write in one transaction with the check, answer with the new ``ETag``. Put it below
    ``@router.patch``. ``visible(user, pk)`` says whether the user may see the record,
    for a model without ``visible_to`` (configuration only some roles manage): for anyone
    else the view answers (403/404) and no 409 names who changed it."""

    def wrap_run(run):
        # The whole operation in one transaction, so the claim below holds until commit;
        # an error the operation turned into a response still rolls everything back.
        @functools.wraps(run)
        def wrapper(request, **kw):
            with transaction.atomic():
                response = run(request, **kw)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
            _set_etag(response, model, kw.get(pk_arg))
            return response

        return wrapper

    def wrap_view(view):
        # Runs after authentication, inside the transaction opened above.
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            pk = kwargs.get(pk_arg)
            may_see = visible(request.user, pk) if visible else _visible(model, request.user, pk)
            if may_see:  # otherwise the view answers 403/404
                try:
                    claim(model, pk, request.headers.get("If-Match"))
                except ConflictError as exc:
                    return JsonResponse(exc.payload(), status=409)
            return view(request, *args, **kwargs)

        return checked

    openapi = {
        "parameters": [IF_MATCH_DOC],
        "responses": {
            200: {"description": "OK", "headers": ETAG_HEADER_DOC},
            409: CONFLICT_DOC,
        },
    }
    return lambda func: _attach(func, wrap_run, openapi, wrap_view)
