"""The capability growth account (SPEC K7): points for cross-department collaboration,
reusable case studies and product certifications, redeemable for training or leave.

A contribution or a redemption is a :class:`PointClaim` a decider approves (the claimant's
managers and the configurers, never oneself: :func:`permissions.can_decide_for`); an
approval appends one :class:`PointEntry` to the append-only ledger, whose running
``balance`` is computed with the user's row and latest entry locked, and never goes below
zero (checked here with a message, and by the database's check constraint). Configurers
may also :func:`adjust` a balance with a note. Point values and reward costs come from
:class:`GrowthPolicy` (Settings · KPI growth).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.validators import link_problem
from salesops.knowledge.models import KnowledgeItem
from salesops.notifications import services as notification_services

from . import growth_policy, permissions
from .models import ClaimState, PointClaim, PointEntry, PointKind

EARNING_KINDS = growth_policy.EARNING_KINDS
TEXT_MAX = 500
ADJUST_MAX = 100000
NOTIFICATION_KIND = "kpi.points"


def balance(user) -> int:
    """The user's points now (0 without any entry)."""
    latest = PointEntry.objects.filter(user=user).order_by("-pk").values_list("balance", flat=True)
    return latest.first() or 0


def _text(value, key: str, errors: dict, *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[key] = [_("This field is required.")]
    elif len(text) > TEXT_MAX:
        errors[key] = [_("At most %(max)d characters.") % {"max": TEXT_MAX}]
    return text


@transaction.atomic
def claim_create(*, by, kind, description, evidence_url="", knowledge_item=None) -> PointClaim:
    """Ask for the points of a contribution; a case study names an active knowledge item
    of the kind "case"."""
    if not permissions.has_kpi(by) or by.is_read_only_role:
        raise PermissionDenied(_("You have no growth account."))
    errors: dict = {}
    points = None
    if kind not in EARNING_KINDS:
        errors["kind"] = [_("Choose collaboration, case study or certification.")]
    else:
        points = growth_policy.point_value(kind)
        if points is None:
            errors["kind"] = [_("No points are set for this kind in the KPI settings.")]
    description = _text(description, "description", errors, required=True)
    evidence_url = str(evidence_url or "").strip()
    problem = link_problem(evidence_url)
    if problem:
        errors["evidence_url"] = [problem]
    elif len(evidence_url) > TEXT_MAX:
        errors["evidence_url"] = [_("At most %(max)d characters.") % {"max": TEXT_MAX}]
    if kind == PointKind.CASE_STUDY:
        if knowledge_item is None:
            errors["knowledge_item"] = [_("Choose the case study in the knowledge base.")]
        elif not (knowledge_item.is_active and knowledge_item.kind == "case"):
            errors["knowledge_item"] = [_("The knowledge item must be an active case study.")]
    elif knowledge_item is not None and not knowledge_item.is_active:
        errors["knowledge_item"] = [_("The knowledge item is not active.")]
    if errors:
        raise ValidationError(errors)
    return PointClaim.objects.create(
        user=by,
        kind=kind,
        points=points,
        description=description,
        evidence_url=evidence_url,
        knowledge_item=knowledge_item,
        created_at=clock.now(),
    )


@transaction.atomic
def redeem_request(*, by, reward_code) -> PointClaim:
    """Ask to spend points on a reward; refused at once when the balance is too low."""
    if not permissions.has_kpi(by) or by.is_read_only_role:
        raise PermissionDenied(_("You have no growth account."))
    reward = growth_policy.reward_map().get(str(reward_code or ""))
    if reward is None:
        raise ValidationError({"reward": _("Choose a reward from the list.")})
    cost = int(reward["cost"])
    have = balance(by)
    if have < cost:
        raise ValidationError(
            {
                "reward": _(
                    "Not enough points: “%(reward)s” costs %(cost)d and your balance is "
                    "%(balance)d."
                )
                % {"reward": growth_policy.label(reward), "cost": cost, "balance": have}
            }
        )
    return PointClaim.objects.create(
        user=by,
        kind=PointKind.REDEMPTION,
        reward=reward["code"],
        points=cost,
        description=growth_policy.label(reward)[:TEXT_MAX],
        created_at=clock.now(),
    )


def _append(*, user, kind, points: int, by, note: str = "", claim=None) -> PointEntry:
    """One ledger entry, with the user's row and latest entry locked (callers are atomic)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    latest = PointEntry.objects.select_for_update().filter(user=user).order_by("-pk").first()
    current = latest.balance if latest else 0
    after = current + points
    if after < 0:
        raise ValidationError(
            {
                "points": _(
                    "The balance of %(user)s is %(balance)d: taking %(points)d points would "
                    "make it negative."
                )
                % {"user": user.label, "balance": current, "points": -points}
            }
        )
    try:
        with transaction.atomic():
            return PointEntry.objects.create(
                user=user,
                kind=kind,
                points=points,
                balance=after,
                claim=claim,
                note=note,
                created_at=clock.now(),
                created_by=by,
            )
    except IntegrityError:  # the database's check: never below zero
        raise ValidationError({"points": _("The balance cannot go below zero.")}) from None


@transaction.atomic
def claim_decide(*, by, claim: PointClaim, approve: bool, note: str = "") -> PointClaim:
    """Approve (one ledger entry) or reject (a note required) a pending claim."""
    claim = PointClaim.objects.select_for_update().select_related("user").get(pk=claim.pk)
    if not permissions.can_decide_for(by, claim.user_id):
        raise PermissionDenied(
            _("Only a manager of %(user)s or a sales-ops admin or director decides this claim.")
            % {"user": claim.user.label}
        )
    if claim.state != ClaimState.PENDING:
        raise ValidationError({"state": _("This claim was already decided.")})
    errors: dict = {}
    note = _text(note, "note", errors, required=not approve)
    if errors:
        if not approve and "note" in errors and not note:
            errors["note"] = [_("Say why the claim is rejected.")]
        raise ValidationError(errors)
    if approve:
        sign = -1 if claim.kind == PointKind.REDEMPTION else 1
        _append(
            user=claim.user,
            kind=claim.kind,
            points=sign * claim.points,
            by=by,
            note=note,
            claim=claim,
        )
    claim.state = ClaimState.APPROVED if approve else ClaimState.REJECTED
    claim.decided_by = by
    claim.decided_at = clock.now()
    claim.decision_note = note
    claim.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    if approve:
        title = _("Your points claim was approved: %(claim)s") % {"claim": claim.description}
    else:
        title = _("Your points claim was rejected: %(claim)s") % {"claim": claim.description}
    notification_services.notify(
        recipients=[claim.user],
        kind=NOTIFICATION_KIND,
        title=title[:200],
        body=note,
        link=reverse("kpi:points_mine"),
        source=f"kpi.points:{claim.pk}",
    )
    return claim


@transaction.atomic
def adjust(*, by, user, points, note) -> PointEntry:
    """A configurer's correction of a balance, with its reason."""
    if not permissions.can_configure(by):
        raise PermissionDenied(_("Only a sales-ops admin or a director adjusts points."))
    errors: dict = {}
    try:
        amount = int(str(points).strip())
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount == 0 or abs(amount) > ADJUST_MAX:
        errors["points"] = [
            _("Enter a whole number of points other than 0 (at most %(max)d either way).")
            % {"max": ADJUST_MAX}
        ]
    note = _text(note, "note", errors, required=True)
    if errors:
        raise ValidationError(errors)
    return _append(user=user, kind=PointKind.ADJUSTMENT, points=amount, by=by, note=note)


# --- reading -----------------------------------------------------------------------------------


def ledger(user):
    return PointEntry.objects.filter(user=user).select_related("created_by").order_by("-pk")


def my_claims(user):
    return PointClaim.objects.filter(user=user).select_related("decided_by", "knowledge_item")


def decidable_claims(user):
    """Pending claims ``user`` may decide (never their own)."""
    queryset = PointClaim.objects.filter(state=ClaimState.PENDING).select_related(
        "user", "knowledge_item"
    )
    if not permissions.is_reviewer(user) or user.is_read_only_role:
        return queryset.none()
    if user.edits_everything:
        return queryset.exclude(user=user)
    ids = permissions.visible_user_ids(user)
    return queryset.filter(user_id__in=ids).exclude(user=user)


def team_member_ids(user) -> list[int] | None:
    """Whose points the leaderboard ranks for ``user``: their team (a manager: the team
    they see; the roles that see everything: everyone — None)."""
    if user.sees_everything:
        return None
    if user.is_manager_role:
        return list(permissions.visible_user_ids(user))
    if user.team_id is None:
        return [user.pk]
    return list(
        get_user_model()
        .objects.filter(team_id=user.team_id, is_active=True)
        .values_list("pk", flat=True)
    )


def leaderboard(user, query: str = ""):
    """Users of ``user``'s team with their balance and points earned, most earned first."""
    ids = team_member_ids(user)
    users = get_user_model().objects.filter(is_active=True, role__in=permissions.SCORED_ROLES)
    if ids is not None:
        users = users.filter(pk__in=ids)
    if query:
        users = users.filter(Q(display_name__icontains=query) | Q(username__icontains=query))
    totals = dict(
        PointEntry.objects.filter(user__in=users, points__gt=0)
        .exclude(kind=PointKind.REDEMPTION)
        .values_list("user_id")
        .annotate(total=Sum("points"))
        .values_list("user_id", "total")
    )
    latest = PointEntry.objects.filter(user=OuterRef("pk")).order_by("-pk").values("balance")[:1]
    users = users.annotate(points_balance=Subquery(latest))
    rows = [
        {"user": u, "earned": totals.get(u.pk, 0), "balance": u.points_balance or 0}
        for u in users.order_by("pk")
    ]
    rows.sort(key=lambda row: (-row["earned"], row["user"].pk))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def knowledge_cases():
    return KnowledgeItem.objects.filter(is_active=True, kind="case").order_by("title")
