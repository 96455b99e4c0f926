"""The demo starts from the manufacturing industry template, as a new installation
would: its evidence types, custom fields, check-in result tags, script categories and its
pipeline (alongside the standard one, which keeps the demo's deal history).

Only the sections that do not clash with what the demo builds itself are taken: its
teams (the demo has one company with four regions), routing rules (one per demo region,
by the demo's teams), KPI scheme (the demo saves its own versions), and automation rules
(they would fire over the demo's history and change its inboxes) stay out.
"""

from __future__ import annotations

from salesops.exchange import industry
from salesops.exchange.appconfig import base, engine
from salesops.org.models import User
from salesops.pipeline import defaults as pipeline_defaults

TEMPLATE = "manufacturing"
SECTIONS = ("choice_lists", "custom_fields", "result_tags", "knowledge_categories", "pipelines")


def apply_template() -> dict[str, dict[str, int]]:
    """Apply the demo's sections of the manufacturing template as the demo's admin."""
    # The standard pipeline first: it stays the default, and the demo's deals use it.
    pipeline_defaults.install_default_pipeline()
    data = industry.load(TEMPLATE)
    sections = {
        name: data["sections"].get(name, []) for name in SECTIONS if base.get(name) is not None
    }
    if "choice_lists" not in sections:
        # The pipeline's exit criteria name the template's evidence types.
        sections.pop("pipelines", None)
    for pipeline in sections.get("pipelines", []):
        pipeline["is_default"] = False
    admin = User.objects.get(username="admin")
    return engine.apply({**data, "sections": sections}, actor=admin)
