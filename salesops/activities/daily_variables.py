"""What a rule about a person (the ``user`` entity) reads about their daily report: the
reminder for missing daily reports (``activities.defaults``) fires for each active rep
whose ``daily_report_today`` is false on a working day, unless ``on_leave_today``.

Both are read once per sweep for everyone (``entities.batch_memo``): two queries for
the whole organisation, not two per person."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import clock, entities
from salesops.org import selectors as org_selectors
from salesops.org.models import User

from . import daily_reports

NAMES = ("daily_report_today", "on_leave_today")
USER_FIELDS = ("id", "username", "display_name", "role", "team", "manager", "is_active", "language")


class DailyReportVariables:
    def _applies(self, entity) -> bool:
        return entity.model is User

    def names(self, entity) -> list[str]:
        return list(NAMES) if self._applies(entity) else []

    def describe(self, entity) -> list[dict]:
        if not self._applies(entity):
            return []
        return [
            {
                "name": "daily_report_today",
                "label": str(_("Has written today's daily report")),
                "kind": "boolean",
            },
            {"name": "on_leave_today", "label": str(_("On leave today")), "kind": "boolean"},
        ]

    def values(self, entity, instance) -> dict:
        if not self._applies(entity):
            return {}
        today = clock.today()
        reported = entities.batch_memo(
            ("daily_reports", today), lambda: daily_reports.reported_owner_ids(today)
        )
        on_leave = entities.batch_memo(
            ("users_on_leave", today), lambda: org_selectors.users_on_leave(today)
        )
        return {
            "daily_report_today": instance.pk in reported,
            "on_leave_today": instance.pk in on_leave,
        }


provider = DailyReportVariables()


def register() -> None:
    entities.register(
        "user",
        User,
        label=gettext_lazy("Person"),
        owner_path="self",
        timer_fields=("date_joined",),
        fields=USER_FIELDS,
    )
    entities.add_variable_provider(provider)
