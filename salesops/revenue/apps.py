from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesops.core import entities, events, visibility
from salesops.notifications.kinds import register as register_kind


class RevenueConfig(AppConfig):
    name = "salesops.revenue"
    label = "revenue"
    verbose_name = _("Revenue")

    def ready(self):
        # Imported here: models (and modules that load them) need a ready app registry.
        from . import billing, services
        from .models import SIGNED_STATUSES, Contract, Delivery, Invoice, Order, Payment

        # Customer success sees every customer: an account with a signed, active or
        # completed contract (core.visibility; customers cannot import revenue).
        visibility.register_success_book(
            lambda user: Contract.objects.filter(status__in=SIGNED_STATUSES).values("account_id")
        )

        owner = "account__owner"
        # Rules' "set a field" writes through the services (validation, history, events).
        writer = entities.service_writer
        entities.register(
            "contract",
            Contract,
            label=_("Contract"),
            owner_path="owner",
            timer_fields=("created_at", "updated_at", "signed_on", "end_on"),
            writer=writer(services.contract_update, "contract"),
        )
        entities.register(
            "order",
            Order,
            label=pgettext_lazy("sales order", "Order"),
            owner_path=owner,
            writer=writer(billing.order_update, "order"),
        )
        entities.register(
            "payment",
            Payment,
            label=_("Payment"),
            owner_path="contract__owner",
            timer_fields=("created_at", "received_on"),
            writer=writer(billing.payment_update, "payment"),
        )
        entities.register(
            "invoice",
            Invoice,
            label=_("Invoice"),
            owner_path="contract__owner",
            timer_fields=("created_at", "issued_on"),
            writer=writer(billing.invoice_update, "invoice"),
        )
        entities.register(
            "delivery",
            Delivery,
            label=_("Delivery milestone"),
            owner_path=owner,
            writer=writer(services.delivery_update, "delivery"),
        )

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
