"""Triggers: what each kind needs (validated into a clean settings dict), when a timer
level falls due, which cron instant is due, and the variables a condition may read.

Trigger settings (``RuleVersion.trigger``):

* event — ``{"event": "account.created"}``; the entity is the event's prefix when it is a
  registered entity (``account``), otherwise the rule has no entity and sees the payload.
* timer — ``{"field": "created_at", "minutes": 60, "unit": "working" | "calendar",
  "unless": "<expression>", "repeat_every": 30 | None, "max_level": 3}``. Level 0 falls due
  ``minutes`` after the start field, level *n* ``n × repeat_every`` later; each level fires
  once per record and start instant, also for a record written when it was already due
  (it fires at the first sweep after the write; see ``engine._run_timer_rule``). When
  "unless" is true at check time the clock is stopped: no firing.
  Conditions (and "unless") may read ``timer_level``; templates may show ``{timer_level}``.
* schedule — ``{"cron": "0 9 * * 1-5"}`` in the organisation's time zone, or a simple form
  kept with the cron it compiles to: ``{"every": "daily", "at": "09:00", "cron": …}``,
  ``{"every": "weekly", "weekdays": [1, 3], …}`` (1 = Monday), ``{"every":
  "monthly_workday", "workday": 2, …}`` (the 2nd Chinese working day of each month; the
  cron is daily and only that day fires). Without an entity
  the rule fires once per instant; with one it fires once per instant for every record
  matching the condition (a full pass over the entity's table at each instant, so keep
  such schedules daily or weekly).
"""

from __future__ import annotations

import datetime as dt
import re

from croniter import croniter
from croniter.croniter import CroniterError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import entities, events
from salesops.core.calendar import BusinessCalendar, default_calendar, is_workday
from salesops.core.expressions import ExpressionError, compile_expression

from .models import TriggerType

UNITS = ("working", "calendar")
MAX_LEVEL = 20
MAX_MINUTES = 60 * 24 * 366  # a year of calendar minutes
# What every condition may read besides its record: the instant it is evaluated at and
# that day in the organisation's time zone (``days_between(signed_on, today) > 30``).
CLOCK_VARIABLES = frozenset({"now", "today"})
SCHEDULE_VARIABLES = frozenset({"is_workday", "weekday", "hour", "minute", "day", "month", "year"})
CRON_FIELDS = (
    gettext_lazy("minute"),
    gettext_lazy("hour"),
    gettext_lazy("day of month"),
    gettext_lazy("month"),
    gettext_lazy("day of week"),
)


# --- working time -------------------------------------------------------------------------
def subtract_working_minutes(cal: BusinessCalendar, end: dt.datetime, minutes: int) -> dt.datetime:
    """The latest instant ``s`` with ``cal.add_working_minutes(s, minutes) <= end``.

    A timer of ``minutes`` working minutes started at ``s`` is due at ``end`` exactly when
    ``s <= subtract_working_minutes(cal, end, minutes)``, so the sweep can ask the database
    for the start instants in a range instead of computing a due time per record. Walks
    back through the working periods; whole workdays are skipped arithmetically."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    moment = end.astimezone(cal.tz)
    remaining = dt.timedelta(minutes=minutes)
    full_day = dt.timedelta(minutes=cal.minutes_per_day)
    day = moment.date()
    while True:
        if cal.is_workday(day):
            for w_start, w_end in reversed(list(cal._windows(day))):
                if moment <= w_start:
                    continue
                stop = min(moment, w_end)
                available = stop - w_start
                if remaining <= available:
                    return (stop - remaining).astimezone(dt.UTC)
                remaining -= available
                moment = w_start
        # ``moment`` becomes the end of the previous day (midnight after it).
        moment = dt.datetime.combine(day, dt.time.min, tzinfo=cal.tz)
        day -= dt.timedelta(days=1)
        while remaining > full_day and cal.is_workday(day):
            remaining -= full_day
            moment = dt.datetime.combine(day, dt.time.min, tzinfo=cal.tz)
            day -= dt.timedelta(days=1)


def start_instant(value) -> dt.datetime | None:
    """A start field's value as an instant: a date (a payment's ``received_on``, a
    contract's ``signed_on``) starts at midnight in the organisation's time zone, which is
    also how the database compares a date column with an instant."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min, tzinfo=timezone.get_default_timezone())
    return value


def due_cutoff(now: dt.datetime, minutes: int, unit: str, cal=None) -> dt.datetime:
    """The latest start instant whose timer of ``minutes`` (working or calendar) is due
    at ``now``."""
    if unit == "calendar":
        return now - dt.timedelta(minutes=minutes)
    return subtract_working_minutes(cal or default_calendar(), now, minutes)


def due_at(start: dt.datetime, minutes: int, unit: str, cal=None) -> dt.datetime:
    if unit == "calendar":
        return start + dt.timedelta(minutes=minutes)
    return (cal or default_calendar()).add_working_minutes(start, minutes)


def timer_levels(trigger: dict) -> list[int]:
    if trigger.get("repeat_every"):
        return list(range(int(trigger.get("max_level", 0)) + 1))
    return [0]


def level_minutes(trigger: dict, level: int) -> int:
    return int(trigger["minutes"]) + level * int(trigger.get("repeat_every") or 0)


# --- schedules ----------------------------------------------------------------------------
def validate_cron(source: str) -> str:
    """Return the normalised cron expression or raise :class:`ValueError` with the field,
    its position (1-based) and the reason."""
    text = (source or "").strip()
    if not text:
        raise ValueError(_("Enter a cron expression such as “0 9 * * 1-5”."))
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            _(
                "A cron expression has 5 fields (minute hour day-of-month month day-of-week); "
                "this one has %(n)d."
            )
            % {"n": len(parts)}
        )
    positions = [m.start() + 1 for m in re.finditer(r"\S+", text)]
    for index, part in enumerate(parts):
        probe = ["*"] * 5
        probe[index] = part
        try:
            croniter(" ".join(probe))
        except (CroniterError, ValueError, KeyError) as exc:
            raise ValueError(
                _("%(field)s field “%(value)s” at position %(pos)d: %(reason)s")
                % {
                    "field": CRON_FIELDS[index],
                    "value": part,
                    "pos": positions[index],
                    "reason": _cron_reason(exc),
                }
            ) from None
    normalised = " ".join(parts)
    try:
        croniter(normalised, dt.datetime(2026, 1, 1)).get_next(dt.datetime)
    except (CroniterError, ValueError) as exc:
        raise ValueError(
            _("This schedule never happens: %(reason)s") % {"reason": _cron_reason(exc)}
        ) from None
    return normalised


def _cron_reason(exc: Exception) -> str:
    text = str(exc)
    if "out of range" in text:
        return _("the value is out of range")
    if "step" in text:
        return _("the step must be a positive number")
    if "not acceptable" in text:
        return _("not a valid value (use numbers, ranges like 1-5, lists like 1,3 or */15)")
    return text


# A schedule's simple forms; "cron" is the expert's own expression.
EVERY = ("daily", "weekly", "monthly_workday", "cron")
MAX_WORKDAY = 23  # no month has more working days
# How far back (or ahead) a search for the Nth working day walks: more than a year of days.
MAX_STEPS = 800
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def nth_workday(year: int, month: int, n: int, cal=None) -> dt.date | None:
    """The ``n``-th working day of a month on the Chinese workday calendar (with the
    organisation's extra holidays and workdays), or ``None`` if the month has fewer."""
    cal = cal or default_calendar()
    day = dt.date(year, month, 1)
    count = 0
    while day.month == month:
        if cal.is_workday(day):
            count += 1
            if count == n:
                return day
        day += dt.timedelta(days=1)
    return None


def _matches(trigger: dict, local: dt.datetime, cal) -> bool:
    n = trigger.get("workday")
    if not n:
        return True
    return nth_workday(local.year, local.month, int(n), cal) == local.date()


def latest_instant(trigger: dict | str, now: dt.datetime) -> dt.datetime | None:
    """The latest instant of a schedule (organisation time zone) at or before ``now``:
    its cron's, and for "the Nth working day" only on that day (``None`` if none)."""
    trigger = {"cron": trigger} if isinstance(trigger, str) else trigger
    local = timezone.localtime(now).replace(second=0, microsecond=0) + dt.timedelta(seconds=1)
    it = croniter(trigger["cron"], local)
    cal = default_calendar()
    for _step in range(MAX_STEPS):
        moment = it.get_prev(dt.datetime)
        if _matches(trigger, moment, cal):
            return moment.astimezone(dt.UTC)
    return None


def next_instants(trigger: dict, start: dt.datetime, count: int = 5) -> list[dt.datetime]:
    """The next ``count`` instants of a schedule after ``start``, in the organisation's
    time zone (the builder's preview)."""
    local = timezone.localtime(start).replace(second=0, microsecond=0)
    it = croniter(trigger["cron"], local)
    cal = default_calendar()
    out: list[dt.datetime] = []
    for _step in range(MAX_STEPS):
        moment = it.get_next(dt.datetime)
        if _matches(trigger, moment, cal):
            out.append(timezone.localtime(moment))
            if len(out) == count:
                break
    return out


def schedule_key(instant: dt.datetime) -> str:
    return "schedule:" + timezone.localtime(instant).strftime("%Y-%m-%dT%H:%M")


def schedule_variables(instant: dt.datetime) -> dict:
    local = timezone.localtime(instant)
    return {
        "is_workday": is_workday(local.date()),
        "weekday": local.isoweekday(),
        "hour": local.hour,
        "minute": local.minute,
        "day": local.day,
        "month": local.month,
        "year": local.year,
    }


# --- validation ---------------------------------------------------------------------------
def event_catalogue() -> dict[str, dict]:
    return {item["name"]: item for item in events.catalogue()}


def entity_for_event(name: str) -> str:
    prefix = name.split(".", 1)[0]
    try:
        entities.get(prefix)
    except LookupError:
        return ""
    return prefix


def is_deletion(trigger_type: str, trigger: dict) -> bool:
    """A ``*.deleted`` event: the record is gone, only the event's payload is left."""
    return trigger_type == TriggerType.EVENT and str(trigger.get("event", "")).endswith(".deleted")


def condition_names(trigger_type: str, entity_key: str, trigger: dict) -> set[str]:
    """The variables a condition of this trigger may read."""
    names: set[str] = set(CLOCK_VARIABLES)
    if entity_key and not is_deletion(trigger_type, trigger):
        names |= entities.get(entity_key).variable_names()
    if trigger_type == TriggerType.EVENT:
        names |= set(event_catalogue().get(trigger.get("event"), {}).get("fields", ()))
    elif trigger_type == TriggerType.TIMER:
        names.add("timer_level")
    elif trigger_type == TriggerType.SCHEDULE:
        names |= SCHEDULE_VARIABLES
    return names


def expression_error(exc: ExpressionError) -> str:
    if exc.position is not None:
        return _("Position %(pos)d: %(reason)s") % {"pos": exc.position, "reason": exc.message}
    return exc.message


def _int(value, *, low: int, high: int, errors: dict, key: str, required: bool = True):
    if value in (None, ""):
        if required:
            errors[key] = _("This field is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors[key] = _("Enter a whole number.")
        return None
    try:
        number = int(value)
    except ValueError:
        errors[key] = _("Enter a whole number.")
        return None
    if not low <= number <= high:
        errors[key] = _("Enter a number between %(low)d and %(high)d.") % {"low": low, "high": high}
        return None
    return number


def clean_trigger(trigger_type: str, entity_key: str, trigger: dict, errors: dict):
    """Check a trigger's settings; returns ``(entity_key, clean settings)`` and adds every
    problem to ``errors`` (keys ``trigger_type``, ``entity``, ``trigger.<setting>``)."""
    trigger = dict(trigger or {})
    entity_key = (entity_key or "").strip()
    if trigger_type not in TriggerType.values:
        errors["trigger_type"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(TriggerType.values)
        }
        return entity_key, {}
    if entity_key:
        try:
            entities.get(entity_key)
        except LookupError:
            errors["entity"] = _("Unknown entity “%(key)s”. Known: %(choices)s.") % {
                "key": entity_key,
                "choices": ", ".join(e.key for e in entities.all_entities()),
            }
            return entity_key, {}
    if trigger_type == TriggerType.EVENT:
        return _clean_event(entity_key, trigger, errors)
    if trigger_type == TriggerType.TIMER:
        return entity_key, _clean_timer(entity_key, trigger, errors)
    return entity_key, _clean_schedule(trigger, errors)


def _clean_event(entity_key: str, trigger: dict, errors: dict):
    name = str(trigger.get("event") or "").strip()
    catalogue = event_catalogue()
    if not name:
        errors["trigger.event"] = _("Choose the event that starts this rule.")
        return entity_key, {}
    if name not in catalogue:
        errors["trigger.event"] = _("Unknown event “%(name)s”. Known: %(choices)s.") % {
            "name": name,
            "choices": ", ".join(sorted(catalogue)),
        }
        return entity_key, {}
    derived = entity_for_event(name)
    if entity_key and entity_key != derived:
        errors["entity"] = _("The event “%(event)s” is about “%(derived)s”, not “%(key)s”.") % {
            "event": name,
            "derived": derived or "-",
            "key": entity_key,
        }
    return derived, {"event": name}


def _clean_timer(entity_key: str, trigger: dict, errors: dict) -> dict:
    if not entity_key:
        errors["entity"] = _("A timer needs the entity whose records it watches.")
        return {}
    entity = entities.get(entity_key)
    clean: dict = {}
    field = str(trigger.get("field") or "").strip()
    if field not in entity.timer_fields:
        errors["trigger.field"] = _("Choose the field the clock starts from: %(choices)s.") % {
            "choices": ", ".join(entity.timer_fields)
        }
    clean["field"] = field
    clean["minutes"] = _int(
        trigger.get("minutes"), low=1, high=MAX_MINUTES, errors=errors, key="trigger.minutes"
    )
    unit = trigger.get("unit") or "working"
    if unit not in UNITS:
        errors["trigger.unit"] = _("Choose “working” or “calendar” minutes.")
    clean["unit"] = unit
    repeat = _int(
        trigger.get("repeat_every"),
        low=1,
        high=MAX_MINUTES,
        errors=errors,
        key="trigger.repeat_every",
        required=False,
    )
    clean["repeat_every"] = repeat
    clean["max_level"] = 0
    if repeat:
        clean["max_level"] = _int(
            trigger.get("max_level", 1),
            low=1,
            high=MAX_LEVEL,
            errors=errors,
            key="trigger.max_level",
        )
    unless = str(trigger.get("unless") or "").strip()
    if unless:
        try:
            compile_expression(unless, entity.variable_names() | {"timer_level"} | CLOCK_VARIABLES)
        except ExpressionError as exc:
            errors["trigger.unless"] = expression_error(exc)
    clean["unless"] = unless
    return clean


def _clean_schedule(trigger: dict, errors: dict) -> dict:
    """A schedule from its simple form (daily at, weekly on … at, monthly on the Nth
    working day at), kept with the cron it compiles to; or an expert's cron."""
    every = trigger.get("every") or "cron"
    if every not in EVERY:
        errors["trigger.every"] = _("Choose daily, weekly, monthly or a cron expression.")
        return {}
    if every == "cron":
        try:
            return {"cron": validate_cron(str(trigger.get("cron") or ""))}
        except ValueError as exc:
            errors["trigger.cron"] = str(exc)
            return {}
    at = str(trigger.get("at") or "").strip()
    match = HHMM.match(at)
    if not match:
        errors["trigger.at"] = _("Enter the time as HH:MM, e.g. 09:00.")
        return {}
    hour, minute = int(match.group(1)), int(match.group(2))
    clean = {"every": every, "at": f"{hour:02d}:{minute:02d}"}
    if every == "daily":
        clean["cron"] = f"{minute} {hour} * * *"
    elif every == "weekly":
        raw = trigger.get("weekdays") or []
        raw = raw if isinstance(raw, list) else [raw]
        days = sorted({int(d) for d in raw if str(d).strip() in {str(i) for i in range(1, 8)}})
        if not days or len(days) != len(raw):
            errors["trigger.weekdays"] = _("Choose at least one weekday (1 = Monday … 7 = Sunday).")
            return {}
        clean["weekdays"] = days
        clean["cron"] = f"{minute} {hour} * * {','.join(str(d % 7) for d in days)}"
    else:
        n = _int(
            trigger.get("workday"), low=1, high=MAX_WORKDAY, errors=errors, key="trigger.workday"
        )
        if n is None:
            return {}
        clean["workday"] = n
        clean["cron"] = f"{minute} {hour} * * *"
    return clean
