"""What the finance feed accepts: the references a record may carry and, per app, the
kinds of record (:mod:`.revenue`, :mod:`.aftersales`). The feed stands above the apps it
writes to and calls their services; they do not know it exists."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from salesops.customers.models import Account

from .. import feed
from . import aftersales, revenue


def register_all() -> None:
    """Called once, from the app's ``ready``."""
    for key, field in (
        ("account_external_id", "external_id"),
        ("account_credit_code", "credit_code"),
    ):
        feed.register_reference(
            key, target="account", model=Account, field=field, select_related=("owner",)
        )
    feed.register_reference(
        "owner_username", target="owner", model=get_user_model(), field="username"
    )
    revenue.register()
    aftersales.register()
