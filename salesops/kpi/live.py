"""Live scores (K3): fresh within a minute of new data.

Every save or delete of a row of a metric source marks its owner dirty — one upsert of
:class:`DirtyRep` (``INSERT … ON CONFLICT DO UPDATE``) — and so do rows a unit of work
inserts together (``core.unitofwork.rows_inserted``, the feeds' batches). The sweep
``kpi.live_scores`` (every minute) recomputes the dirty reps in the current month's live
runs, deletes their marks only up to the ``marked_at`` it read (a rep marked again while
it ran stays dirty for the next sweep), creates the month's live runs when missing and
finalises the runs whose period ended.

A row moved from one owner to another marks both: a source whose owner is its own
foreign key (activities, leads, deals, contracts, complaints, findings …) remembers the
owner it was loaded with (``post_init``, read only when the column was loaded); an account
that changes owner marks the old and the new owner, whose NPS answers, complaints and
other account-owned rows move with it.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_init, post_save

from salesops.core import clock, sweeps, unitofwork

from . import runs, sources
from .models import DirtyRep

SWEEP_NAME = "kpi.live_scores"


def _owner_paths() -> dict[type, str]:
    return {apps.get_model(s.model): s.owner for s in sources.all_sources()}


def mark(user_ids) -> None:
    """Mark ``user_ids`` dirty (one statement)."""
    ids = {uid for uid in user_ids if uid}
    if not ids:
        return
    now = clock.now()
    DirtyRep.objects.bulk_create(
        [DirtyRep(user_id=uid, marked_at=now) for uid in ids],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["marked_at"],
    )


def _owner_of(instance, path: str):
    target = instance
    parts = path.split("__")
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, f"{parts[-1]}_id", None)


LOADED = "_kpi_owner_loaded"


def _loaded(sender, instance, **kwargs) -> None:
    """Remember the owner a row was loaded with (only when that column was loaded: a
    deferred one is never fetched for this)."""
    column = _DIRECT.get(sender)
    if column is not None and column in instance.__dict__:
        setattr(instance, LOADED, instance.__dict__[column])


def _changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    path = _PATHS.get(sender)
    if path is None:
        return
    try:
        owner = _owner_of(instance, path)
    except Exception:  # noqa: BLE001 - a deleted parent: nothing to mark
        owner = None
    before = getattr(instance, LOADED, None)
    mark([owner, before])
    if sender in _DIRECT:
        setattr(instance, LOADED, owner)


def _account_saved(sender, instance, raw=False, created=False, **kwargs) -> None:
    """An account handed to another owner moves its account-owned rows with it."""
    before = getattr(instance, LOADED, None)
    if raw or created or before is None or before == instance.owner_id:
        return
    mark([before, instance.owner_id])
    setattr(instance, LOADED, instance.owner_id)


def _inserted(sender, instances, **kwargs) -> None:
    path = _PATHS.get(sender)
    if path is None or not instances:
        return
    if "__" not in path:
        mark([getattr(i, f"{path}_id", None) for i in instances])
        return
    ids = [i.pk for i in instances if i.pk is not None]
    owners = sender._default_manager.filter(pk__in=ids).values_list(path, flat=True).distinct()
    mark(list(owners))


_PATHS: dict[type, str] = {}
_DIRECT: dict[type, str] = {}  # model → the owner column, for sources owned directly


def connect() -> None:
    """The dirty-marking signals of every source model (and of accounts)."""
    _PATHS.update(_owner_paths())
    account = apps.get_model("customers", "Account")
    _DIRECT.update({model: f"{path}_id" for model, path in _PATHS.items() if "__" not in path})
    _DIRECT[account] = "owner_id"
    for model in _PATHS:
        name = model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"kpi-dirty-save-{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"kpi-dirty-delete-{name}")
    for model in _DIRECT:
        name = model._meta.label_lower
        post_init.connect(_loaded, sender=model, dispatch_uid=f"kpi-owner-loaded-{name}")
    post_save.connect(_account_saved, sender=account, dispatch_uid="kpi-dirty-account")
    unitofwork.rows_inserted.connect(_inserted, dispatch_uid="kpi-dirty-inserted")


@sweeps.sweep(SWEEP_NAME, every_minutes=1, description="Refresh the live KPI scores.")
def live_scores(now) -> str:
    """Refresh the dirty reps; create the month's live runs; finalise ended periods."""
    today = clock.today()
    marks = list(DirtyRep.objects.values_list("user_id", "marked_at"))
    created = runs.ensure_live_runs(today)
    refreshed = 0
    if marks:
        ids = [uid for uid, _at in marks]
        refreshed = runs.refresh_users(ids, today)
        latest = max(at for _uid, at in marks)
        DirtyRep.objects.filter(user_id__in=ids, marked_at__lte=latest).delete()
    finalised = runs.finalise_due(today)
    parts = []
    if refreshed:
        parts.append(f"{refreshed} reps refreshed")
    if created:
        parts.append(f"{len(created)} live runs created")
    if finalised:
        parts.append(f"{len(finalised)} runs finalised")
    return ", ".join(parts)
