"""Where KPI metrics read from: a registry of sources in code (metrics themselves are data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Expression, QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    kind: str  # number|money|text|bool|date|datetime|choice|days
    path: str | None = None
    expression: Callable[[], Expression] | None = None
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Source:
    code: str
    label: Promise
    model: str
    owner: str
    fields: dict[str, Field] = field(default_factory=dict)
    date_fields: tuple[str, ...] = ()
    default_date: str | None = None
    base: Callable[[QuerySet], QuerySet] | None = None

    def model_class(self):
        return apps.get_model(self.model)

    def queryset(self) -> QuerySet:
        qs = self.model_class()._default_manager.all()
        return self.base(qs) if self.base else qs


_REGISTRY: dict[str, Source] = {}


def register(source: Source) -> Source:
    _REGISTRY[source.code] = source
    return source


def get(code: str) -> Source:
    return _REGISTRY[code]


def all_sources() -> list[Source]:
    return list(_REGISTRY.values())
