from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import entities, events

# (entity key, model name, label, timer fields: datetimes only). The keys prefix the events
# below, which is how the automation engine finds the record an event is about.
ENTITIES = (
    ("complaint", "Complaint", _("Complaint"), ("created_at", "updated_at")),
    ("nps", "NpsResponse", _("NPS response"), ("created_at",)),
    (
        "ticket",
        "ServiceTicket",
        _("Service ticket"),
        ("opened_at", "first_response_at", "created_at"),
    ),
    ("renewal", "Renewal", _("Renewal"), ("created_at", "updated_at")),
)
EVENTS = {
    "complaint.created": ("id", "account_id", "severity", "owner_id", "actor_id", "source"),
    "complaint.updated": ("id", "account_id", "changed", "actor_id"),
    "complaint.resolved": ("id", "account_id", "severity", "status", "actor_id"),
    "nps.received": ("id", "account_id", "score", "category", "actor_id", "source"),
    "nps.updated": ("id", "account_id", "changed", "actor_id"),
    "ticket.opened": ("id", "account_id", "priority", "actor_id", "source"),
    "ticket.updated": ("id", "changed", "actor_id"),
    "ticket.resolved": (
        "id",
        "account_id",
        "response_working_minutes",
        "resolution_working_minutes",
        "actor_id",
    ),
    "renewal.created": ("id", "account_id", "due_on", "actor_id", "source"),
    "renewal.updated": ("id", "account_id", "changed", "actor_id"),
    "renewal.closed": ("id", "account_id", "status", "amount", "actor_id"),
}


class AftersalesConfig(AppConfig):
    name = "salesops.aftersales"
    label = "aftersales"
    verbose_name = _("After-sales")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.
        from . import models, services

        # Rules' "set a field" writes through the services (validation, history, events).
        writers = {
            "complaint": entities.service_writer(services.complaint_update, "complaint"),
            "nps": entities.service_writer(services.nps_update, "response"),
            "ticket": entities.service_writer(services.ticket_update, "ticket"),
            "renewal": entities.service_writer(services.renewal_update, "renewal"),
        }
        for key, model_name, label, timer_fields in ENTITIES:
            entities.register(
                key,
                getattr(models, model_name),
                label=label,
                owner_path="account__owner",
                timer_fields=timer_fields,
                writer=writers[key],
            )
        for name, fields in EVENTS.items():
            events.register(name, fields=fields)
