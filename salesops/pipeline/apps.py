from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from salesops.core import entities, events


class PipelineConfig(AppConfig):
    name = "salesops.pipeline"
    label = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.
        from . import actions, defaults, services
        from .models import Deal
        from .variables import provider

        entities.register(
            "deal",
            Deal,
            label=_("Deal"),
            timer_fields=("created_at", "stage_entered_at", "stall_due_at", "expected_close_date"),
            writer=entities.service_writer(services.deal_update, "deal"),
        )
        base = ("id", "owner_id", "pipeline_id", "stage_id", "actor_id")
        events.register("deal.created", fields=(*base, "lead_id"))
        events.register("deal.updated", fields=(*base, "changed"))
        events.register(
            "deal.stage_changed",
            fields=(
                "id",
                "change_id",
                "owner_id",
                "pipeline_id",
                "from_stage",
                "to_stage",
                "direction",
                "status",
                "actor_id",
            ),
        )
        events.register(
            "deal.stage_change_requested",
            fields=("id", "change_id", "owner_id", "from_stage", "to_stage", "actor_id"),
        )
        events.register(
            "deal.stage_change_rejected", fields=("id", "change_id", "owner_id", "actor_id")
        )
        events.register("deal.evidence_added", fields=("id", "evidence_id", "type", "actor_id"))
        entities.add_variable_provider(provider)
        actions.register_all()
        # Every converted lead gets a deal behind it (已转商机).
        events.subscribe("lead.converted", services.ensure_deal_for_converted_lead)
        post_migrate.connect(defaults.install, sender=self)
