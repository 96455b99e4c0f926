"""Pages of the leads app, one module per area (SPEC L1–L8): the lead list, a lead's page with its timeline
and actions, quick entry, editing, channel and routing administration, and the monthly
dwell TOP10 report.

Thin views: reads go through ``Lead.objects.visible_to`` / ``selectors``, writes through
``services``. A lead outside the user's visibility is a 404, never a 403.
"""

from .channels import channel_create, channel_detail, channel_edit, channel_list, channel_token
from .leads import (
    lead_claim,
    lead_convert,
    lead_detail,
    lead_edit,
    lead_export,
    lead_history,
    lead_licence_photo,
    lead_list,
    lead_reassign,
    lead_review,
    lead_status,
    quick_entry,
)
from .reports import dwell_report
from .routing import (
    routing_cap_set,
    routing_caps,
    routing_create,
    routing_delete,
    routing_edit,
    routing_list,
    routing_test,
)

__all__ = [
    "channel_create",
    "channel_detail",
    "channel_edit",
    "channel_list",
    "channel_token",
    "dwell_report",
    "lead_claim",
    "lead_convert",
    "lead_detail",
    "lead_edit",
    "lead_export",
    "lead_history",
    "lead_licence_photo",
    "lead_list",
    "lead_reassign",
    "lead_review",
    "lead_status",
    "quick_entry",
    "routing_cap_set",
    "routing_caps",
    "routing_create",
    "routing_delete",
    "routing_edit",
    "routing_list",
    "routing_test",
]
