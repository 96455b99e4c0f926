"""The activity rollup (:class:`~salesops.activities.models.ActivityRollup`): activities
and effective touches per rep, local day and hour, kept equal to a recount of the raw
rows.

How it stays equal:

* every save and delete of an :class:`Activity` through the ORM (the services, a cascade
  from a deleted lead or account, Django admin) moves one count between buckets in the
  same transaction — ``post_save`` compares the bucket the row was loaded with
  (``Activity.from_db``) with the new one, ``post_delete`` takes the row out;
* writes that bypass the ORM's per-row signals (``QuerySet.update`` on ``effective`` when a
  result tag's meaning changes, bulk inserts of generated data) call :func:`rebuild` for
  the reps they touched.

An increment is an ``UPDATE … SET n = n + 1`` on the bucket's row, or the row's insert
in a savepoint when it does not exist yet; two processes inserting the same bucket at
once meet on the unique constraint, and the loser adds to the winner's row. Readers
(:mod:`salesops.activities.selectors`) never see a half-counted activity: the count moves
in the transaction that writes the activity.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .models import Activity, ActivityRollup

Bucket = tuple[int, dt.date, int]  # owner id, local day, local hour


def bucket_of(owner_id: int, started_at: dt.datetime) -> Bucket:
    local = timezone.localtime(started_at)
    return (owner_id, local.date(), local.hour)


def _bump(bucket: Bucket, activities: int, effective: int) -> None:
    if not activities and not effective:
        return
    owner_id, day, hour = bucket
    rows = ActivityRollup.objects.filter(owner_id=owner_id, day=day, hour=hour)
    changes = {"activities": F("activities") + activities, "effective": F("effective") + effective}
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():
            ActivityRollup.objects.create(
                owner_id=owner_id,
                day=day,
                hour=hour,
                activities=max(activities, 0),
                effective=max(effective, 0),
            )
    except IntegrityError:  # another process inserted the bucket meanwhile
        rows.update(**changes)


def _saved(sender, instance: Activity, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata: the fixture's rows are recounted by rebuild()
        return
    new = bucket_of(instance.owner_id, instance.started_at)
    new_effective = int(bool(instance.effective))
    if created:
        _bump(new, 1, new_effective)
    else:
        loaded = getattr(instance, "_rollup_loaded", None)
        if loaded is None or None in loaded:
            # Not loaded from the database as a whole (a deferred field, an unsaved copy
            # given a primary key): recount the reps it may have moved between.
            rebuild(owner_ids={instance.owner_id} | ({loaded[0]} - {None} if loaded else set()))
        else:
            owner_id, started_at, effective = loaded
            old = bucket_of(owner_id, started_at)
            old_effective = int(bool(effective))
            if old == new:
                _bump(new, 0, new_effective - old_effective)
            else:
                _bump(old, -1, -old_effective)
                _bump(new, 1, new_effective)
    instance._rollup_loaded = (instance.owner_id, instance.started_at, instance.effective)


def _deleted(sender, instance: Activity, **kwargs) -> None:
    loaded = getattr(instance, "_rollup_loaded", None)
    if loaded is None or None in loaded:
        loaded = (instance.owner_id, instance.started_at, instance.effective)
    owner_id, started_at, effective = loaded
    _bump(bucket_of(owner_id, started_at), -1, -int(bool(effective)))


def connect() -> None:
    post_save.connect(_saved, sender=Activity, dispatch_uid="activity-rollup-save")
    post_delete.connect(_deleted, sender=Activity, dispatch_uid="activity-rollup-delete")


def recount(owner_ids: Iterable[int] | None = None) -> dict[Bucket, tuple[int, int]]:
    """The buckets as the raw activities count them: ``{bucket: (activities, effective)}``.
    Reads ``(owner, started_at, effective)`` in chunks and buckets them here, in the
    organisation's time zone, the same way on SQLite and PostgreSQL."""
    rows = Activity.objects.order_by()
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=list(owner_ids))
    counts: Counter = Counter()
    effective: Counter = Counter()
    for owner_id, started_at, is_effective in rows.values_list(
        "owner_id", "started_at", "effective"
    ).iterator(chunk_size=20_000):
        key = bucket_of(owner_id, started_at)
        counts[key] += 1
        if is_effective:
            effective[key] += 1
    return {key: (n, effective[key]) for key, n in counts.items()}


@transaction.atomic
def rebuild(owner_ids: Iterable[int] | None = None) -> int:
    """Recount the rollup from the raw activities, for the given reps or everyone.
    Returns the number of bucket rows written."""
    owner_ids = None if owner_ids is None else set(owner_ids)
    buckets = recount(owner_ids)
    stale = ActivityRollup.objects.all()
    if owner_ids is not None:
        stale = stale.filter(owner_id__in=owner_ids)
    stale.delete()
    ActivityRollup.objects.bulk_create(
        (
            ActivityRollup(owner_id=o, day=d, hour=h, activities=n, effective=e)
            for (o, d, h), (n, e) in buckets.items()
        ),
        batch_size=5_000,
    )
    return len(buckets)
