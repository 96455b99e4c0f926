"""Default configuration of the leads app, installed after ``migrate`` when missing:
the built-in intake channels and the seed automations of SPEC L6–L8 as ordinary,
editable rules of the automation engine (first-contact reminder, SLA breach, escalation
chain, monthly dwell report). An admin may edit or switch them off; install never
overwrites a rule that exists (matched by its code)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from salesops.automation import services as automation_services
from salesops.automation.models import Rule

from ..models import Channel

RULES_FILE = Path(__file__).with_name("rules.json")
SLA_RULE = "lead-sla-breach"
REMINDER_RULE = "lead-sla-reminder"
ESCALATION_RULE = "lead-escalation"
DWELL_RULE = "lead-dwell-top10"

CHANNELS = [
    # (kind, zh name, en name)
    ("manual", "手工录入", "Manual entry"),
    ("import", "Excel 导入", "Excel import"),
    ("api", "开放接口", "Open API"),
    ("website", "官网表单", "Website form"),
]


def _pick(value, language: str):
    if isinstance(value, dict) and set(value) <= {"zh", "en"}:
        return value["zh" if language.startswith("zh") else "en"]
    if isinstance(value, dict):
        return {k: _pick(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [_pick(v, language) for v in value]
    return value


def rule_definitions(language: str | None = None) -> list[dict]:
    language = (language or settings.LANGUAGE_CODE).lower()
    return _pick(json.loads(RULES_FILE.read_text(encoding="utf-8")), language)


def install_channels(language: str | None = None) -> None:
    language = (language or settings.LANGUAGE_CODE).lower()
    if Channel.objects.exists():
        return
    for kind, zh, en in CHANNELS:
        Channel.objects.create(kind=kind, name=zh if language.startswith("zh") else en)


def install_rules(language: str | None = None) -> list:
    created = []
    existing = set(Rule.objects.values_list("code", flat=True))
    for definition in rule_definitions(language):
        if definition["code"] in existing:
            continue
        created.append(automation_services.rule_create(actor=None, **definition))
    return created


def install(sender=None, using="default", **kwargs) -> None:
    """post_migrate receiver (also run on test-database flushes). Under the test suite
    only the channels are installed: the rules would fire in tests about other things;
    lead tests install them with the ``lead_rules`` fixture."""
    try:
        Channel.objects.using(using).exists()
    except Exception:  # noqa: BLE001 - tables not there yet (migrating backwards)
        return
    with transaction.atomic(using=using):
        install_channels()
        if not getattr(settings, "TESTING", False):
            install_rules()
