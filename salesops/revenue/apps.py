from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "salesops.revenue"
    label = "revenue"
    verbose_name = _("Revenue")

    def ready(self):
        from salesops.core import entities, events
        from salesops.notifications.kinds import register as register_kind

        from . import feed_kinds
        from .models import Contract, Delivery, Invoice, Order, Payment

        owner = "account__owner"
        entities.register(
            "contract",
            Contract,
            label=_("Contract"),
            owner_path="owner",
            timer_fields=("created_at", "updated_at", "signed_on", "end_on"),
        )
        entities.register("order", Order, label=_("Order"), owner_path=owner)
        entities.register(
            "payment",
            Payment,
            label=_("Payment"),
            owner_path="contract__owner",
            timer_fields=("created_at", "received_on"),
        )
        entities.register(
            "invoice",
            Invoice,
            label=_("Invoice"),
            owner_path="contract__owner",
            timer_fields=("created_at", "issued_on"),
        )
        entities.register("delivery", Delivery, label=_("Delivery milestone"), owner_path=owner)

        for entity in ("contract", "order", "payment", "invoice", "delivery"):
            if entity != "payment":  # a new payment is announced as payment.received
                events.register(f"{entity}.created", fields=("id", "account_id", "actor_id"))
            events.register(f"{entity}.updated", fields=("id", "changed", "actor_id"))
        events.register(
            "contract.signed", fields=("id", "account_id", "owner_id", "amount", "actor_id")
        )
        events.register(
            "payment.received",
            fields=("id", "contract_id", "account_id", "amount", "flagged", "actor_id"),
        )
        events.register(
            "invoice.issued",
            fields=("id", "contract_id", "account_id", "amount"),
            description="A new invoice, or one whose status became issued.",
        )
        events.register("delivery.completed", fields=("id", "contract_id", "account_id"))
        register_kind("revenue.payment_flagged", _("A payment needs checking"))
        feed_kinds.register_all()
