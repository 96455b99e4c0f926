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
        events.register(
            "deal.created",
            fields=(*base, "lead_id"),
            description=_("A deal was opened (by hand, through the API or from a converted lead)."),
        )
        events.register(
            "deal.updated",
            fields=(*base, "changed"),
            description=_("A deal's fields changed (not its stage); “changed” lists them."),
        )
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
            description=_(
                "A deal moved to another stage (forward, backward, won, lost or reopened)."
            ),
        )
        events.register(
            "deal.stage_change_requested",
            fields=("id", "change_id", "owner_id", "from_stage", "to_stage", "actor_id"),
            description=_("A forward move waits for the manager's (or a rule's) approval."),
        )
        events.register(
            "deal.stage_change_rejected",
            fields=("id", "change_id", "owner_id", "actor_id"),
            description=_("A manager rejected a deal's stage change request."),
        )
        events.register(
            "deal.evidence_added",
            fields=("id", "evidence_id", "type", "actor_id"),
            description=_("An evidence file was uploaded to a deal."),
        )
        entities.add_variable_provider(provider)
        actions.register_all()
        # Every converted lead gets a deal behind it (已转商机).
        events.subscribe("lead.converted", services.ensure_deal_for_converted_lead)
        post_migrate.connect(defaults.install, sender=self)
