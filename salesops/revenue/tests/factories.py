"""Factories for contracts and what follows them (instalments, deliveries, orders,
payments, invoices), created through the services; ``make_contract``, ``make_payment``
and ``make_invoice`` are the short forms the tests use. ``actor=`` (default: the
contract's owner) is who records each one."""

import datetime as dt
from decimal import Decimal

import factory

from salesops.core.tests.factories import ServiceFactory
from salesops.customers.tests.factories import AccountFactory, make_account
from salesops.revenue import billing, services
from salesops.revenue.models import Contract, Delivery, Instalment, Invoice, Order, Payment

SIGNED = dt.date(2026, 3, 2)
# The default plan: 30 % two weeks after signing, 60 % at mid-year, 10 % at year end.
PLAN = (
    (dt.date(2026, 3, 16), "30"),
    (dt.date(2026, 6, 30), "60"),
    (dt.date(2026, 12, 31), "10"),
)


class ContractFactory(ServiceFactory):
    """A signed ¥100,000 contract with a 30 / 60 / 10 plan unless told otherwise
    (``instalments=``: dicts of ``due_on`` and ``percent``)."""

    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    owner = factory.SelfAttribute("account.owner")
    number = factory.Sequence(lambda n: f"HT-2026-{n:04d}")
    amount = Decimal("100000.00")
    status = "signed"
    signed_on = SIGNED

    @classmethod
    def through_service(cls, *, owner, actor=None, instalments=None, **values):
        if instalments is None:
            instalments = [{"due_on": day, "percent": percent} for day, percent in PLAN]
        actor = actor or values["account"].owner
        return services.contract_create(actor=actor, instalments=instalments, **values)


class InstalmentFactory(factory.django.DjangoModelFactory):
    """One instalment of a contract's plan (the contract's service writes the real ones
    from its plan; this is for building rows in bulk)."""

    class Meta:
        model = Instalment

    contract = factory.SubFactory(ContractFactory)
    # after the plan's own instalments when the contract is stored
    sequence = factory.LazyAttribute(
        lambda o: o.contract.instalments.count() + 1 if o.contract.pk else 1
    )
    due_on = PLAN[0][0]
    percent = Decimal("30")
    amount = factory.LazyAttribute(
        lambda o: (o.contract.amount * o.percent / 100).quantize(Decimal("0.01"))
    )


class _ContractRecordFactory(ServiceFactory):
    """Records of a contract: on its account, recorded by its owner unless ``actor=``."""

    class Meta:
        abstract = True

    contract = factory.SubFactory(ContractFactory)
    account = factory.SelfAttribute("contract.account")

    @classmethod
    def through_service(cls, *, account, actor=None, **values):
        # the service takes the account from the contract
        return cls.service()(actor=actor or values["contract"].owner, **values)


class DeliveryFactory(_ContractRecordFactory):
    """A delivery milestone planned for week 20 of 2026."""

    class Meta:
        model = Delivery

    name = factory.Sequence(lambda n: f"里程碑{n}")
    planned_week = "2026-W20"

    @staticmethod
    def service():
        return services.delivery_create


class OrderFactory(_ContractRecordFactory):
    """A ¥10,000 order placed on 2026-03-10."""

    class Meta:
        model = Order

    ordered_on = dt.date(2026, 3, 10)
    amount = Decimal("10000.00")

    @staticmethod
    def service():
        return billing.order_create


class PaymentFactory(_ContractRecordFactory):
    """¥30,000 received on 2026-03-20 (the first instalment of the default plan)."""

    class Meta:
        model = Payment

    amount = Decimal("30000.00")
    received_on = dt.date(2026, 3, 20)

    @staticmethod
    def service():
        return billing.payment_record


class InvoiceFactory(_ContractRecordFactory):
    """A ¥30,000 invoice issued on 2026-03-21."""

    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"FP{n:08d}")
    amount = Decimal("30000.00")
    issued_on = dt.date(2026, 3, 21)

    @staticmethod
    def service():
        return billing.invoice_create


def make_contract(account=None, *, owner=None, **data):
    """A contract on ``account`` (or on a new account of ``owner``)."""
    if account is None:
        account = make_account(owner)
    return ContractFactory(account=account, **data)


def make_payment(contract, amount="30000.00", **data):
    return PaymentFactory(contract=contract, amount=Decimal(amount), **data)


def make_invoice(contract, amount="30000.00", **data):
    return InvoiceFactory(contract=contract, amount=Decimal(amount), **data)
