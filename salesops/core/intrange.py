"""Integers no column can hold match nothing, instead of an OverflowError (SQLite) or a
DataError (PostgreSQL) — for foreign keys and ``in`` lookups too.

Django already turns ``IntegerField`` ``exact``/``gt``/``lt`` lookups with an out-of-range
value into "no rows"; a foreign key (``?account=18446744073709551616`` through a filter or a
form's ModelChoiceField) and ``pk__in=[…]`` go to the database as they are. These lookups,
registered once by the core app, do the same for them, so every page, filter and form is
covered without touching each field."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignKey, IntegerField
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def _range(connection, field):
    target = getattr(field, "target_field", None) or field
    try:
        return connection.ops.integer_field_range(target.get_internal_type())
    except (KeyError, AttributeError):
        return (None, None)


def _outside(value, low, high) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return (low is not None and value < low) or (high is not None and value > high)


class RelatedExactInRange(RelatedExact):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value() and _outside(
            self.rhs, *_range(connection, self.lhs.output_field)
        ):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


class _InRange:
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value() and isinstance(self.rhs, (list, tuple, set, frozenset)):
            low, high = _range(connection, self.lhs.output_field)
            kept = [v for v in self.rhs if not _outside(v, low, high)]
            if len(kept) != len(self.rhs):
                self.rhs = kept
        return super().process_rhs(compiler, connection)


class RelatedInInRange(_InRange, RelatedIn):
    pass


class IntegerInInRange(_InRange, In):
    pass


def register() -> None:
    ForeignKey.register_lookup(RelatedExactInRange, "exact")
    ForeignKey.register_lookup(RelatedInInRange, "in")
    IntegerField.register_lookup(IntegerInInRange, "in")
