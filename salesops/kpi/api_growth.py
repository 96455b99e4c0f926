"""KPI API: growth."""

from ninja import Router

router = Router(tags=["kpi"])
