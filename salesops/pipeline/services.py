"""Every write to deals except stage moves (those are in :mod:`.stages`): create, update,
convert a lead, reassign. Services take the acting user explicitly, validate every field
at once, write the history row and emit ``deal.*`` events after commit."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import calendar, choices, clock, events
from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors
from salesops.core.visibility import visible_users
from salesops.customers.models import Account, Contact
from salesops.customization import services as custom_services
from salesops.leads import conversion as lead_conversion
from salesops.leads.models import Lead, LeadStatus
from salesops.leads.writes import require_editable as require_lead_editable
from salesops.org.models import Role

from . import selectors
from .models import (
    ChangeDirection,
    ChangeState,
    CommitCategory,
    Deal,
    DealStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)

DEAL_FIELDS = (
    "name",
    "account",
    "owner",
    "product_line",
    "amount",
    "expected_close_date",
    "commit_category",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_identified",
)
SELLING_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR)


def require_editable(actor, deal: Deal) -> None:
    if not Deal.objects.editable_by(actor).filter(pk=deal.pk).exists():
        raise PermissionDenied(_("You cannot change this deal."))


def stall_due(stage: Stage, entered_at):
    """When a deal entered in ``stage`` at ``entered_at`` stalls (None for won/lost)."""
    if stage.kind != StageKind.OPEN:
        return None
    return calendar.add_working_days(entered_at, stage.stall_days)


def _errors_for(actor, deal: Deal, *, contacts, owner_changed: bool) -> dict:
    errors: dict[str, list] = {}
    # ``actor`` None: a rule's write (``set_field``, ``reassign``): no person's visibility.
    if (
        actor is not None
        and deal.account_id
        and not Account.objects.visible_to(actor).filter(pk=deal.account_id).exists()
    ):
        errors["account"] = [_("Pick an account you can see.")]
    if owner_changed and deal.owner_id:
        owner = deal.owner
        if not owner.is_active or owner.role not in SELLING_ROLES:
            errors["owner"] = [_("Pick an active sales rep or manager as the owner.")]
        elif actor is not None and not visible_users(actor).filter(pk=owner.pk).exists():
            errors["owner"] = [_("Pick an owner from your team.")]
    if deal.product_line and deal.product_line not in choices.active_codes(choices.PRODUCT_LINE):
        errors["product_line"] = [
            _("Pick a product line from the list (Settings · Organisation · Lists).")
        ]
    if contacts is not None and deal.account_id:
        foreign = [c for c in contacts if c.account_id != deal.account_id]
        if foreign:
            errors["contacts"] = [_("Pick contacts of the deal's account.")]
    return errors


def _set_fields(deal: Deal, data: dict) -> None:
    unknown = set(data) - set(DEAL_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Unknown field.")] for f in sorted(unknown)})
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if key == "amount" and value is not None and not isinstance(value, Decimal):
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                raise ValidationError(
                    {"amount": [_("Enter the amount as a number, e.g. 120000.00.")]}
                ) from None
        setattr(deal, key, value)


def _full_clean(deal: Deal, errors: dict) -> None:
    errors = {k: list(v) for k, v in errors.items()}
    try:
        deal.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _payload(deal: Deal, actor, **extra) -> dict:
    return {
        "id": deal.pk,
        "owner_id": deal.owner_id,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "actor_id": getattr(actor, "pk", None),
        **extra,
    }


@transaction.atomic
def deal_create(
    *,
    actor,
    account: Account,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    contacts: Iterable[Contact] | None = None,
    lead: Lead | None = None,
    custom: dict | None = None,
    **data,
) -> Deal:
    """Open a deal on ``account`` in ``stage`` (the pipeline's first open stage by
    default; the pipeline by product line, then the owner's team, then the default)."""
    if actor.is_read_only_role:
        raise PermissionDenied(_("Your role cannot create deals."))
    data.setdefault("owner", actor)
    deal = Deal(account=account, created_by=actor, lead=lead)
    _set_fields(deal, data)
    if not deal.name:
        deal.name = account.name[:200]
    contacts = list(contacts or [])
    errors: dict[str, list] = {}
    pipeline = pipeline or selectors.default_pipeline(
        product_line=deal.product_line, team=getattr(deal.owner, "team", None)
    )
    if pipeline is None or not pipeline.is_active:
        errors["pipeline"] = [_("Pick an active pipeline.")]
    else:
        deal.pipeline = pipeline
        stage = stage or selectors.first_stage(pipeline)
        if stage is None or stage.pipeline_id != pipeline.pk or not stage.is_open:
            errors["stage"] = [_("Pick an open stage of the deal's pipeline.")]
        else:
            deal.stage = stage
    now = clock.now()
    deal.stage_entered_at = now
    if deal.stage_id:
        deal.stall_due_at = stall_due(deal.stage, now)
    errors = merge_errors(
        errors,
        _errors_for(actor, deal, contacts=contacts, owner_changed=True),
        custom_services.merge_custom(deal, "deal", custom, partial=False, required=()),
    )
    _full_clean(deal, errors)
    save_with_history(deal, actor, "created")
    if contacts:
        deal.contacts.set(contacts)
    StageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=deal.stage,
        direction=ChangeDirection.CREATED,
        state=ChangeState.APPLIED,
        requested_by=actor,
        requested_at=now,
        applied_at=now,
        pipeline=deal.pipeline,
        owner=deal.owner,
        product_line=deal.product_line,
    )
    events.emit("deal.created", _payload(deal, actor, lead_id=getattr(lead, "pk", None)))
    return deal


@transaction.atomic
def deal_update(
    *,
    actor,
    deal: Deal,
    contacts: Iterable[Contact] | None = None,
    custom: dict | None = None,
    history_reason: str = "updated",
    **data,
) -> Deal:
    """Change a deal's fields (not its stage: see :mod:`.stages`); ``contacts`` replaces
    the decision chain when given; ``custom`` changes only the keys it names. ``actor``
    None is an automation rule's write (the entity writer): no person's permissions.
    ``history_reason`` is what the audit row says (the reassign reason, for one)."""
    if actor is not None:
        require_editable(actor, deal)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    before = {f: getattr(deal, f if f not in ("owner", "account") else f"{f}_id") for f in data}
    before_custom = dict(deal.custom or {})
    _set_fields(deal, data)
    contacts = list(contacts) if contacts is not None else None
    owner_changed = "owner" in data and before.get("owner") != deal.owner_id
    errors = merge_errors(
        _errors_for(actor, deal, contacts=contacts, owner_changed=owner_changed),
        custom_services.merge_custom(deal, "deal", custom, partial=True, required=())
        if custom is not None
        else {},
    )
    if "account" in data and before.get("account") != deal.account_id and contacts is None:
        contacts = []  # the decision chain belongs to the old account
    _full_clean(deal, errors)
    changed = [
        f
        for f in data
        if before[f] != getattr(deal, f if f not in ("owner", "account") else f"{f}_id")
    ]
    changed += custom_services.changed_keys(before_custom, deal.custom)
    if contacts is not None:
        old = set(deal.contacts.values_list("pk", flat=True))
        if old != {c.pk for c in contacts}:
            deal.contacts.set(contacts)
            changed.append("contacts")
    if changed:
        save_with_history(deal, actor, history_reason[:100])
        events.emit("deal.updated", _payload(deal, actor, changed=changed))
    return deal


def deal_reassign(*, actor, deal: Deal, owner, reason: str = "") -> Deal:
    """Give the deal to another owner (a manager's action or a rule's ``reassign``)."""
    reason = reason.strip()
    label = f"reassigned: {reason}" if reason else "reassigned"
    return deal_update(actor=actor, deal=deal, owner=owner, history_reason=label)


def _deal_name(lead: Lead, product_line: str) -> str:
    label = choices.label(choices.PRODUCT_LINE, product_line)
    return f"{lead.company} · {label}"[:200] if label else lead.company[:200]


@transaction.atomic
def deal_from_lead(*, actor, lead: Lead, **data) -> Deal:
    """Convert ``lead`` (if it is not yet) and open a deal on its account with its
    contact in the decision chain. A lead that waits for review (it matches a customer
    the actor may not change) raises with the reviewer's message."""
    if lead.status != LeadStatus.CONVERTED:
        lead = lead_conversion.lead_convert(actor=actor, lead=lead)
        if lead.status != LeadStatus.CONVERTED:
            raise ValidationError({"lead": [lead_conversion.needs_review_message()]})
    else:
        require_lead_editable(actor, lead)
    existing = Deal.objects.filter(lead=lead).first()
    if existing is not None:
        raise ValidationError(
            {"lead": [_("This lead already has a deal: %(name)s.") % {"name": existing.name}]}
        )
    product_line = data.pop("product_line", None)
    if product_line is None:
        product_line = choices.active_or_blank(choices.PRODUCT_LINE, lead.product_line)
    data.setdefault("name", _deal_name(lead, product_line))
    data.setdefault("owner", lead.owner or actor)
    return deal_create(
        actor=actor,
        account=lead.account,
        contacts=[lead.contact] if lead.contact_id else [],
        lead=lead,
        product_line=product_line,
        **data,
    )


def ensure_deal_for_converted_lead(name: str, payload: dict) -> None:
    """``lead.converted`` subscriber: every converted lead gets a deal behind it (已转商机),
    created by whoever converted it; idempotent (a lead with a deal is left alone)."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 - handler runs after ready

    lead = Lead.objects.filter(pk=payload.get("id")).select_related("account", "owner").first()
    if lead is None or lead.account_id is None or Deal.objects.filter(lead=lead).exists():
        return
    actor = get_user_model().objects.filter(pk=payload.get("actor_id")).first() or lead.owner
    if actor is None:
        return
    try:
        deal_from_lead(actor=actor, lead=lead)
    except (ValidationError, PermissionDenied):
        return  # the converter may not open it (read-only role …): the page offers it later


__all__ = [
    "CommitCategory",
    "DealStatus",
    "deal_create",
    "deal_from_lead",
    "deal_reassign",
    "deal_update",
    "ensure_deal_for_converted_lead",
    "require_editable",
    "stall_due",
]
