"""The healthy-deal check (D7) in a template: ``{% load deal_health %}``, then
``{% health_badge deal %}`` (x/5 with the failures' signals in its title — the kanban
card) or ``{% health_panel deal %}`` (each criterion with its value, threshold and signal —
the deal page). Both read what ``pipeline.health.describe`` gives; nothing is computed."""

from django import template

from salesops.pipeline import health

register = template.Library()


@register.inclusion_tag("pipeline/_health_badge.html")
def health_badge(deal):
    return {"h": health.describe(deal)}


@register.inclusion_tag("pipeline/_health_panel.html")
def health_panel(deal):
    return {"h": health.describe(deal), "deal": deal}
