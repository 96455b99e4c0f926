"""KPI API: schemes."""

from ninja import Router

router = Router(tags=["kpi"])
