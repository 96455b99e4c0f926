"""Deals for tests, created through the service (validation, audit, first stage-change
row, events). ``make_deal(owner=rep)`` is the short form most tests use; ``stage=`` a
stage code of the default pipeline puts it there directly (a ``created`` move)."""

from __future__ import annotations

from decimal import Decimal

from salesops.customers.tests.factories import make_account, make_contact
from salesops.pipeline import defaults, services
from salesops.pipeline.models import Pipeline, Stage


def default_pipeline() -> Pipeline:
    return defaults.install_default_pipeline() or Pipeline.objects.get(code=defaults.DEFAULT_CODE)


def stage(code: str, pipeline: Pipeline | None = None) -> Stage:
    return (pipeline or default_pipeline()).stages.get(code=code)


def make_deal(*, owner, account=None, stage_code: str | None = None, contacts=None, **fields):
    pipeline = fields.pop("pipeline", None) or default_pipeline()
    account = account or make_account(owner=owner)
    fields.setdefault("amount", Decimal("100000.00"))
    return services.deal_create(
        actor=fields.pop("actor", owner),
        account=account,
        pipeline=pipeline,
        stage=stage(stage_code, pipeline) if stage_code else None,
        contacts=contacts,
        owner=owner,
        **fields,
    )


__all__ = ["default_pipeline", "make_account", "make_contact", "make_deal", "stage"]
