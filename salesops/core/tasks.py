"""Huey tasks shared by the whole project: the periodic sweep runner.

The consumer (``salesops worker``) schedules :func:`run_sweeps` every minute; it runs
every registered sweep (``salesops.core.sweeps``) as of that minute.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from salesops.core import sweeps


@db_periodic_task(crontab(minute="*"))
@lock_task("salesops-sweeps")
def run_sweeps():
    """Run every registered sweep once. The lock keeps two workers from overlapping;
    sweeps are idempotent anyway, so a second run would change nothing."""
    return sweeps.run_all()
