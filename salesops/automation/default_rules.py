"""What every app's default rules share: a rule is an ordinary editable rule of the engine,
installed after ``migrate`` when no rule has its code, never overwritten.

An app lists its rules as ``rule_create`` keyword dicts (``definitions(language)``) and
connects :func:`post_migrate_receiver` of its ``install_rules``; tests call
``install_rules`` themselves (a rule installed under the test suite would fire in tests
about other things).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction

from . import services
from .models import Rule


def text(zh: str, en: str, language: str) -> str:
    """The rule's name or description in the installation's language."""
    return zh if language.lower().startswith("zh") else en


def install_missing(definitions: Iterable[dict]) -> list[Rule]:
    """Create each rule whose code no rule has yet; return the ones created."""
    created = []
    for definition in definitions:
        if not Rule.objects.filter(code=definition["code"]).exists():
            created.append(services.rule_create(actor=None, **definition))
    return created


def post_migrate_receiver(install_rules: Callable[[], object], *models) -> Callable:
    """A post_migrate receiver calling ``install_rules()`` in one transaction — not under
    the test suite, and not while the rules' tables (or ``models``' tables) are missing
    (migrating backwards)."""

    def install(sender=None, using="default", **kwargs) -> None:
        if getattr(settings, "TESTING", False):
            return
        try:
            Rule.objects.using(using).exists()
            for model in models:
                model.objects.using(using).exists()
        except Exception:  # noqa: BLE001 - tables not there yet (migrating backwards)
            return
        with transaction.atomic(using=using):
            install_rules()

    return install
