"""Custom field definitions and layouts, created through the services as an admin would."""

import factory

from salesops.core.tests.factories import ServiceFactory
from salesops.customization import services
from salesops.customization.models import CustomFieldDefinition, FormLayout
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory

CHOICES = [
    {"value": "hot", "label": "Hot"},
    {"value": "warm", "label": "Warm"},
    {"value": "cold", "label": "Cold"},
]


class CustomFieldDefinitionFactory(ServiceFactory):
    """A money field ``budget`` of accounts unless told otherwise; choice fields get
    hot / warm / cold. ``actor=`` (default: a new admin) defines it."""

    class Meta:
        model = CustomFieldDefinition

    entity = "account"
    key = factory.Sequence(lambda n: f"field_{n}")
    type = "money"
    label_en = factory.LazyAttribute(lambda o: o.key.replace("_", " ").capitalize())
    label_zh = ""

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if kwargs["type"] in ("choice", "multi_choice"):
            kwargs.setdefault("choices", CHOICES)
        return kwargs

    @classmethod
    def through_service(cls, *, actor=None, **values):
        actor = actor or UserFactory(role=Role.ADMIN)
        return services.definition_create(actor=actor, **values)


class FormLayoutFactory(ServiceFactory):
    """The default layout of an entity's form (``fields``: the field keys in order)."""

    class Meta:
        model = FormLayout

    entity = "account"
    name = FormLayout.DEFAULT
    fields = factory.LazyFunction(lambda: ["name", "owner"])

    @classmethod
    def through_service(cls, *, actor=None, **values):
        actor = actor or UserFactory(role=Role.ADMIN)
        return services.layout_save(actor=actor, **values)


def make_definition(actor, entity="account", key="budget", type="money", **data):
    return CustomFieldDefinitionFactory(actor=actor, entity=entity, key=key, type=type, **data)
