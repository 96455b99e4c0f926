"""KPI configuration over the API (prefix /kpi): the metric library, schemes and their
versions, the preview, score runs and Settings · KPI. Configurers only (403 otherwise);
an unknown id 404; bad input 422 naming the field; deleting a metric a version uses 409.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.pagination import paginate
from salesops.org.models import Team

from . import metric_library, permissions, runs, schemes, tasks
from .models import KpiPolicy, Metric, Scheme, SchemeVersion, ScoreRun
from .policy import policy_update
from .schemas_schemes import (
    MetricIn,
    MetricOut,
    MetricPage,
    MetricPatch,
    PolicyOut,
    PolicyPatch,
    ReplayOut,
    RunIn,
    RunOut,
    RunPage,
    RunQueued,
    RunStatusOut,
    SchemeIn,
    SchemeOut,
    SchemePage,
    SchemePatch,
    SchemePreviewIn,
    SchemePreviewOut,
    SchemeVersionOut,
    TryOut,
    VersionIn,
)

router = Router(tags=["kpi"])
MAX_ID = 2**63


class MetricListQuery(Schema):
    q: str = ""
    page: int = 1
    page_size: int | None = None


class MetricQuery(MetricListQuery):
    source: str = ""
    kind: str = ""
    group: str = ""
    active: str = ""


class RunQuery(Schema):
    scheme_id: int | None = None
    state: str = ""
    page: int = 1
    page_size: int | None = None


class StatusQuery(Schema):
    scheme_id: int
    month: str


def _configurer(request) -> None:
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director configures KPIs."))


def _get(request, model, pk: int, **lookup):
    _configurer(request)
    if not 0 < pk < MAX_ID:
        return get_object_or_404(model, pk=0)
    return get_object_or_404(model, pk=pk, **lookup)


# --- metrics ------------------------------------------------------------------------------


@router.get("/kpi/metrics", response=MetricPage, summary="The metric library")
def list_metrics(request, query: Query[MetricQuery]):
    _configurer(request)
    qs = metric_library.metrics_list(
        q=query.q, source=query.source, kind=query.kind, group=query.group, active=query.active
    )
    return paginate(qs, query.page, query.page_size)


@router.post("/kpi/metrics", response={201: MetricOut}, summary="Add a metric")
def create_metric(request, payload: MetricIn):
    _configurer(request)
    return Status(201, metric_library.metric_create(by=request.user, data=payload.dict()))


@router.get("/kpi/metrics/{metric_id}", response=MetricOut, summary="One metric")
def get_metric(request, metric_id: int):
    return _get(request, Metric, metric_id)


@router.patch("/kpi/metrics/{metric_id}", response=MetricOut, summary="Change a metric")
def update_metric(request, metric_id: int, payload: MetricPatch):
    metric = _get(request, Metric, metric_id)
    data = payload.dict(exclude_unset=True)
    return metric_library.metric_update(by=request.user, metric=metric, data=data)


@router.delete("/kpi/metrics/{metric_id}", response={204: None}, summary="Delete an unused metric")
def delete_metric(request, metric_id: int):
    metric = _get(request, Metric, metric_id)
    try:
        metric_library.metric_delete(by=request.user, metric=metric)
    except metric_library.MetricInUse as exc:
        return error_response(request, 409, "conflict", exc.message_dict["code"][0], "code")
    return Status(204, None)


@router.get("/kpi/metrics/{metric_id}/try", response=TryOut, summary="Values last month")
def try_metric(request, metric_id: int):
    metric = _get(request, Metric, metric_id)
    start, end = schemes.last_month()
    values = metric_library.metric_try(by=request.user, metric=metric, start=start, end=end)
    return {"period_start": start, "period_end": end, "values": values}


@router.get("/kpi/sources", response=list[dict], summary="Sources, their fields and codes")
def list_sources(request):
    _configurer(request)
    return [metric_library.source_help(code) for code, _label in metric_library.source_choices()]


# --- schemes and versions -----------------------------------------------------------------


@router.get("/kpi/schemes", response=SchemePage, summary="KPI schemes")
def list_schemes(request, query: Query[MetricListQuery]):
    _configurer(request)
    return paginate(schemes.schemes_list(q=query.q), query.page, query.page_size)


@router.post("/kpi/schemes", response={201: SchemeOut}, summary="Add a scheme")
def create_scheme(request, payload: SchemeIn):
    _configurer(request)
    team = None
    if payload.team_id is not None:
        team = (
            Team.objects.filter(pk=payload.team_id).first()
            if 0 < payload.team_id < MAX_ID
            else None
        )
        if team is None:
            return error_response(request, 422, "validation_error", _("Unknown team."), "team_id")
    scheme = schemes.scheme_create(by=request.user, name=payload.name, role=payload.role, team=team)
    return Status(201, scheme)


@router.post(
    "/kpi/schemes/preview", response=SchemePreviewOut, summary="Preview a draft on last month"
)
def preview_scheme(request, payload: SchemePreviewIn):
    _configurer(request)
    scheme = None
    if payload.scheme_id is not None:
        scheme = _get(request, Scheme, payload.scheme_id)
    start, end, results = schemes.scheme_preview(
        by=request.user,
        scheme=scheme,
        result_weight=payload.result_weight,
        process_weight=payload.process_weight,
        quality_weight=payload.quality_weight,
        items=[item.dict() for item in payload.items],
    )
    return {"period_start": start, "period_end": end, "results": schemes.preview_rows(results)}


@router.get("/kpi/schemes/{scheme_id}", response=SchemeOut, summary="One scheme")
def get_scheme(request, scheme_id: int):
    return _get(request, Scheme, scheme_id)


@router.patch("/kpi/schemes/{scheme_id}", response=SchemeOut, summary="Rename or (de)activate")
def update_scheme(request, scheme_id: int, payload: SchemePatch):
    scheme = _get(request, Scheme, scheme_id)
    return schemes.scheme_update(by=request.user, scheme=scheme, **payload.dict(exclude_unset=True))


@router.get(
    "/kpi/schemes/{scheme_id}/versions", response=list[SchemeVersionOut], summary="Versions"
)
def list_versions(request, scheme_id: int):
    scheme = _get(request, Scheme, scheme_id)
    return list(scheme.versions.order_by("-number").prefetch_related("items"))


@router.post(
    "/kpi/schemes/{scheme_id}/versions",
    response={201: SchemeVersionOut},
    summary="Save a new version",
)
def create_version(request, scheme_id: int, payload: VersionIn):
    scheme = _get(request, Scheme, scheme_id)
    data = payload.dict()
    data["items"] = [item.dict() for item in payload.items]
    return Status(201, schemes.scheme_save_version(by=request.user, scheme=scheme, **data))


@router.get(
    "/kpi/schemes/{scheme_id}/versions/{number}", response=SchemeVersionOut, summary="One version"
)
def get_version(request, scheme_id: int, number: int):
    scheme = _get(request, Scheme, scheme_id)
    if not 0 < number < MAX_ID:
        number = 0
    return get_object_or_404(SchemeVersion, scheme=scheme, number=number)


# --- runs ---------------------------------------------------------------------------------


@router.get("/kpi/runs", response=RunPage, summary="Score runs")
def list_runs(request, query: Query[RunQuery]):
    _configurer(request)
    qs = ScoreRun.objects.select_related("scheme", "version").order_by("-period_start", "scheme")
    if query.scheme_id is not None:
        qs = qs.filter(scheme_id=query.scheme_id)
    if query.state:
        qs = qs.filter(state=query.state)
    return paginate(qs, query.page, query.page_size)


@router.post("/kpi/runs", response={202: RunQueued}, summary="Run a period (queued)")
def start_run(request, payload: RunIn):
    _configurer(request)
    scheme = (
        Scheme.objects.filter(pk=payload.scheme_id).first()
        if 0 < payload.scheme_id < MAX_ID
        else None
    )
    if scheme is None:
        return error_response(request, 422, "validation_error", _("Unknown scheme."), "scheme_id")
    start, end = schemes.parse_month(payload.month)
    task_id = tasks.period_run_enqueue(by=request.user, scheme=scheme, start=start, end=end)
    query = urlencode({"scheme_id": scheme.pk, "month": payload.month})
    url = reverse("api:kpi_run_status", kwargs={"task_id": task_id})
    return Status(202, {"task_id": task_id, "status_url": f"{url}?{query}"})


@router.get(
    "/kpi/runs/tasks/{task_id}",
    response=RunStatusOut,
    url_name="kpi_run_status",
    summary="Progress",
)
def run_status(request, task_id: str, query: Query[StatusQuery]):
    scheme = _get(request, Scheme, query.scheme_id)
    start, end = schemes.parse_month(query.month)
    return tasks.run_status(task_id[:64], scheme, start, end)


@router.get("/kpi/runs/{run_id}", response=RunOut, summary="One run")
def get_run(request, run_id: int):
    return _get(request, ScoreRun, run_id)


@router.post("/kpi/runs/{run_id}/replay", response=ReplayOut, summary="Replay a run")
def replay_run(request, run_id: int):
    run = _get(request, ScoreRun, run_id)
    differences = runs.replay(run)
    return {"identical": not differences, "differences": differences}


# --- Settings · KPI -----------------------------------------------------------------------


@router.get("/kpi/policy", response=PolicyOut, summary="KPI settings")
def get_policy(request):
    _configurer(request)
    return KpiPolicy.current()


@router.patch("/kpi/policy", response=PolicyOut, summary="Change KPI settings")
def update_policy(request, payload: PolicyPatch):
    _configurer(request)
    return policy_update(actor=request.user, **payload.dict(exclude_unset=True))
