"""Where KPI metrics read from: a registry of sources in code (metrics themselves are data).

A :class:`Source` names a model, the ORM path to the user who owns a row (the same paths as
the ``core.entities`` registrations), the fields a metric may filter, aggregate or cut the
period by, and the base rows. A field is a plain ORM path, or an expression annotated
(``alias``) when there is no column — cycle days, a repeat contract, a lead whose source was
corrected. A boolean field may also say itself as a ``Q`` (``q``) so a filter on it uses the
indexes (a qualified deal is the partial index ``deal_qualified_open``).

Each model was read before its fields were written; labels are translatable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models import Expression as OrmExpression
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

KINDS = ("number", "money", "text", "bool", "date", "datetime", "choice", "days")
NUMERIC_KINDS = frozenset({"number", "money", "days"})
PERIOD_KINDS = frozenset({"date", "datetime"})


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    kind: str  # number|money|text|bool|date|datetime|choice|days
    path: str | None = None  # ORM lookup from the source model
    expression: Callable[[], OrmExpression] | None = None  # annotation when no plain path
    choices: tuple[tuple[str, str], ...] = ()
    # A bool field as a Q (used by filters instead of the annotation: index friendly).
    q: Callable[[], Q] | None = None

    @property
    def alias(self) -> str:
        """The name it is reached by in a query (the path, or its annotation's alias)."""
        return self.path or f"kpi_{self.name}"

    def codes(self) -> list[str]:
        return [code for code, _label in self.choices]


@dataclass(frozen=True)
class Source:
    code: str
    label: Promise
    model: str  # "activities.Activity"
    owner: str  # ORM path to the user who owns the row
    fields: dict[str, Field] = field(default_factory=dict)
    date_fields: tuple[str, ...] = ()  # names in fields usable as the period date
    default_date: str | None = None
    base: Callable[[QuerySet], QuerySet] | None = None  # e.g. only signed contracts

    def model_class(self):
        return apps.get_model(self.model)

    def queryset(self) -> QuerySet:
        """The base rows (unordered: every read groups or counts)."""
        qs = self.model_class()._default_manager.all().order_by()
        return self.base(qs) if self.base else qs

    def with_fields(self, names, qs: QuerySet | None = None) -> QuerySet:
        """``qs`` (default: the base rows) with the annotations the named fields need."""
        qs = self.queryset() if qs is None else qs
        aliases = {}
        for name in names:
            f = self.fields.get(name)
            if f is not None and f.path is None and f.expression is not None:
                aliases[f.alias] = f.expression()
        return qs.alias(**aliases) if aliases else qs


_REGISTRY: dict[str, Source] = {}


def register(source: Source) -> Source:
    for name in source.date_fields:
        assert source.fields[name].kind in PERIOD_KINDS, (source.code, name)
    _REGISTRY[source.code] = source
    return source


def get(code: str) -> Source:
    """The source registered as ``code`` (KeyError if unknown)."""
    ensure_registered()
    return _REGISTRY[code]


def all_sources() -> list[Source]:
    ensure_registered()
    return list(_REGISTRY.values())


# --- expressions shared by the sources ----------------------------------------------------


class DaysBetween(Func):
    """``end − start`` in (fractional) days, for datetimes or dates, on SQLite and
    PostgreSQL; NULL when either is NULL."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
            **extra,
        )


def _boolean(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


def _choices(enum) -> tuple[tuple[str, str], ...]:
    return tuple((value, label) for value, label in enum.choices)


def _f(name, label, kind, path=None, **kw) -> tuple[str, Field]:
    return name, Field(name=name, label=label, kind=kind, path=path, **kw)


# --- the sources --------------------------------------------------------------------------


def _register_all() -> None:  # noqa: PLR0915 - one declaration per source
    from salesops.activities.models import ActivityKind
    from salesops.aftersales.models import (
        ComplaintStatus,
        NpsCategory,
        Priority,
        RenewalStatus,
        Severity,
    )
    from salesops.knowledge.models import UsageAction
    from salesops.leads.models import ChannelKind, LeadStatus, SlaState
    from salesops.pipeline.models import (
        ChangeDirection,
        ChangeState,
        DealStatus,
        StageKind,
    )
    from salesops.revenue.models import SIGNED_STATUSES, Contract, ContractStatus

    from .models import FindingKind, FindingState

    def lead_source_corrected():
        history = apps.get_model("leads", "HistoricalLead")
        # The lead's history holds a channel other than the one it has now: its source
        # was corrected after it was created (K9's labelling accuracy).
        return Exists(
            history.objects.filter(id=OuterRef("pk")).exclude(channel_id=OuterRef("channel_id"))
        )

    def contract_repeat():
        earlier = Contract.objects.filter(
            account_id=OuterRef("account_id"), status__in=SIGNED_STATUSES
        ).filter(
            Q(signed_on__lt=OuterRef("signed_on"))
            | Q(signed_on=OuterRef("signed_on"), pk__lt=OuterRef("pk"))
        )
        return Exists(earlier)

    def deal_qualified_q():
        # D8 as targets.measures / the partial index deal_qualified_open read it.
        return Q(
            status=DealStatus.OPEN,
            need_confirmed=True,
            budget_confirmed=True,
            decision_maker_identified=True,
        )

    register(
        Source(
            code="activities",
            label=_("Activities"),
            model="activities.Activity",
            owner="owner",
            fields=dict(
                [
                    _f("kind", _("type"), "choice", "kind", choices=_choices(ActivityKind)),
                    _f("effective", _("effective touch"), "bool", "effective"),
                    _f("tag", _("result tag (code)"), "text", "tag__code"),
                    _f(
                        "duration_minutes",
                        _("duration (minutes)"),
                        "number",
                        expression=lambda: ExpressionWrapper(
                            F("duration_seconds") / 60.0, output_field=FloatField()
                        ),
                    ),
                    _f("account", _("account"), "number", "account_id"),
                    _f("lead", _("lead"), "number", "lead_id"),
                    _f("deal", _("deal"), "number", "deal_id"),
                    _f("started_at", _("started at"), "datetime", "started_at"),
                    _f(
                        "checked_in",
                        _("checked in"),
                        "bool",
                        expression=lambda: _boolean(Q(checked_in_at__isnull=False)),
                        q=lambda: Q(checked_in_at__isnull=False),
                    ),
                    _f("checked_in_at", _("checked in at"), "datetime", "checked_in_at"),
                ]
            ),
            date_fields=("started_at", "checked_in_at"),
            default_date="started_at",
        )
    )
    register(
        Source(
            code="leads",
            label=_("Leads"),
            model="leads.Lead",
            owner="owner",
            fields=dict(
                [
                    _f("channel", _("channel (name)"), "text", "channel__name"),
                    _f(
                        "channel_kind",
                        _("channel kind"),
                        "choice",
                        "channel__kind",
                        choices=_choices(ChannelKind),
                    ),
                    _f("status", _("status"), "choice", "status", choices=_choices(LeadStatus)),
                    _f("sla_state", _("SLA"), "choice", "sla_state", choices=_choices(SlaState)),
                    _f("first_contact_at", _("first contact at"), "datetime", "first_contact_at"),
                    _f("created_at", _("created at"), "datetime", "created_at"),
                    _f("converted_at", _("converted at"), "datetime", "converted_at"),
                    _f(
                        "source_corrected",
                        _("source corrected"),
                        "bool",
                        expression=lead_source_corrected,
                    ),
                ]
            ),
            date_fields=("created_at", "first_contact_at", "converted_at"),
            default_date="created_at",
        )
    )
    register(
        Source(
            code="deals",
            label=_("Deals"),
            model="pipeline.Deal",
            owner="owner",
            fields=dict(
                [
                    _f("status", _("status"), "choice", "status", choices=_choices(DealStatus)),
                    _f("amount", _("amount"), "money", "amount"),
                    _f(
                        "stage_kind",
                        _("stage kind"),
                        "choice",
                        "stage__kind",
                        choices=_choices(StageKind),
                    ),
                    _f("stage", _("stage (code)"), "text", "stage__code"),
                    _f("product_line", _("product line"), "text", "product_line"),
                    _f("account", _("account"), "number", "account_id"),
                    _f("created_at", _("created at"), "datetime", "created_at"),
                    _f("closed_at", _("closed at"), "datetime", "closed_at"),
                    _f(
                        "cycle_days",
                        _("cycle (days)"),
                        "days",
                        expression=lambda: DaysBetween(F("closed_at"), F("created_at")),
                    ),
                    _f(
                        "qualified",
                        _("qualified (need, budget, decision maker)"),
                        "bool",
                        expression=lambda: _boolean(deal_qualified_q()),
                        q=deal_qualified_q,
                    ),
                ]
            ),
            date_fields=("created_at", "closed_at"),
            default_date="created_at",
        )
    )
    register(
        Source(
            code="stage_changes",
            label=_("Stage changes"),
            model="pipeline.StageChange",
            owner="owner",
            fields=dict(
                [
                    _f(
                        "direction",
                        _("direction"),
                        "choice",
                        "direction",
                        choices=_choices(ChangeDirection),
                    ),
                    _f("state", _("state"), "choice", "state", choices=_choices(ChangeState)),
                    _f("to_stage", _("to stage (code)"), "text", "to_stage__code"),
                    _f("from_stage", _("from stage (code)"), "text", "from_stage__code"),
                    _f("product_line", _("product line"), "text", "product_line"),
                    _f("requested_at", _("requested at"), "datetime", "requested_at"),
                    _f("applied_at", _("applied at"), "datetime", "applied_at"),
                ]
            ),
            date_fields=("requested_at", "applied_at"),
            default_date="applied_at",
        )
    )
    register(
        Source(
            code="evidence",
            label=_("Stage evidence"),
            model="pipeline.Evidence",
            owner="deal__owner",
            fields=dict(
                [
                    _f("type", _("evidence type (code)"), "text", "type"),
                    _f("deal", _("deal"), "number", "deal_id"),
                    _f("created_at", _("uploaded at"), "datetime", "created_at"),
                ]
            ),
            date_fields=("created_at",),
            default_date="created_at",
        )
    )
    register(
        Source(
            code="contracts",
            label=_("Contracts"),
            model="revenue.Contract",
            owner="owner",
            fields=dict(
                [
                    _f("amount", _("contract amount"), "money", "amount"),
                    _f(
                        "status",
                        _("status"),
                        "choice",
                        "status",
                        choices=_choices(ContractStatus),
                    ),
                    _f(
                        "signed",
                        _("signed (signed, active or completed)"),
                        "bool",
                        expression=lambda: _boolean(Q(status__in=SIGNED_STATUSES)),
                        q=lambda: Q(status__in=SIGNED_STATUSES),
                    ),
                    _f("product_line", _("product line"), "text", "product_line"),
                    _f("account", _("account"), "number", "account_id"),
                    _f("signed_on", _("signed on"), "date", "signed_on"),
                    _f(
                        "repeat",
                        _("repeat (the account signed before)"),
                        "bool",
                        expression=contract_repeat,
                    ),
                ]
            ),
            date_fields=("signed_on",),
            default_date="signed_on",
        )
    )
    register(
        Source(
            code="payments",
            label=_("Payments received"),
            model="revenue.Payment",
            owner="contract__owner",
            fields=dict(
                [
                    _f("amount", _("amount"), "money", "amount"),
                    _f("received_on", _("received on"), "date", "received_on"),
                    _f("product_line", _("product line"), "text", "contract__product_line"),
                    _f("flagged", _("flagged"), "bool", "flagged"),
                ]
            ),
            date_fields=("received_on",),
            default_date="received_on",
        )
    )
    register(
        Source(
            code="complaints",
            label=_("Complaints"),
            model="aftersales.Complaint",
            owner="account__owner",
            fields=dict(
                [
                    _f("severity", _("severity"), "choice", "severity", choices=_choices(Severity)),
                    _f(
                        "status",
                        _("status"),
                        "choice",
                        "status",
                        choices=_choices(ComplaintStatus),
                    ),
                    _f("account", _("account"), "number", "account_id"),
                    _f("raised_on", _("raised on"), "date", "raised_on"),
                    _f("resolved_on", _("resolved on"), "date", "resolved_on"),
                ]
            ),
            date_fields=("raised_on", "resolved_on"),
            default_date="raised_on",
        )
    )
    register(
        Source(
            code="nps",
            label=_("NPS answers"),
            model="aftersales.NpsResponse",
            owner="account__owner",
            fields=dict(
                [
                    _f("score", _("score"), "number", "score"),
                    _f(
                        "category",
                        _("category"),
                        "choice",
                        "category",
                        choices=_choices(NpsCategory),
                    ),
                    _f("account", _("account"), "number", "account_id"),
                    _f("responded_on", _("responded on"), "date", "responded_on"),
                ]
            ),
            date_fields=("responded_on",),
            default_date="responded_on",
        )
    )
    register(
        Source(
            code="tickets",
            label=_("Service tickets"),
            model="aftersales.ServiceTicket",
            owner="account__owner",
            fields=dict(
                [
                    _f("priority", _("priority"), "choice", "priority", choices=_choices(Priority)),
                    _f("account", _("account"), "number", "account_id"),
                    _f("opened_at", _("opened at"), "datetime", "opened_at"),
                    _f("resolved_at", _("resolved at"), "datetime", "resolved_at"),
                    _f("response_hours", _("response (hours)"), "number", "response_hours"),
                    _f("resolution_hours", _("resolution (hours)"), "number", "resolution_hours"),
                ]
            ),
            date_fields=("opened_at", "resolved_at"),
            default_date="opened_at",
        )
    )
    register(
        Source(
            code="renewals",
            label=_("Renewals"),
            model="aftersales.Renewal",
            owner="account__owner",
            fields=dict(
                [
                    _f(
                        "status",
                        _("status"),
                        "choice",
                        "status",
                        choices=_choices(RenewalStatus),
                    ),
                    _f("amount", _("amount"), "money", "amount"),
                    _f("account", _("account"), "number", "account_id"),
                    _f("due_on", _("due on"), "date", "due_on"),
                    _f("closed_on", _("closed on"), "date", "closed_on"),
                ]
            ),
            date_fields=("due_on", "closed_on"),
            default_date="due_on",
        )
    )
    register(
        Source(
            code="knowledge_usage",
            label=_("Knowledge use"),
            model="knowledge.KnowledgeUsage",
            owner="user",
            fields=dict(
                [
                    _f("action", _("action"), "choice", "action", choices=_choices(UsageAction)),
                    _f("item", _("knowledge item"), "number", "item_id"),
                    _f("at", _("at"), "datetime", "at"),
                ]
            ),
            date_fields=("at",),
            default_date="at",
        )
    )
    register(
        Source(
            code="voice_mentions",
            label=_("Valued service actions (customer voice)"),
            model="kpi.VoiceMention",
            owner="rep",
            fields=dict(
                [
                    _f("action", _("service action"), "text", "action"),
                    _f("dimension", _("radar dimension"), "text", "dimension"),
                    _f("answered_at", _("answered at"), "datetime", "answered_at"),
                ]
            ),
            date_fields=("answered_at",),
            default_date="answered_at",
        )
    )
    register(
        Source(
            code="voice_samples",
            label=_("Customer-voice surveys"),
            model="kpi.VoiceSample",
            owner="rep",
            fields=dict(
                [
                    _f(
                        "answered",
                        _("answered"),
                        "bool",
                        expression=lambda: _boolean(Q(answered_at__isnull=False)),
                        q=lambda: Q(answered_at__isnull=False),
                    ),
                    _f("account", _("account"), "number", "account_id"),
                    _f("sent_at", _("sent at"), "datetime", "sent_at"),
                    _f("answered_at", _("answered at"), "datetime", "answered_at"),
                ]
            ),
            date_fields=("sent_at", "answered_at"),
            default_date="sent_at",
        )
    )
    register(
        Source(
            code="findings",
            label=_("Compliance findings"),
            model="kpi.ComplianceFinding",
            owner="owner",
            fields=dict(
                [
                    _f("kind", _("kind"), "choice", "kind", choices=_choices(FindingKind)),
                    _f("state", _("state"), "choice", "state", choices=_choices(FindingState)),
                    _f("occurred_at", _("occurred at"), "datetime", "occurred_at"),
                ]
            ),
            date_fields=("occurred_at",),
            default_date="occurred_at",
        )
    )


def ensure_registered() -> None:
    """Fill the registry once (models must be loaded: called from AppConfig.ready)."""
    if not _REGISTRY:
        _register_all()
