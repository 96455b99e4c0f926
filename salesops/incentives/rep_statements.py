"""The statements list (SPEC I7): the reps whose statements a manager (their team) or
finance, directors and admins (everyone) may list, with each rep's month totals in one
grouped query for the page shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from salesops.core.money import to_money
from salesops.org.models import Role

from . import permissions
from .models import LedgerLine, LineState


def statement_reps(user, query: str = ""):
    """The reps whose statements ``user`` may list (managers: their team; finance,
    directors, admins: everyone), by name, matching ``query``."""
    users = (
        get_user_model().objects.select_related("team").filter(role__in=(Role.REP, Role.MANAGER))
    )
    ids = permissions.visible_rep_ids(user)
    if ids is not None:
        users = users.filter(pk__in=ids)
    query = (query or "").strip()[:100]
    if query:
        users = users.filter(
            Q(display_name__icontains=query)
            | Q(username__icontains=query)
            | Q(team__name__icontains=query)
        )
    return users.order_by("display_name", "username", "pk")


def rep_totals(month: dt.date, rep_ids) -> dict[int, dict[str, Decimal]]:
    """Per rep of ``rep_ids``: payable, pending, forfeited and lines in ``month``."""
    rows = (
        LedgerLine.objects.filter(period=month, rep_id__in=list(rep_ids))
        .values("rep_id")
        .annotate(
            payable=Sum("amount", filter=Q(state=LineState.EARNED)),
            pending=Sum("amount", filter=Q(state=LineState.PENDING)),
            forfeited=Sum("amount", filter=Q(state=LineState.FORFEITED)),
            lines=Count("pk"),
        )
    )
    return {
        row["rep_id"]: {
            "payable": to_money(row["payable"] or 0),
            "pending": to_money(row["pending"] or 0),
            "forfeited": to_money(row["forfeited"] or 0),
            "lines": row["lines"],
        }
        for row in rows
    }


def statements_list(user, month: dt.date, query: str = ""):
    """``(reps queryset, totals getter)`` for the statements list (managers, finance,
    directors, admins); 404 for anyone else."""
    if not permissions.sees_statements(user) or not (user.is_manager_role or user.sees_everything):
        raise Http404(_("Not found, or you do not have access to it."))
    return statement_reps(user, query)
