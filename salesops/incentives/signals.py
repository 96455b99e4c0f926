"""What queues contracts and accounts for the tranche sweep (SPEC I2).

* a payment saved or deleted → its contract (the payment tranches);
* a contract saved → itself;
* a complaint saved as major → its account (the quality tranches);
* a renewal saved → its account (the renewal tranches).

Rows a unit of work inserts together (the finance and after-sales feeds' batches) send no
``post_save``: :data:`core.unitofwork.rows_inserted` queues them, one statement a batch,
as ``kpi.live`` and ``targets.rollup`` listen to it. Each queueing is one upsert in the
writer's transaction, so a rolled-back write queues nothing; the sweep reads the records
themselves, so a queued row that turns out to change nothing costs one query.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from salesops.aftersales.models import Complaint, Renewal, Severity
from salesops.core import unitofwork
from salesops.revenue.models import Contract, Payment

from . import tranches


def _payment_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    tranches.queue_contracts([instance.contract_id])


def _contract_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    tranches.queue_contracts([instance.pk])


def _complaint_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.severity != Severity.MAJOR:
        return
    tranches.queue_accounts([instance.account_id])


def _renewal_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    tranches.queue_accounts([instance.account_id])


def _inserted(sender, instances, **kwargs) -> None:
    """New rows a unit of work wrote together."""
    if sender is Payment:
        tranches.queue_contracts([p.contract_id for p in instances])
    elif sender is Contract:
        tranches.queue_contracts([c.pk for c in instances])
    elif sender is Complaint:
        tranches.queue_accounts([c.account_id for c in instances if c.severity == Severity.MAJOR])
    elif sender is Renewal:
        tranches.queue_accounts([r.account_id for r in instances])


def connect() -> None:
    post_save.connect(_payment_changed, sender=Payment, dispatch_uid="incentives-queue-payment")
    post_delete.connect(
        _payment_changed, sender=Payment, dispatch_uid="incentives-queue-payment-deleted"
    )
    post_save.connect(_contract_saved, sender=Contract, dispatch_uid="incentives-queue-contract")
    post_save.connect(_complaint_saved, sender=Complaint, dispatch_uid="incentives-queue-complaint")
    post_save.connect(_renewal_saved, sender=Renewal, dispatch_uid="incentives-queue-renewal")
    unitofwork.rows_inserted.connect(_inserted, dispatch_uid="incentives-queue-inserted")
