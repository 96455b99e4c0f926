"""What an importer is (one per entity) and the registry of them.

An importer says which fields a row may carry (:class:`Field`, with zh-Hans and English
names and a kind the engine parses), who may import, how to check a row without writing
and how to write it — both through the same services the API uses — and how to list the
records for the "export for re-import" file (the template's columns, visibility
applied), so every entity round-trips.

The engine (:mod:`.engine`) parses the cells by kind before an importer sees a row: the
importer gets ``values`` as Python values (``None`` for an empty cell) keyed by field
key, custom fields as ``custom.<key>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from salesops.core import choices
from salesops.customization.selectors import definitions


class Kind:
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"  # a plain number (points, percent)
    MONEY = "money"  # ¥1,234.50, 1.2万 → Decimal with two places
    DATE = "date"  # 2026-11-03, 2026/11/3, 2026年11月3日, 2026.11.3, Excel serial numbers
    DATETIME = "datetime"
    BOOL = "bool"  # 是/否, yes/no, true/false, 1/0, Y/N
    CHOICE = "choice"  # by value, zh-Hans label or English label
    PHONE = "phone"  # text, normalised by the service
    EMAIL = "email"
    # A reference by its natural key (a user's username or name, an account's name or
    # credit code, a contract's number …): kept as text, the importer resolves it.
    REF = "ref"


@dataclass(frozen=True)
class Field:
    key: str  # model field name, or "custom.<key>"
    label: Any  # gettext_lazy text; the template shows it in the user's language
    kind: str = Kind.TEXT
    required: bool = False
    # (value, label) pairs for CHOICE; labels lazy, matched in zh-Hans and English
    choices: tuple = ()
    # other names a header may carry (older labels, common spreadsheet names)
    aliases: tuple[str, ...] = ()
    help: Any = ""
    # True: the field identifies the record (an external id, a contract number); the
    # row key is built from the identifying fields when the row fills them.
    identifies: bool = False
    # Names given as they are (custom fields, choice lists kept as data): no gettext.
    zh: str = ""
    en: str = ""

    def names(self) -> tuple[str, str]:
        """The label in zh-Hans and in English."""
        if self.zh or self.en:
            return self.zh or self.en, self.en or self.zh
        with translation.override("zh-hans"):
            zh = force_str(self.label)
        with translation.override("en"):
            en = force_str(self.label)
        return zh, en

    def choice_labels(self) -> list[tuple[str, str, str]]:
        """(value, zh-Hans label, English label) for each choice (worked out once per
        field: an import parses every row's cell with them)."""
        known = self.__dict__.get("_choice_labels")  # frozen: kept beside the fields
        if known is None:
            known = self.__dict__["_choice_labels"] = self._choice_labels()
        return list(known)

    def _choice_labels(self) -> list[tuple[str, str, str]]:
        out = []
        for choice in self.choices:
            if len(choice) == 3:
                out.append(tuple(str(c) for c in choice))
                continue
            value, label = choice
            with translation.override("zh-hans"):
                zh = force_str(label)
            with translation.override("en"):
                en = force_str(label)
            out.append((str(value), zh, en))
        return out


CUSTOM_KINDS = {
    "text": Kind.TEXT,
    "long_text": Kind.TEXT,
    "number": Kind.DECIMAL,
    "money": Kind.MONEY,
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
    "choice": Kind.CHOICE,
    "multi_choice": Kind.TEXT,  # 甲、乙 or a, b: the service splits and checks
    "user": Kind.REF,
    "boolean": Kind.BOOL,
}


def custom_fields(entity_key: str) -> list[Field]:
    """The active custom fields of ``entity_key`` as import fields ``custom.<key>``."""
    out = []
    for definition in definitions(entity_key):
        choices = tuple(
            (
                c.get("value", ""),
                c.get("label_zh") or c.get("label") or c.get("value", ""),
                c.get("label_en") or c.get("label") or c.get("value", ""),
            )
            for c in (definition.choices or [])
            if isinstance(c, dict)
        )
        out.append(
            Field(
                key=f"custom.{definition.key}",
                label=definition.label_zh or definition.label_en or definition.key,
                kind=CUSTOM_KINDS.get(definition.type, Kind.TEXT),
                required=definition.required,
                choices=choices if definition.type == "choice" else (),
                zh=definition.label_zh or definition.label_en or definition.key,
                en=definition.label_en or definition.label_zh or definition.key,
            )
        )
    return out


def custom_values(record, keys: list[str]) -> dict:
    """The export row's custom columns (``custom.<key>`` for each of ``keys``) of a record
    with custom fields."""
    stored = record.custom or {}
    return {key: stored.get(key.removeprefix("custom.")) for key in keys}


def split_custom(values: dict) -> tuple[dict, dict]:
    """(model fields, custom fields by key) from a parsed row; empty cells dropped."""
    data, custom = {}, {}
    for key, value in values.items():
        if value is None:
            continue
        if key.startswith("custom."):
            custom[key.removeprefix("custom.")] = value
        else:
            data[key] = value
    return data, custom


@dataclass
class Outcome:
    """What a row did (or would do). ``errors``: (field key or "", message) pairs; a
    message names the fix."""

    status: str  # RowStatus value
    object_id: int | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    message: str = ""

    @classmethod
    def error(cls, field_key: str, message: str) -> Outcome:
        return cls("error", errors=[(field_key, str(message))])

    @classmethod
    def from_exception(cls, exc: Exception) -> Outcome:
        """A service's ``ValidationError`` (field → messages) or ``PermissionDenied`` as
        an error outcome; ``__all__`` and non-field errors get the field key ""."""
        if isinstance(exc, ValidationError):
            if hasattr(exc, "error_dict"):
                errors = [
                    ("" if key == NON_FIELD_ERRORS else key, str(message))
                    for key, messages in exc.message_dict.items()
                    for message in messages
                ]
            else:
                errors = [("", str(message)) for message in exc.messages]
            return cls("error", errors=errors)
        return cls("error", errors=[("", str(exc) or str(_("You may not do this.")))])


@dataclass
class Context:
    """One import run: who imports, whether it writes, and a scratch dict an importer
    may use for lookups it repeats on every row (users by name, accounts by key)."""

    actor: Any
    dry_run: bool
    job: Any = None
    # The record this row's key wrote before (a re-import of a changed row), or None.
    existing_id: int | None = None
    cache: dict = field(default_factory=dict)

    def memo(self, name: str, build):
        if name not in self.cache:
            self.cache[name] = build()
        return self.cache[name]


class _Rollback(Exception):
    pass


class _RowFailed(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _guarded(method, values: dict, ctx: Context) -> Outcome:
    """``method(values, ctx)`` with a service's refusal turned into an error outcome."""
    try:
        return method(values, ctx)
    except (ValidationError, PermissionDenied) as exc:
        return Outcome.from_exception(exc)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint that is always rolled back (a dry run through the
    real write services: nothing stays, on-commit events never fire)."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


class Importer:
    """Base class: subclass, set ``entity``/``label``/``model`` and implement
    :meth:`fields`, :meth:`write` and :meth:`export_rows`."""

    entity: str = ""
    label: Any = ""
    model = None
    # Rows per transaction when committing (the engine's batch); one bad row rolls back
    # only its own savepoint.
    batch_size = 200
    # A large commit may write behind (core.writebehind): ``write_many`` then runs outside
    # a transaction and must write only through core.unitofwork or the write-behind's
    # ``call``, never at once (the leads' batch intake does).
    write_behind = False

    def fields(self) -> list[Field]:
        raise NotImplementedError

    def can_import(self, user) -> bool:
        return bool(user and user.is_active and (user.is_admin_role or user.edits_everything))

    def check(self, values: dict, ctx: Context) -> Outcome:
        """The dry run of one row: by default :meth:`write` in a savepoint that is rolled
        back, so the check is exactly the service's. Override for a faster check that
        still calls the service's validation."""
        outcome = None
        with rolled_back():
            outcome = self.write(values, ctx)
        if outcome.status in ("create", "update"):
            outcome.object_id = None
        return outcome

    def write(self, values: dict, ctx: Context) -> Outcome:
        """Write one row through the app's service; return ``create``/``update`` with the
        record's id, ``duplicate`` when it matches a record it must not change, or
        ``error`` with the field and message (the engine rolls the row back)."""
        raise NotImplementedError

    def check_many(self, items: list[tuple[dict, Context]]) -> list[Outcome]:
        """The dry run of a batch of rows (in file order). Override to check a whole
        batch with a few queries (de-duplication of many leads at once); the default
        checks row by row."""
        return [_guarded(self.check, values, ctx) for values, ctx in items]

    def write_many(self, items: list[tuple[dict, Context]]) -> list[Outcome]:
        """Write a batch of rows inside the engine's transaction. The default writes row
        by row, each in a savepoint, so a failing row rolls back alone. An override (a
        bulk path) must give the same outcomes and leave nothing of a failed row."""
        outcomes = []
        for values, ctx in items:
            try:
                with transaction.atomic():
                    outcome = _guarded(self.write, values, ctx)
                    if outcome.status == "error":
                        raise _RowFailed(outcome)
            except _RowFailed as failed:
                outcome = failed.outcome
            outcomes.append(outcome)
        return outcomes

    def export_rows(self, actor) -> Iterable[dict]:
        """The records ``actor`` may see, as dicts keyed by field key (the template's
        columns): the "export for re-import" file."""
        raise NotImplementedError


_REGISTRY: dict[str, Importer] = {}


def register(importer_class: type[Importer]) -> type[Importer]:
    """Class decorator: register one instance under its ``entity``."""
    _REGISTRY[importer_class.entity] = importer_class()
    return importer_class


def get(entity: str) -> Importer | None:
    return _REGISTRY.get(entity)


def all_importers() -> list[Importer]:
    """In the order of :data:`ENTITIES` (the menu's order)."""
    return [_REGISTRY[e] for e in ENTITIES if e in _REGISTRY]


ENTITIES = (
    "lead",
    "account",
    "contact",
    "activity",
    "deal",
    "contract",
    "payment",
    "invoice",
    "delivery",
    "complaint",
    "nps",
    "ticket",
    "renewal",
    "target",
)


def list_field(key: str, label, list_key: str, **kwargs) -> Field:
    """A field whose values come from an admin-kept list (``core.choices``): matched by
    code, zh-Hans or English label."""
    options = choices.options(list_key)
    return Field(
        key=key,
        label=label,
        kind=Kind.CHOICE,
        choices=tuple((o.code, o.label_zh, o.label_en) for o in options if o.is_active),
        **kwargs,
    )


def find_user(text: str | None, ctx: Context):
    """The active user a cell names: username, display name, email or phone (cached for
    the run). ``None`` for an empty cell; raises ``ValueError`` for an unknown name."""
    if not text:
        return None
    by_name = ctx.memo("users", _user_index)
    user = by_name.get(str(text).strip().casefold())
    if user is None:
        raise ValueError(
            _("No active user is called “%(name)s”; write their username or display name.")
            % {"name": text}
        )
    return user


def _user_index() -> dict:
    User = get_user_model()
    index: dict = {}
    for user in User.objects.filter(is_active=True).order_by("pk"):
        for name in (user.username, user.display_name, user.email, user.phone):
            if name:
                index.setdefault(name.strip().casefold(), user)
    return index


def user_name(user) -> str:
    """How an export names a user, so the file imports again (the username)."""
    return user.username if user is not None else ""
