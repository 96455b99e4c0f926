"""KPI API: me."""

from ninja import Router

router = Router(tags=["kpi"])
