"""Who imports and configures (one place; pages, API and the CLI ask here).

- **Import** an entity: the importer's own rule (``Importer.can_import``; sales-ops
  admins and directors everywhere, managers for their team's customer records, finance
  for contracts, payments and invoices). The services check each row as they would for
  the API, so a row about a record the user may not change is an error, not a write.
- **Templates, limits, app templates**: sales-ops admins and directors.
"""

from __future__ import annotations


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_configure(user) -> bool:
    return _active(user) and (user.is_admin_role or user.edits_everything)


def can_see_job(user, job) -> bool:
    """An import is seen by whoever uploaded it and by the configurers."""
    return _active(user) and (job.created_by_id == user.pk or can_configure(user))
