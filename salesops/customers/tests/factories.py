"""Factories for accounts and contacts, created through the services (validation, audit,
events); ``make_account`` / ``make_contact`` are the short forms most tests use."""

import factory

from salesops.core.names import company_key
from salesops.core.tests.factories import (
    ServiceFactory,
    company_name,
    credit_code,
    mobile,
    next_number,
)
from salesops.customers import services
from salesops.customers.models import Account, Contact
from salesops.org.tests.factories import UserFactory

__all__ = [
    "AccountFactory",
    "ContactFactory",
    "credit_code",
    "make_account",
    "make_contact",
    "mobile",
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "涛", "明", "超", "霞")


def person_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[n // len(SURNAMES) % len(GIVEN)] + GIVEN[n % 7]


class AccountFactory(ServiceFactory):
    """A Shanghai company owned by a new rep unless ``owner=`` is given; ``actor=``
    (default: the owner) is who creates it."""

    class Meta:
        model = Account

    owner = factory.SubFactory(UserFactory)
    name = factory.LazyFunction(company_name)
    province = "上海市"
    city = "上海市"
    # Filled by Account.save(); set here for build() + bulk_create, which skip save().
    name_key = factory.LazyAttribute(lambda o: company_key(o.name))
    name_prefix = factory.LazyAttribute(lambda o: o.name_key[:2])

    @classmethod
    def through_service(cls, *, name_key, name_prefix, actor=None, **values):
        return services.account_create(actor=actor or values["owner"], **values)


class ContactFactory(ServiceFactory):
    """A contact person with a +86 mobile, on a new account unless ``account=`` is given."""

    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.LazyFunction(lambda: person_name(next_number()))
    phone = factory.LazyFunction(mobile)

    @classmethod
    def through_service(cls, *, actor=None, **values):
        return services.contact_create(actor=actor or values["account"].owner, **values)


def make_account(owner, **data):
    return AccountFactory(owner=owner, **data)


def make_contact(account, **data):
    return ContactFactory(account=account, **data)
