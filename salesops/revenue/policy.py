"""Money is finance's (issue 11, item 7): who may record payments and invoices and who may
change a signed contract's amount, payment plan and clauses, read from the one
:class:`~salesops.revenue.models.RevenuePolicy` row an admin edits on a settings page.

Pages and the API ask the same questions here (through ``selectors.may_bill`` and
:func:`contract_change_refusal`); the finance feed writes through the services directly.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history
from salesops.org.models import Role

from .models import ContractStatus, OverContract, RevenuePolicy

# What a signed contract's owner may no longer change: the money and what was agreed.
SIGNED_TERMS = ("amount", "instalments", "clauses", "has_custom_service", "custom_service_annex")
POLICY_FIELDS = ("billing_roles", "signed_contract_roles", "payment_over_contract")


def current() -> RevenuePolicy:
    """The policy in force (the defaults until an admin saves it)."""
    policy = RevenuePolicy.objects.order_by("pk").first()
    return policy if policy is not None else RevenuePolicy()


def _role(user) -> str | None:
    if not (user and user.is_authenticated and user.is_active):
        return None
    return user.role


def may_record_money(user) -> bool:
    """Whether the user's role records payments and invoices."""
    return _role(user) in current().billing_roles


def may_change_signed_terms(user) -> bool:
    return _role(user) in current().signed_contract_roles


def billing_refusal() -> str:
    return _("Payments and invoices are recorded by finance; ask finance to record this one.")


def touches_signed_terms(contract, fields, data: dict | None = None) -> bool:
    """Whether changing ``fields`` of ``contract`` (as stored) changes signed terms: its
    amount, plan or clauses once it left the draft stage (signed, active, completed or
    terminated — a terminated contract set back to signed keeps what was signed), or
    taking it back to a draft."""
    if contract.status == ContractStatus.DRAFT:
        return False
    if set(fields) & set(SIGNED_TERMS):
        return True
    return (data or {}).get("status") == ContractStatus.DRAFT


def contract_change_refusal(*, user, contract, fields, data=None, editable: bool) -> str | None:
    """Why ``user`` may not change ``fields`` of ``contract`` (None: they may).
    ``editable``: whether the contract is theirs to edit (owner, their managers, …)."""
    fields = set(fields)
    signed_terms = touches_signed_terms(contract, fields, data)
    if signed_terms and not may_change_signed_terms(user):
        return _(
            "Contract %(number)s is signed: its amount, payment plan and clauses are changed "
            "by finance. Ask finance to amend it."
        ) % {"number": contract.number}
    other = fields - set(SIGNED_TERMS) if signed_terms else fields
    if other and not editable:
        return _("You can read this contract but not change it.")
    return None


def check_contract_change(*, user, contract, fields, data=None, editable: bool) -> None:
    refusal = contract_change_refusal(
        user=user, contract=contract, fields=fields, data=data, editable=editable
    )
    if refusal:
        raise PermissionDenied(refusal)


@transaction.atomic
def policy_update(*, actor, **data) -> RevenuePolicy:
    """Change the revenue policy (admins); audited through its history."""
    if not actor.is_admin_role:
        raise PermissionDenied(_("Only a sales-ops admin changes the revenue policy."))
    policy = RevenuePolicy.objects.select_for_update().order_by("pk").first() or RevenuePolicy()
    errors = {}
    for key, value in data.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
            continue
        if key.endswith("_roles"):
            roles = list(dict.fromkeys(value or []))
            unknown = [r for r in roles if r not in Role.values]
            if unknown:
                errors[key] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
                continue
            value = roles
        elif value not in OverContract.values:
            errors[key] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(OverContract.values)}
            ]
            continue
        setattr(policy, key, value)
    if errors:
        raise ValidationError(errors)
    now = clock.now()  # forward even with a frozen clock: it is the form's version
    if policy.pk and policy.updated_at and now <= policy.updated_at:
        now = policy.updated_at + dt.timedelta(microseconds=1)
    policy.updated_at = now
    save_with_history(policy, actor, "updated")
    return policy
