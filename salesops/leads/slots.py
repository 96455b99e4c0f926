"""The routing slots a batch intake (``leads.bulk``) took: added to the day's count rows
and the rules' cursors moved, one statement each, written as SQL (the ORM's
``Case(When …)`` over a couple of hundred reps cost more to compile than the statement
to run). A module-level function, so a write-behind child (``core.writebehind``) can run
it in its transaction."""

from __future__ import annotations

from django.db import connection

from .models import DailyLeadCount, RoutingRule


def take(day, slots: dict[int, int], moved: dict[int, int], ensure: bool = False) -> None:
    """Add ``slots`` (rep → leads given today) to the count rows of ``day`` and move the
    rules' cursors (rule → the last rep served). ``ensure``: create the missing count
    rows first (the caller did not lock them, so they may not exist yet)."""
    if slots and ensure:
        DailyLeadCount.objects.bulk_create(
            [DailyLeadCount(user_id=u, day=day, count=0) for u in slots],
            ignore_conflicts=True,
        )
    with connection.cursor() as cursor:
        if slots:
            pairs = list(slots.items())
            cursor.execute(
                _add_slots_sql(len(pairs)),
                [*(v for pair in pairs for v in pair)]
                + [connection.ops.adapt_datefield_value(day)]
                + [user_id for user_id, _n in pairs],
            )
        if moved:
            rules = list(moved.items())
            cursor.execute(
                _move_cursors_sql(len(rules)),
                [*(v for pair in rules for v in pair)] + [rule_id for rule_id, _u in rules],
            )


def _add_slots_sql(n: int) -> str:
    """``count = count + CASE user WHEN … THEN slots … END`` for ``n`` reps on one day."""
    quote = connection.ops.quote_name
    meta = DailyLeadCount._meta
    count, user = quote(meta.get_field("count").column), quote(meta.get_field("user").column)
    cases = " ".join(["WHEN %s THEN %s"] * n)
    return (
        f"UPDATE {quote(meta.db_table)} SET {count} = {count} + CASE {user} {cases} ELSE 0 END "
        f"WHERE {quote(meta.get_field('day').column)} = %s "
        f"AND {user} IN ({', '.join(['%s'] * n)})"
    )


def _move_cursors_sql(n: int) -> str:
    """``cursor = CASE rule WHEN … THEN the last rep served … END`` for ``n`` rules."""
    quote = connection.ops.quote_name
    meta = RoutingRule._meta
    cursor, pk = quote(meta.get_field("cursor").column), quote(meta.pk.column)
    cases = " ".join(["WHEN %s THEN %s"] * n)
    return (
        f"UPDATE {quote(meta.db_table)} SET {cursor} = CASE {pk} {cases} ELSE {cursor} END "
        f"WHERE {pk} IN ({', '.join(['%s'] * n)})"
    )
