"""The demo starts from the manufacturing industry template, as a new installation
would: its evidence types, custom fields, check-in result tags and script categories.

Only the sections that do not clash with what the demo builds itself are taken. Left
out: the pipeline (the demo's deal history fills every stage of the standard and the
services pipelines, and its pages and tests count on those two), the teams (the demo has
one company with four regions), the routing rules (one per demo region, by the demo's
teams), the KPI scheme (the demo saves its own versions) and the automation rules (they
would fire over the demo's history and change its inboxes).
"""

from __future__ import annotations

from salesops.exchange import industry
from salesops.exchange.appconfig import engine
from salesops.org.models import User

TEMPLATE = "manufacturing"
SECTIONS = ("choice_lists", "custom_fields", "result_tags", "knowledge_categories")


def apply_template() -> dict[str, dict[str, int]]:
    """Apply the demo's sections of the manufacturing template as the demo's admin."""
    data = industry.load(TEMPLATE)
    sections = {name: data["sections"].get(name, []) for name in SECTIONS}
    admin = User.objects.get(username="admin")
    return engine.apply({**data, "sections": sections}, actor=admin)
