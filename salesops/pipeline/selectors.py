"""Reads of pipelines, deals and stage changes (visibility applied by the callers'
querysets: ``Deal.objects.visible_to(user)``)."""

from __future__ import annotations

from django.db.models import Q

from .models import Deal, Pipeline, Stage, StageKind


def active_pipelines():
    return Pipeline.objects.filter(is_active=True).order_by("order", "id")


def default_pipeline(*, product_line: str = "", team=None) -> Pipeline | None:
    """The pipeline a new deal goes to: the product line's, else the team's (or an
    ancestor team's), else the default one."""
    pipelines = list(active_pipelines())
    if product_line:
        for pipeline in pipelines:
            if pipeline.product_line == product_line:
                return pipeline
    if team is not None:
        ancestors = {int(part) for part in team.path.strip("/").split("/") if part}
        ancestors.add(team.pk)
        for pipeline in pipelines:
            if pipeline.team_id in ancestors:
                return pipeline
    for pipeline in pipelines:
        if pipeline.is_default:
            return pipeline
    return pipelines[0] if pipelines else None


def first_stage(pipeline: Pipeline) -> Stage | None:
    return pipeline.stages.filter(kind=StageKind.OPEN).order_by("order", "id").first()


def terminal_stage(pipeline: Pipeline, kind: str) -> Stage | None:
    return pipeline.stages.filter(kind=kind).order_by("order", "id").first()


def deals_for(user, *, q: str = ""):
    deals = Deal.objects.visible_to(user).select_related("account", "owner", "stage", "pipeline")
    if q:
        deals = deals.filter(Q(name__icontains=q) | Q(account__name__icontains=q))
    return deals
