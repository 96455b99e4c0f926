"""Rules (with their first version) and firings."""

import uuid

import factory

from salesops.automation import services
from salesops.automation.models import Rule, RuleFiring
from salesops.core.tests.factories import ServiceFactory


class RuleFactory(ServiceFactory):
    """An event rule "when an account is created, tell the owner's manager", created
    through ``services.rule_create`` (which writes its first :class:`RuleVersion`).
    ``actor=`` is who writes it (default: the system)."""

    class Meta:
        model = Rule

    name = factory.Sequence(lambda n: f"规则 {n}")
    trigger_type = "event"
    trigger = factory.LazyFunction(lambda: {"event": "account.created"})
    actions = factory.LazyFunction(
        lambda: [{"kind": "notify", "to": ["manager"], "title": "New account {name}"}]
    )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        # trigger and actions live on the rule's versions, not on the rule itself
        kwargs.pop("trigger", None)
        kwargs.pop("actions", None)
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def through_service(cls, *, actor=None, **values):
        return services.rule_create(actor=actor, **values)


class RuleFiringFactory(factory.django.DjangoModelFactory):
    """A done firing of a rule's current version on a record (the engine writes these;
    tests use the factory to set up history for the firings list and the sweeps)."""

    class Meta:
        model = RuleFiring

    rule = factory.SubFactory(RuleFactory)
    version = factory.LazyAttribute(lambda o: o.rule.current_version)
    entity = "account"
    object_id = factory.Sequence(lambda n: n + 1)
    key = factory.LazyAttribute(lambda o: f"event:{o.entity}:{o.object_id}")
    status = "done"
    claim = factory.LazyFunction(uuid.uuid4)
