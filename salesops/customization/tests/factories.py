"""Custom field definitions and layouts built through the services, as an admin would."""

from salesops.customization import services

CHOICES = [
    {"value": "hot", "label": "Hot"},
    {"value": "warm", "label": "Warm"},
    {"value": "cold", "label": "Cold"},
]


def make_definition(actor, entity="account", key="budget", type="money", **data):
    data.setdefault("label_en", key.replace("_", " ").capitalize())
    data.setdefault("label_zh", "")
    if type in ("choice", "multi_choice"):
        data.setdefault("choices", CHOICES)
    return services.definition_create(actor=actor, entity=entity, key=key, type=type, **data)
