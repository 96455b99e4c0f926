"""Factories for after-sales records, created through the services (audit + events);
``make_complaint`` and friends are the short forms the tests use. ``actor=`` (default:
the account's owner) is who records it."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from salesops.aftersales import services
from salesops.aftersales.models import (
    Complaint,
    NpsResponse,
    Renewal,
    ServiceTicket,
    nps_category,
)
from salesops.core.tests.factories import ServiceFactory
from salesops.customers.tests.factories import AccountFactory

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> dt.datetime:
    """An instant in Shanghai time (where the business calendar counts working hours)."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


class _AfterSalesFactory(ServiceFactory):
    class Meta:
        abstract = True

    account = factory.SubFactory(AccountFactory)

    @classmethod
    def through_service(cls, *, actor=None, **values):
        return cls.service()(actor=actor or values["account"].owner, **values)


class ComplaintFactory(_AfterSalesFactory):
    """A minor complaint raised on 2026-03-02; the handler is the account's owner."""

    class Meta:
        model = Complaint

    summary = factory.Sequence(lambda n: f"投诉 {n}")
    severity = "minor"
    raised_on = dt.date(2026, 3, 2)

    @staticmethod
    def service():
        return services.complaint_create

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs.setdefault("owner", kwargs["account"].owner)  # what the service does
        return super()._build(model_class, *args, **kwargs)


class NpsResponseFactory(_AfterSalesFactory):
    """A promoter's answer (9) on 2026-03-02."""

    class Meta:
        model = NpsResponse

    score = 9
    responded_on = dt.date(2026, 3, 2)

    @staticmethod
    def service():
        return services.nps_create

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs.setdefault("category", nps_category(kwargs["score"]))  # as save() sets it
        return super()._build(model_class, *args, **kwargs)


class ServiceTicketFactory(_AfterSalesFactory):
    """A ticket opened on Monday 2026-03-02 at 10:00 Shanghai time."""

    class Meta:
        model = ServiceTicket

    subject = factory.Sequence(lambda n: f"工单 {n}")
    opened_at = at("2026-03-02", "10:00")

    @staticmethod
    def service():
        return services.ticket_create


class RenewalFactory(_AfterSalesFactory):
    """A ¥12,000 renewal due on 2026-06-30."""

    class Meta:
        model = Renewal

    due_on = dt.date(2026, 6, 30)
    amount = Decimal("12000.00")

    @staticmethod
    def service():
        return services.renewal_create


def make_complaint(account, **data):
    return ComplaintFactory(account=account, **data)


def make_nps(account, **data):
    return NpsResponseFactory(account=account, **data)


def make_ticket(account, **data):
    return ServiceTicketFactory(account=account, **data)


def make_renewal(account, **data):
    return RenewalFactory(account=account, **data)
