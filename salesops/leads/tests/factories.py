"""Lead-side factories: channels, routing rules (with members) and leads, created
through the services (a lead through the intake, as a web form would send it);
``make_channel``, ``make_rule``, ``lead_data`` and ``intake`` are the short forms."""

import factory

from salesops.core.names import company_key
from salesops.core.tests.factories import ServiceFactory, company_name, next_number
from salesops.leads import services
from salesops.leads.models import Channel, Inquiry, Lead, RoutingMember, RoutingRule
from salesops.org.tests.factories import UserFactory

__all__ = [
    "ChannelFactory",
    "InquiryFactory",
    "LeadFactory",
    "RoutingMemberFactory",
    "RoutingRuleFactory",
    "company_name",
    "intake",
    "lead_data",
    "make_channel",
    "make_rule",
]


class ChannelFactory(ServiceFactory):
    """A website form channel (admin-made; ``actor=None`` is the system)."""

    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"官网表单{n}")
    kind = "website"

    @classmethod
    def through_service(cls, *, actor=None, **values):
        return services.channel_create(actor=actor, **values)


class RoutingRuleFactory(ServiceFactory):
    """A routing rule for ``team=`` or ``members=`` (``{"user_id", "weight"}`` dicts);
    without either, for one new rep."""

    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"规则{n}")
    team = None
    members = factory.Maybe(
        "team", None, factory.LazyFunction(lambda: [{"user_id": UserFactory().pk}])
    )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs.pop("members", None)  # RoutingMember rows, written by the service
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def through_service(cls, *, actor=None, members=None, **values):
        return services.routing_rule_create(actor=actor, members=members, **values)


class RoutingMemberFactory(factory.django.DjangoModelFactory):
    """One rep of a rule's pool (``RoutingRuleFactory(members=[...])`` makes them through
    the service; this one is for building rows in bulk)."""

    class Meta:
        model = RoutingMember

    rule = factory.SubFactory(RoutingRuleFactory)
    user = factory.SubFactory(UserFactory)
    weight = 1


def lead_data(n: int | None = None, **data) -> dict:
    """What a web form sends: a contact, a +86 mobile (the 137 block, apart from the
    contacts' 139) and a company the duplicate check takes for no other."""
    n = next_number() if n is None else n
    data.setdefault("contact_name", f"张{n}")
    data.setdefault("phone", f"137{n % 10**8:08d}")
    data.setdefault("company", company_name(n))
    data.setdefault("need", "想了解产线数字化方案")
    return data


class LeadFactory(ServiceFactory):
    """A lead as the intake makes it from a web form (deduplicated, routed, SLA clock
    started); ``owner=`` keeps it with that user (their quick entry). ``build()`` gives an
    unsaved, unrouted lead for bulk inserts."""

    class Meta:
        model = Lead
        exclude = ("n",)

    n = factory.LazyFunction(next_number)
    channel = factory.SubFactory(ChannelFactory)
    contact_name = factory.LazyAttribute(lambda o: lead_data(o.n)["contact_name"])
    phone = factory.LazyAttribute(lambda o: lead_data(o.n)["phone"])
    company = factory.LazyAttribute(lambda o: lead_data(o.n)["company"])
    need = factory.LazyAttribute(lambda o: lead_data(o.n)["need"])

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        # Filled by the intake; set here for build() + bulk_create.
        kwargs.setdefault("company_key", company_key(kwargs["company"]))
        kwargs.setdefault("company_prefix", kwargs["company_key"][:2])
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def through_service(cls, *, channel, owner=None, **data):
        return services.lead_intake(channel=channel, data=data, owner=owner).lead


class InquiryFactory(ServiceFactory):
    """A repeat inquiry: the same person writes in again, through the intake, and the
    inquiry joins their open lead (a new lead unless ``lead=`` is given)."""

    class Meta:
        model = Inquiry

    lead = factory.SubFactory(LeadFactory)
    channel = factory.SelfAttribute("lead.channel")

    @classmethod
    def through_service(cls, *, lead, channel, **values):
        data = {"contact_name": lead.contact_name, "phone": lead.phone}
        data.update(company=lead.company, need=lead.need, **values)
        result = services.lead_intake(channel=channel, data=data)
        return result.lead.inquiries.order_by("-pk").first()


def make_channel(**data) -> Channel:
    return ChannelFactory(**data)


def make_rule(team=None, members=None, **data):
    return RoutingRuleFactory(team=team, members=members, **data)


def intake(channel=None, **data):
    """A lead through the intake of ``channel`` (the first website channel, made if
    needed); returns the service's result (``.lead``, ``.outcome`` …)."""
    channel = channel or Channel.objects.filter(kind="website").first() or make_channel()
    return services.lead_intake(channel=channel, data=lead_data(**data))
