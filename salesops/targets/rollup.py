"""The measure rollup (:class:`~salesops.targets.models.MeasureMonth`): each measure summed
per owner, product line and month, kept equal to a recount of the raw records, so that
:mod:`.measures` reads a few hundred rows instead of every payment of a year.

A bucket is ``(measure, owner id, product line, month)``: payments count on their
contract's owner and product line in the month of ``received_on``; signed contracts
(status in ``SIGNED_STATUSES``, ``signed_on`` set) in the month of ``signed_on``. A row
holds the bucket's sum, count and first and last day (so a range ending mid-month can use
the row when no record of the month falls after the range's end).

How it stays equal:

* every save and delete of a :class:`Payment` or :class:`Contract` through the ORM (the
  services, the admin, a feed change to a stored record) recounts the buckets it left and
  entered, in the same transaction — ``pre_save`` reads the stored row's bucket first. A
  contract whose owner or product line changes recounts every payments bucket of its
  payments, old and new;
* new rows the feed's unit of work writes together (``core.unitofwork``, no per-row
  signals) recount their buckets from its ``rows_inserted`` signal, in the same
  transaction;
* bulk loads that bypass both (the demo build, the benchmark data) call :func:`rebuild`,
  and so does migration ``0002_measure_rollup``; the ``targets.measure_rollup`` sweep runs
  it once a day (local midnight) as a safety net and reports the buckets it corrected.

A recount is one grouped query per measure and month, written as the exact values
(never ``+=``): running it twice changes nothing. Two transactions writing into the same
bucket at the same moment may each recount without the other's uncommitted row (read
committed); the later recount of that bucket, or the nightly sweep, puts it right.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncMonth
from django.db.models.signals import post_delete, post_save, pre_save

from salesops.core import sweeps, unitofwork
from salesops.revenue.models import SIGNED_STATUSES, Contract, Payment

from .models import Measure, MeasureMonth

Bucket = tuple[str, int, str, dt.date]  # measure, owner id, product line, month
CENT = Decimal("0.01")
SWEEP_NAME = "targets.measure_rollup"


def _day(value) -> dt.date | None:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


def _month(value) -> dt.date | None:
    day = _day(value)
    return day.replace(day=1) if day else None


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _sources(payment_model=Payment, contract_model=Contract) -> dict:
    """measure → (records, date field, owner field, product line field)."""
    return {
        Measure.PAYMENTS: (
            payment_model.objects.all(),
            "received_on",
            "contract__owner_id",
            "contract__product_line",
        ),
        Measure.CONTRACTS: (
            contract_model.objects.filter(status__in=SIGNED_STATUSES, signed_on__isnull=False),
            "signed_on",
            "owner_id",
            "product_line",
        ),
    }


def _grouped(rows, date: str, owner: str, line: str, *, by_month: bool):
    keys = (owner, line, "m") if by_month else (owner, line)
    if by_month:
        rows = rows.annotate(m=TruncMonth(date))
    return (
        rows.order_by()
        .values(*keys)
        .annotate(a=Sum("amount"), n=Count("pk"), lo=Min(date), hi=Max(date))
        .values_list(*keys, "a", "n", "lo", "hi")
    )


def _values(amount, count, first_on, last_on) -> dict:
    return {
        "amount": (amount or Decimal(0)).quantize(CENT),
        "count": count,
        "first_on": _day(first_on),
        "last_on": _day(last_on),
    }


def _write(fresh: dict, stale: dict, model=MeasureMonth) -> int:
    """Make the rows ``stale`` ({key: row}) equal to ``fresh`` ({key: values}); every key
    of ``stale`` missing from ``fresh`` goes. Returns the number of rows changed."""
    changed = 0
    gone = [row.pk for key, row in stale.items() if key not in fresh]
    if gone:
        model.objects.filter(pk__in=gone).delete()
        changed += len(gone)
    new = []
    for key, values in fresh.items():
        row = stale.get(key)
        if row is None:
            new.append((key, values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            model.objects.filter(pk=row.pk).update(**values)
            changed += 1
    for (measure, owner_id, line, month), values in new:
        key = {"measure": measure, "owner_id": owner_id, "product_line": line, "month": month}
        try:
            with transaction.atomic():
                model.objects.create(**key, **values)
        except IntegrityError:  # another writer inserted the bucket meanwhile
            model.objects.filter(**key).update(**values)
        changed += 1
    return changed


def recount(buckets: Iterable[Bucket]) -> int:
    """Recount the given buckets from the raw records (one grouped query per measure and
    month); returns the number of rows changed."""
    periods: dict[tuple[str, dt.date], set[tuple[int, str]]] = defaultdict(set)
    for measure, owner_id, line, month in buckets:
        if owner_id is not None and month is not None:
            periods[(measure, _month(month))].add((owner_id, line or ""))
    sources = _sources()
    changed = 0
    for (measure, month), keys in periods.items():
        rows, date, owner, line = sources[measure]
        owners = {o for o, _ in keys}
        rows = rows.filter(
            **{f"{date}__gte": month, f"{date}__lt": _next_month(month), f"{owner}__in": owners}
        )
        fresh = {
            (measure, o, pl, month): _values(a, n, lo, hi)
            for o, pl, a, n, lo, hi in _grouped(rows, date, owner, line, by_month=False)
            if (o, pl) in keys
        }
        stale = {
            (measure, r.owner_id, r.product_line, month): r
            for r in MeasureMonth.objects.filter(measure=measure, month=month, owner_id__in=owners)
            if (r.owner_id, r.product_line) in keys
        }
        changed += _write(fresh, stale)
    return changed


@transaction.atomic
def rebuild(apps=None) -> int:
    """Recount every bucket from the raw records (two grouped queries) and correct the
    rows that differ; returns the number of rows changed. ``apps``: a migration's."""
    if apps is None:
        model, sources = MeasureMonth, _sources()
    else:
        model = apps.get_model("targets", "MeasureMonth")
        sources = _sources(
            apps.get_model("revenue", "Payment"), apps.get_model("revenue", "Contract")
        )
    fresh = {}
    for measure, (rows, date, owner, line) in sources.items():
        for o, pl, m, a, n, lo, hi in _grouped(rows, date, owner, line, by_month=True):
            fresh[(str(measure), o, pl, _month(m))] = _values(a, n, lo, hi)
    stale = {(r.measure, r.owner_id, r.product_line, r.month): r for r in model.objects.all()}
    if not stale:
        model.objects.bulk_create(
            (
                model(measure=k[0], owner_id=k[1], product_line=k[2], month=k[3], **values)
                for k, values in fresh.items()
            ),
            batch_size=5_000,
        )
        return len(fresh)
    return _write(fresh, stale, model)


def is_empty() -> bool:
    return not MeasureMonth.objects.exists()


@sweeps.sweep(SWEEP_NAME, every_minutes=24 * 60, description="Recount the measure rollup.")
def nightly(now) -> str:
    """Once a day (local midnight): recount the rollup, in case a write bypassed it."""
    changed = rebuild()
    return f"{changed} measure buckets corrected" if changed else "measure rollup exact"


# --- the buckets of a record ---------------------------------------------------------------------


def _contract_buckets(owner_id, line, status, signed_on) -> set[Bucket]:
    if status in SIGNED_STATUSES and signed_on:
        return {(Measure.CONTRACTS.value, owner_id, line or "", _month(signed_on))}
    return set()


def _payment_months(contract_id) -> list[dt.date]:
    return list(Payment.objects.filter(contract_id=contract_id).dates("received_on", "month"))


def _payment_pre_save(sender, instance, raw=False, **kwargs) -> None:
    instance._rollup_before = None
    if raw or instance.pk is None:
        return
    instance._rollup_before = (
        Payment.objects.filter(pk=instance.pk)
        .values_list("contract__owner_id", "contract__product_line", "received_on")
        .first()
    )


def _payment_bucket(instance) -> set[Bucket]:
    contract = (
        Contract.objects.filter(pk=instance.contract_id)
        .values_list("owner_id", "product_line")
        .first()
    )
    if contract is None or not instance.received_on:
        return set()
    return {(Measure.PAYMENTS.value, contract[0], contract[1], _month(instance.received_on))}


def _payment_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # loaddata: rebuild() recounts
        return
    buckets = _payment_bucket(instance)
    before = getattr(instance, "_rollup_before", None)
    if before is not None:
        buckets.add((Measure.PAYMENTS.value, before[0], before[1], _month(before[2])))
    recount(buckets)


def _payment_deleted(sender, instance, **kwargs) -> None:
    recount(_payment_bucket(instance))


def _contract_pre_save(sender, instance, raw=False, **kwargs) -> None:
    instance._rollup_before = None
    if raw or instance.pk is None:
        return
    instance._rollup_before = (
        Contract.objects.filter(pk=instance.pk)
        .values_list("owner_id", "product_line", "status", "signed_on")
        .first()
    )


def _contract_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    new = (instance.owner_id, instance.product_line or "")
    buckets = _contract_buckets(*new, instance.status, instance.signed_on)
    before = getattr(instance, "_rollup_before", None)
    if before is not None:
        buckets |= _contract_buckets(*before)
        if (before[0], before[1] or "") != new:
            for month in _payment_months(instance.pk):
                buckets.add((Measure.PAYMENTS.value, before[0], before[1] or "", month))
                buckets.add((Measure.PAYMENTS.value, *new, month))
    recount(buckets)


def _contract_deleted(sender, instance, **kwargs) -> None:
    recount(
        _contract_buckets(
            instance.owner_id, instance.product_line, instance.status, instance.signed_on
        )
    )


def _rows_inserted(sender, instances, **kwargs) -> None:
    """New rows a unit of work wrote together (the finance feed's batch)."""
    buckets: set[Bucket] = set()
    if sender is Payment:
        ids = {p.contract_id for p in instances}
        contracts = dict(
            (pk, (owner, line))
            for pk, owner, line in Contract.objects.filter(pk__in=ids).values_list(
                "pk", "owner_id", "product_line"
            )
        )
        for payment in instances:
            owner, line = contracts.get(payment.contract_id, (None, ""))
            buckets.add((Measure.PAYMENTS.value, owner, line, _month(payment.received_on)))
    elif sender is Contract:
        for c in instances:
            buckets |= _contract_buckets(c.owner_id, c.product_line, c.status, c.signed_on)
    if buckets:
        recount(buckets)


def connect() -> None:
    for model, before, saved, deleted in (
        (Payment, _payment_pre_save, _payment_saved, _payment_deleted),
        (Contract, _contract_pre_save, _contract_saved, _contract_deleted),
    ):
        name = model._meta.model_name
        pre_save.connect(before, sender=model, dispatch_uid=f"measure-rollup-pre-{name}")
        post_save.connect(saved, sender=model, dispatch_uid=f"measure-rollup-save-{name}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"measure-rollup-delete-{name}")
    unitofwork.rows_inserted.connect(_rows_inserted, dispatch_uid="measure-rollup-inserted")
