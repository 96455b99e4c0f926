from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "salesops.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self):
        # Imported here, not at the top: models (ours and automation's) can be imported
        # only once the app registry is ready.
        from django.db.models.signals import post_migrate

        from salesops.automation.models import Rule, RuleVersion
        from salesops.core import entities, events
        from salesops.core.models import OrgSettings

        from . import defaults, pool_digest, routing, sla
        from .intake import channels_cache
        from .models import Channel, Lead, RoutingMember, RoutingRule

        entities.register(
            "lead",
            Lead,
            label=_("Lead"),
            timer_fields=("created_at", "updated_at", "assigned_at", "progressed_at"),
            # Rules set the SLA state and escalation level, which no lead service exposes:
            # validated by the model, saved with history, lead.updated emitted.
            writer=entities.fields_writer("lead.updated"),
        )
        events.register("lead.created", fields=("id", "actor_id", "channel_id", "owner_id"))
        events.register("lead.updated", fields=("id", "changed", "actor_id"))
        events.register("lead.deleted", fields=("id", "actor_id"))
        events.register(
            "lead.assigned",
            fields=("id", "owner_id", "previous_owner_id", "rule_id", "strategy", "actor_id"),
        )
        events.register("lead.unroutable", fields=("id", "team_id"))
        events.register("lead.inquiry", fields=("id", "channel_id", "matched_by", "score"))
        events.register("lead.first_contact", fields=("id", "owner_id", "late"))
        events.register("lead.converted", fields=("id", "account_id", "contact_id", "actor_id"))
        pool_digest.register()
        post_migrate.connect(defaults.install, sender=self)
        channels_cache.invalidate_on(Channel)
        sla.policy_cache.invalidate_on(Rule, RuleVersion)
        routing.snapshot_cache.invalidate_on(RoutingRule, RoutingMember, OrgSettings)
