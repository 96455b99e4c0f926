"""The anonymous consensus survey of a plan (T6): answering, opening and closing.

Anonymity is structural: a :class:`~.models.SurveyResponse` holds the respondent's level
and team and what they said — no user, no time, a random UUID key — and a
:class:`~.models.SurveyParticipation` holds only that the user answered (so each answers
once). Both are written in one transaction. Nothing here returns a response's id, and the
results (:mod:`.survey_results`) show only groups of at least
:attr:`TargetPolicy.survey_min_group` answers.

The top priority is a short fixed list (:class:`Priority`), not free text: counts per
group can be shown, and a sentence's wording cannot give its author away.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import clock
from salesops.org.models import Role, Team

from . import measures, permissions
from .models import (
    Allocation,
    Reachability,
    Survey,
    SurveyLevel,
    SurveyParticipation,
    SurveyResponse,
    TargetPlan,
    TargetPolicy,
)

_random = secrets.SystemRandom()
ESTIMATE_MAX = Decimal("99999999999999.99")  # what the MONEY column holds
LEVEL_OF_ROLE = {
    Role.DIRECTOR: SurveyLevel.DIRECTOR,
    Role.MANAGER: SurveyLevel.MANAGER,
    Role.REP: SurveyLevel.REP,
}


class Priority(models.TextChoices):
    """The top priority a respondent picks (stored as the code)."""

    NEW_CUSTOMERS = "new_customers", gettext_lazy("New customers")
    KEY_ACCOUNTS = "key_accounts", gettext_lazy("Key accounts")
    RENEWALS = "renewals", gettext_lazy("Renewals")
    PRODUCT_MIX = "product_mix", gettext_lazy("Product mix")
    TEAM_CAPABILITY = "team_capability", gettext_lazy("Team capability")
    OTHER = "other", gettext_lazy("Other")


class SurveyConflict(ValidationError):
    """The user has answered already, or the survey is closed (the API answers 409)."""


def survey_for(plan: TargetPlan) -> Survey:
    """The plan's survey (created with the plan by the plans service; made here if not)."""
    survey, _created = Survey.objects.get_or_create(plan=plan)
    return survey


def is_closed(survey: Survey) -> bool:
    """Closed by a configurer, or past its closing day."""
    return not survey.is_open or bool(survey.closes_on and survey.closes_on < clock.today())


def level_of(user) -> str | None:
    """The survey level of ``user``'s role (None: the role does not answer)."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    return LEVEL_OF_ROLE.get(user.role)


def may_answer(user, plan: TargetPlan) -> bool:
    """Directors, managers and reps who may see the plan."""
    if level_of(user) is None:
        return False
    if user.role != Role.DIRECTOR and user.team_id is None:
        return False
    return permissions.visible_plans(user).filter(pk=plan.pk).exists()


def has_answered(user, survey: Survey) -> bool:
    return SurveyParticipation.objects.filter(survey=survey, user_id=user.pk).exists()


def may_manage(user) -> bool:
    """Who opens and closes a survey: the configurers."""
    return permissions.can_configure(user)


def _estimate(value, errors: dict) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        errors["estimate"] = [_("Enter an amount in yuan, e.g. 1200000.")]
        return None
    if not amount.is_finite():
        errors["estimate"] = [_("Enter an amount in yuan, e.g. 1200000.")]
        return None
    if amount < 0:
        errors["estimate"] = [_("The estimate cannot be negative.")]
        return None
    if amount > ESTIMATE_MAX:  # before quantize, which cannot hold 1E+400
        errors["estimate"] = [_("The estimate is too large.")]
        return None
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def survey_answer(*, plan: TargetPlan, user, estimate, reachability, priority) -> Survey:
    """Record ``user``'s anonymous answer to ``plan``'s survey: the response (level, team,
    estimate, reachability, priority) and, separately, that the user answered.

    The level comes from the role; the team is the user's (a director's: the plan's).
    Refused: a user who may not answer (PermissionDenied), bad values (ValidationError
    naming each field), a closed survey or a second answer (:class:`SurveyConflict`)."""
    if not may_answer(user, plan):
        raise PermissionDenied(
            _("Only directors, managers and reps who see this plan answer its survey.")
        )
    survey = Survey.objects.select_for_update().filter(pk=survey_for(plan).pk).get()
    if is_closed(survey):
        raise SurveyConflict(_("The survey is closed."), code="closed")
    if has_answered(user, survey):
        raise SurveyConflict(_("You have answered this survey."), code="answered")
    errors: dict = {}
    amount = _estimate(estimate, errors)
    try:
        reach = int(reachability)
    except (TypeError, ValueError):
        reach = None
    if reach not in Reachability.values:
        errors["reachability"] = [
            _("Pick one of: %(values)s.") % {"values": ", ".join(map(str, Reachability.values))}
        ]
    if priority not in Priority.values:
        errors["priority"] = [
            _("Pick one of: %(values)s.") % {"values": ", ".join(Priority.values)}
        ]
    if errors:
        raise ValidationError(errors)
    level = level_of(user)
    team_id = plan.team_id if level == SurveyLevel.DIRECTOR else user.team_id
    try:
        with transaction.atomic():
            SurveyParticipation.objects.create(survey=survey, user=user)
    except IntegrityError:  # answered meanwhile in another request
        raise SurveyConflict(_("You have answered this survey."), code="answered") from None
    SurveyResponse.objects.create(
        survey=survey,
        level=level,
        team_id=team_id,
        estimate=amount,
        reachability=reach,
        priority=priority,
    )
    _reshuffle(survey)
    return survey


def _reshuffle(survey: Survey) -> None:
    """Rewrite the survey's answers in a random order. Rows written together sit together
    in storage: SQLite's hidden rowid and PostgreSQL's physical order and transaction id
    (xmin) would pair each answer with the participation written beside it. Rewritten,
    every answer carries the latest transaction and a random position."""
    rows = list(SurveyResponse.objects.filter(survey=survey).order_by())
    _random.shuffle(rows)
    SurveyResponse.objects.filter(survey=survey).delete()
    SurveyResponse.objects.bulk_create(rows)


@transaction.atomic
def survey_set_open(*, actor, plan: TargetPlan, is_open: bool) -> Survey:
    """Open or close the plan's survey (configurers). Opening clears a past closing day,
    which would close it again at once."""
    if not may_manage(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director opens or closes surveys."))
    survey = Survey.objects.select_for_update().filter(pk=survey_for(plan).pk).get()
    survey.is_open = bool(is_open)
    fields = ["is_open", "updated_at"]
    if survey.is_open and survey.closes_on and survey.closes_on < clock.today():
        survey.closes_on = None
        fields.append("closes_on")
    survey.save(update_fields=fields)
    return survey


# --- results ----------------------------------------------------------------------------

CORRELATION_MIN_TEAMS = 5
RATIO = Decimal("0.0001")


@dataclass
class Group:
    """One level's answers in one team; the figures only when ``shown`` (n ≥ the policy's
    smallest group), otherwise not even the exact count."""

    level: str
    level_label: str
    shown: bool
    n: int | None = None
    mean_estimate: Decimal | None = None
    mean_reachability: Decimal | None = None
    priorities: dict = field(default_factory=dict)


@dataclass
class TeamResult:
    """A team's groups, its target, the deviation between its levels and consensus."""

    team: object
    groups: list
    target: Decimal | None = None
    target_source: str = ""  # "allocations" | "estimates" | ""
    deviation: Decimal | None = None
    consensus: Decimal | None = None
    achieved: Decimal | None = None
    attainment: Decimal | None = None

    @staticmethod
    def _percent(value: Decimal | None) -> Decimal | None:
        return None if value is None else (value * 100).quantize(Decimal("0.1"))

    @property
    def deviation_percent(self) -> Decimal | None:
        return self._percent(self.deviation)

    @property
    def attainment_percent(self) -> Decimal | None:
        return self._percent(self.attainment)


@dataclass
class Results:
    min_group: int
    teams: list
    r: Decimal | None = None
    n: int = 0
    needed: int = CORRELATION_MIN_TEAMS

    @property
    def correlation_ready(self) -> bool:
        return self.n >= self.needed


def mean(values) -> Decimal:
    values = list(values)
    return sum(values, Decimal(0)) / len(values)


def deviation(level_means: list[Decimal], target: Decimal) -> Decimal | None:
    """The mean absolute difference of the levels' mean estimates over every pair of
    levels, divided by the target (None: fewer than two levels, or no target)."""
    pairs = [abs(a - b) for i, a in enumerate(level_means) for b in level_means[i + 1 :]]
    if not pairs or not target:
        return None
    return (mean(pairs) / target).quantize(RATIO)


def pearson(xs: list[Decimal], ys: list[Decimal]) -> Decimal | None:
    """Pearson's r of two equally long series (None: fewer than two points, or one series
    does not vary)."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxy = sum(((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)), Decimal(0))
    sxx = sum(((x - mx) ** 2 for x in xs), Decimal(0))
    syy = sum(((y - my) ** 2 for y in ys), Decimal(0))
    if not sxx or not syy:
        return None
    return (sxy / (sxx * syy).sqrt()).quantize(RATIO)


def result_teams(user, plan: TargetPlan):
    """The teams whose results ``user`` sees (None: no results at all): configurers and
    directors every team; a manager the teams of their own subtree."""
    if not permissions.visible_plans(user).filter(pk=plan.pk).exists():
        return None
    if permissions.can_configure(user) or permissions.can_decide(user):
        return Team.objects.all()
    if user.is_manager_role and user.team_id:
        return Team.objects.filter(path__startswith=user.team.path)
    return None


def may_see_results(user, plan: TargetPlan) -> bool:
    return result_teams(user, plan) is not None


def _targets(plan: TargetPlan, teams) -> dict[int, Decimal]:
    """Σ allocations of the version in force per team subtree (teams without any left out)."""
    rows = list(
        Allocation.objects.filter(plan=plan, version=plan.version).values_list(
            "team__path", "amount"
        )
    )
    out = {}
    for team in teams:
        amounts = [amount for path, amount in rows if path.startswith(team.path)]
        if amounts:
            out[team.pk] = sum(amounts, Decimal("0.00"))
    return out


def _achieved(plan: TargetPlan, teams) -> dict[int, Decimal]:
    """The measure over the fiscal year to date, summed per team subtree (by owner)."""
    start, end = measures.fiscal_range(plan.fiscal_year)
    end = min(end, clock.today() + dt.timedelta(days=1))
    if end <= start:
        return {team.pk: Decimal("0.00") for team in teams}
    owners = dict(
        get_user_model()
        .objects.filter(team__path__startswith=plan.team.path)
        .values_list("pk", "team__path")
    )
    sums = measures.by_owner(
        plan.measure, start=start, end=end, product_line=plan.product_line, owner_ids=owners
    )
    return {
        team.pk: sum(
            (amount for owner, amount in sums.items() if owners[owner].startswith(team.path)),
            Decimal("0.00"),
        )
        for team in teams
    }


def survey_results(user, plan: TargetPlan) -> Results | None:
    """What ``user`` may see of ``plan``'s survey results (None: nothing)."""
    teams_qs = result_teams(user, plan)
    if teams_qs is None:
        return None
    min_group = TargetPolicy.current().survey_min_group
    survey = survey_for(plan)
    answers: dict[int, dict[str, list]] = {}
    for row in (
        SurveyResponse.objects.filter(survey=survey, team__in=teams_qs)
        .order_by()
        .values("team_id", "level", "estimate", "reachability", "priority")
    ):
        answers.setdefault(row["team_id"], {}).setdefault(row["level"], []).append(row)
    teams = list(teams_qs.filter(pk__in=answers).order_by("path"))
    targets = _targets(plan, teams)
    achieved = _achieved(plan, [t for t in teams if t.pk in targets])
    results = []
    for team in teams:
        groups = []
        for level, label in SurveyLevel.choices:
            rows = answers[team.pk].get(level, [])
            if not rows:
                continue
            if len(rows) < min_group:
                groups.append(Group(level=level, level_label=str(label), shown=False))
                continue
            counts = {code: 0 for code in Priority.values}
            for row in rows:
                counts[row["priority"]] = counts.get(row["priority"], 0) + 1
            groups.append(
                Group(
                    level=level,
                    level_label=str(label),
                    shown=True,
                    n=len(rows),
                    mean_estimate=mean(r["estimate"] for r in rows).quantize(Decimal("0.01")),
                    mean_reachability=mean(Decimal(r["reachability"]) for r in rows).quantize(
                        Decimal("0.01")
                    ),
                    priorities=counts,
                )
            )
        result = TeamResult(team=team, groups=groups)
        shown = [g for g in groups if g.shown]
        level_means = [mean(r["estimate"] for r in answers[team.pk][g.level]) for g in shown]
        if team.pk in targets:
            result.target, result.target_source = targets[team.pk], "allocations"
            result.achieved = achieved.get(team.pk)
            if result.target and result.achieved is not None:
                result.attainment = (result.achieved / result.target).quantize(RATIO)
        elif shown:
            estimates = [r["estimate"] for g in shown for r in answers[team.pk][g.level]]
            result.target = mean(estimates).quantize(Decimal("0.01"))
            result.target_source = "estimates"
        if len(level_means) >= 2 and result.target:
            result.deviation = deviation(level_means, result.target)
            result.consensus = Decimal(1) - result.deviation
        results.append(result)
    out = Results(min_group=min_group, teams=results)
    pairs = [(t.consensus, t.attainment) for t in results if t.consensus is not None]
    pairs = [(c, a) for c, a in pairs if a is not None]
    out.n = len(pairs)
    if out.correlation_ready:
        out.r = pearson([c for c, _a in pairs], [a for _c, a in pairs])
    return out
