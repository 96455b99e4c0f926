"""The shared factories make data the services accept and the duplicate checks keep apart."""

import phonenumbers
import pytest
from rapidfuzz import fuzz, process
from stdnum.cn import uscc

from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.aftersales.tests.factories import (
    ComplaintFactory,
    NpsResponseFactory,
    RenewalFactory,
    ServiceTicketFactory,
)
from salesops.automation.tests.factories import RuleFactory, RuleFiringFactory
from salesops.core.names import company_key
from salesops.core.tests.factories import DISTINCT_NAMES, company_name, credit_code, mobile
from salesops.customers.tests.factories import AccountFactory, ContactFactory
from salesops.customization.tests.factories import (
    CustomFieldDefinitionFactory,
    FormLayoutFactory,
)
from salesops.leads.models import Lead
from salesops.leads.tests.factories import (
    ChannelFactory,
    InquiryFactory,
    LeadFactory,
    RoutingMemberFactory,
    RoutingRuleFactory,
)
from salesops.notifications.tests.factories import ChannelConfigFactory, NotificationFactory
from salesops.org.tests.factories import (
    ApiTokenFactory,
    LeavePeriodFactory,
    TeamFactory,
    UserFactory,
)
from salesops.revenue.tests.factories import (
    ContractFactory,
    DeliveryFactory,
    InstalmentFactory,
    InvoiceFactory,
    OrderFactory,
    PaymentFactory,
)
from salesops.todos.tests.factories import TaskFactory

FACTORIES = [
    UserFactory,
    TeamFactory,
    LeavePeriodFactory,
    ApiTokenFactory,
    AccountFactory,
    ContactFactory,
    CustomFieldDefinitionFactory,
    FormLayoutFactory,
    NotificationFactory,
    ChannelConfigFactory,
    TaskFactory,
    RuleFactory,
    RuleFiringFactory,
    ChannelFactory,
    LeadFactory,
    InquiryFactory,
    RoutingRuleFactory,
    RoutingMemberFactory,
    ResultTagFactory,
    ActivityFactory,
    ComplaintFactory,
    NpsResponseFactory,
    ServiceTicketFactory,
    RenewalFactory,
    ContractFactory,
    InstalmentFactory,
    DeliveryFactory,
    OrderFactory,
    PaymentFactory,
    InvoiceFactory,
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_creates_a_valid_stored_record(factory):
    record = factory()
    assert record.pk is not None
    stored = type(record).objects.get(pk=record.pk)
    stored.full_clean(validate_unique=False, validate_constraints=False)


@pytest.mark.django_db
def test_factories_build_unsaved_records_for_bulk_inserts(org):
    accounts = AccountFactory.build_batch(3, owner=org.rep_a)
    assert all(a.pk is None for a in accounts)
    stored = AccountFactory._meta.model.objects.bulk_create(accounts)
    assert [a.name_key for a in stored] == [company_key(a.name) for a in accounts]
    channel = ChannelFactory()
    Lead.objects.bulk_create(LeadFactory.build_batch(2, channel=channel))
    assert Lead.objects.filter(channel=channel).count() == 2


@pytest.mark.django_db
def test_two_generated_companies_are_never_taken_for_one_another(org):
    # given two leads whose companies the factory named
    first = LeadFactory()
    second = LeadFactory()
    # then the second is a lead of its own, not attached to the first or flagged
    assert first.pk != second.pk
    assert not second.inquiries.exclude(matched_by="").exists()


def test_generated_company_names_stay_below_the_fuzzy_review_threshold():
    # The duplicate check compares company keys with rapidfuzz (leads/dedup.py); review
    # starts at the review threshold, 80 by default. A sample across the whole cycle of names:
    numbers = list(range(0, 1500)) + list(range(1500, DISTINCT_NAMES, 13))
    keys = [company_key(company_name(n)) for n in numbers]
    assert len(set(keys)) == len(keys)
    scores = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=72)
    scores.setflags(write=True)
    for i in range(len(keys)):
        scores[i, i] = 0
    assert scores.max() < 72


def test_generated_credit_codes_and_mobiles_are_valid():
    for _ in range(50):
        assert uscc.is_valid(credit_code())
        number = phonenumbers.parse(mobile(), "CN")
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
