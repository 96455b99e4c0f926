"""Result tags and activities, created through the services."""

import factory

from salesops.activities import services
from salesops.activities.models import Activity, ResultTag
from salesops.core.tests.factories import ServiceFactory
from salesops.customers.tests.factories import AccountFactory
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory


class ResultTagFactory(ServiceFactory):
    """A check-in result that counts as a contact, added by an admin (``actor=``)."""

    class Meta:
        model = ResultTag

    code = factory.Sequence(lambda n: f"result_{n}")
    label_zh = factory.Sequence(lambda n: f"结果{n}")
    label_en = factory.Sequence(lambda n: f"Result {n}")
    counts_as_contact = True

    @classmethod
    def through_service(cls, *, actor=None, **values):
        actor = actor or UserFactory(role=Role.ADMIN)
        return services.result_tag_create(actor=actor, **values)


class ActivityFactory(ServiceFactory):
    """An open call by ``owner`` on one of their accounts (a new one unless ``account=``
    or ``lead=`` is given); pass ``tag=`` to log it finished."""

    class Meta:
        model = Activity

    owner = factory.SubFactory(UserFactory)
    kind = "call"
    account = factory.Maybe(
        "lead",
        yes_declaration=None,
        no_declaration=factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner")),
    )
    lead = None

    @classmethod
    def through_service(cls, *, owner, **values):
        return services.activity_log(actor=owner, **values)


def make_daily_report(owner, **data):
    """``owner``'s report of today (or ``day=``), through the service."""
    from salesops.activities import daily_reports

    data.setdefault("done", "打了三个电话，拜访一家客户")
    data.setdefault("plans", "明天跟进报价")
    return daily_reports.daily_report_submit(actor=owner, **data)
