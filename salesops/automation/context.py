"""The one place that builds what a rule's condition (and a timer's "unless") reads.

The live engine (an event, a timer level, a scheduled instant) and the preview ("try it on
record #N") both call :func:`variables_for`, so a preview that says "condition true" is the
engine's answer for the same record. Layers, later ones winning:

1. an event's payload fields (``None`` when the preview has no event to read them from),
   then the payload itself;
2. a schedule's instant (``weekday``, ``hour`` … in the organisation's time zone);
3. the record's variables (``core.entities``: model fields, ``<fk>`` by code such as an
   activity's ``tag``, custom fields) — the record as it is now;
4. a timer's ``timer_level``.

Under all of them ``now`` and ``today`` (organisation time zone), for date arithmetic such
as ``days_between(signed_on, today) > 30``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from salesops.core import clock, entities, events

from . import triggers
from .models import TriggerType

# Payload keys that are bookkeeping, not something a condition reads.
PAYLOAD_NOISE = ("event_id", events.CAUSE_KEY)


def variables_for(
    version,
    *,
    instance: Any = None,
    payload: dict | None = None,
    instant: dt.datetime | None = None,
    level: int | None = None,
) -> dict:
    """The variables ``version``'s condition sees for ``instance`` (and the event's
    ``payload``, the schedule's ``instant`` or the timer's ``level``)."""
    now = clock.now()
    variables: dict = {"now": now, "today": timezone.localdate(now)}
    trigger = version.trigger or {}
    if version.trigger_type == TriggerType.EVENT:
        fields = triggers.event_catalogue().get(trigger.get("event"), {}).get("fields", ())
        variables.update({name: None for name in fields})
        variables.update({k: v for k, v in (payload or {}).items() if k not in PAYLOAD_NOISE})
    elif version.trigger_type == TriggerType.SCHEDULE and instant is not None:
        variables.update(triggers.schedule_variables(instant))
    if instance is not None and version.entity:
        variables.update(entities.get(version.entity).variables(instance))
        if version.trigger_type == TriggerType.EVENT:
            variables["id"] = instance.pk
    if version.trigger_type == TriggerType.TIMER:
        variables["timer_level"] = level or 0
    return variables
