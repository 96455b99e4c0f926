"""KPI API: review."""

from ninja import Router

router = Router(tags=["kpi"])
