"""The values and scopes of the outcome board's metrics (:mod:`.metrics`): what a metric
answers (:class:`MetricValue`), one owner's share of it (:class:`Part`), and whose records
it covers (:class:`Scope`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from salesops.org.models import Team, User

from .models import ScopeKind


@dataclass
class MetricValue:
    """A metric's value for a scope and window, with what it was computed from."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class Part:
    """One owner's share of a metric: summed numerator and denominator, the samples of
    a median metric, and named counts for the detail."""

    num: float = 0.0
    den: float = 0.0
    samples: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def add(self, other: Part) -> None:
        self.num += other.num
        self.den += other.den
        self.samples.extend(other.samples)
        for key, value in other.extra.items():
            self.extra[key] = self.extra.get(key, 0) + value


@dataclass(frozen=True)
class Scope:
    """The organisation (``Scope.org()``), a team and its subtree, or one rep."""

    kind: str
    id: int = 0

    @classmethod
    def org(cls) -> Scope:
        return cls(ScopeKind.ORG, 0)

    @classmethod
    def team(cls, team_id: int) -> Scope:
        return cls(ScopeKind.TEAM, team_id)

    @classmethod
    def rep(cls, user_id: int) -> Scope:
        return cls(ScopeKind.REP, user_id)

    def owner_ids(self) -> list[int] | None:
        """The users whose records the scope covers (``None``: everyone)."""
        if self.kind == ScopeKind.ORG:
            return None
        if self.kind == ScopeKind.REP:
            return [self.id]
        team = Team.objects.filter(pk=self.id).first()
        if team is None:
            return []
        return list(
            User.objects.filter(team__path__startswith=team.path).values_list("pk", flat=True)
        )
