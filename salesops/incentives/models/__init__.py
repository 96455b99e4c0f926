"""Incentives (SPEC I1–I7): bonus plans as data, the append-only payout ledger."""

from .ledger import (
    BonusRun,
    IncentiveQueue,
    LedgerLine,
    LineKind,
    LineState,
    OpenTranche,
    PayoutPeriod,
    PeriodState,
    QueueKind,
    RepFactors,
    RunState,
    Tranche,
)
from .plans import (
    BonusPlan,
    ComponentKind,
    IncentivePolicy,
    MentorPair,
    PaymentRelease,
    PlanComponent,
    PlanVersion,
)

__all__ = [
    "BonusPlan",
    "BonusRun",
    "ComponentKind",
    "IncentivePolicy",
    "IncentiveQueue",
    "LedgerLine",
    "LineKind",
    "LineState",
    "MentorPair",
    "OpenTranche",
    "PaymentRelease",
    "PayoutPeriod",
    "PeriodState",
    "PlanComponent",
    "PlanVersion",
    "QueueKind",
    "RepFactors",
    "RunState",
    "Tranche",
]
