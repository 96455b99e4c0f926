"""What a rule about a deal reads besides the deal's own fields (``core.entities``
variable provider): the stage's name and suggested next actions, and the working days
the deal has spent in its stage. The stall alert's message is written with them
(``{stage_name}``, ``{stage_next_actions}``, ``{days_in_stage}``); conditions may use
them too (``days_in_stage > 10``)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from salesops.core import calendar, clock, entities

from .models import Deal, Stage

NAMES = ("stage_name", "stage_next_actions", "days_in_stage")


class DealVariables:
    def _applies(self, entity) -> bool:
        return entity.model is Deal

    def names(self, entity) -> list[str]:
        return list(NAMES) if self._applies(entity) else []

    def describe(self, entity) -> list[dict]:
        """For the rule builder's dropdowns (and its list of placeholders)."""
        if not self._applies(entity):
            return []
        return [
            {"name": "stage_name", "label": str(_("Stage name")), "kind": "text"},
            {
                "name": "stage_next_actions",
                "label": str(_("Stage's suggested next actions")),
                "kind": "text",
            },
            {"name": "days_in_stage", "label": str(_("Working days in stage")), "kind": "number"},
        ]

    def values(self, entity, instance) -> dict:
        if not self._applies(entity):
            return {}
        # One read of every stage per sweep (a handful of rows), not one per deal.
        stages = entities.batch_memo(
            ("deal_stages",), lambda: {s.pk: s for s in Stage.objects.order_by()}
        )
        stage = stages.get(instance.stage_id)
        if stage is None:
            stage = Stage.objects.filter(pk=instance.stage_id).first()
        entered = getattr(instance, "stage_entered_at", None)
        days = None
        if entered is not None:
            days = Decimal(str(calendar.working_days_elapsed(entered, clock.now())))
            days = days.quantize(Decimal("0.1"))
            if days == days.to_integral_value():
                days = int(days)  # "5 working days", not "5.0"
        return {
            "stage_name": stage.name if stage is not None else "",
            "stage_next_actions": "\n".join(stage.next_action_lines()) if stage else "",
            "days_in_stage": days,
        }


provider = DealVariables()
