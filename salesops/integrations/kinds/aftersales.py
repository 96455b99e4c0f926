"""The after-sales kinds of the finance/ERP feed: tickets, NPS responses, complaints and
renewals (``account_external_id`` or ``account_credit_code`` name the account).

Their upserts are after-sales services (one shared write path there); they look their
rows up themselves, so these kinds name no model for the batch to read ahead.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesops.aftersales import services

from .. import feed


def register() -> None:
    for key, upsert, label in (
        ("ticket", services.ticket_upsert, _("Service ticket")),
        ("nps", services.nps_upsert, _("NPS response")),
        ("complaint", services.complaint_upsert, _("Complaint")),
        ("renewal", services.renewal_upsert, _("Renewal")),
    ):
        feed.register(key, upsert, label=label)
