"""Leads, their intake channels, repeat inquiries, routing rules and assignments
(SPEC L1–L8).

A lead is one inquiry from a person at a company. It arrives through a :class:`Channel`
(website form, social/ad webhook, event, referral, manual quick entry, API, import), is
checked for duplicates, routed to a rep by the first matching :class:`RoutingRule`, and
then timed by the default SLA and escalation rules of the automation engine.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.core import choices, clock
from salesops.core.models import BaseModel, TimeStampedModel
from salesops.core.validators import display_phone
from salesops.core.visibility import OwnedQuerySet, visible_owner_ids
from salesops.customization.models import CustomFieldsModel
from salesops.org.models import Team


def new_token() -> str:
    return "ch_" + secrets.token_urlsafe(24)


class ChannelKind(models.TextChoices):
    WEBSITE = "website", _("Website form")
    SOCIAL = "social", _("WeChat / social media")
    ADS = "ads", _("Ad platform")
    EVENT = "event", _("Event / trade show")
    REFERRAL = "referral", _("Referral")
    MANUAL = "manual", _("Manual entry")
    API = "api", pgettext_lazy("channel", "API")
    IMPORT = "import", _("Excel import")


class Channel(BaseModel):
    """Where leads come from. Each has its own token for the public intake endpoint;
    revoking it (or regenerating) makes the old token answer 404 at once."""

    name = models.CharField(pgettext_lazy("channel", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    campaign = models.CharField(
        _("default campaign"),
        max_length=100,
        blank=True,
        help_text=_("Recorded on every lead from this channel unless the lead names another."),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute per client"),
        default=60,
        help_text=_("More requests than this from one address in a minute get HTTP 429."),
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("pool team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whose manager hears about leads from here that no rule can place."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("leads:channel_detail", args=[self.pk])


class LeadStatus(models.TextChoices):
    NEW = "new", _("New lead")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Needs confirmed")
    CONVERTED = "converted", _("Converted to deal")
    INVALID = "invalid", _("Invalid")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


class InvalidReason(models.TextChoices):
    NO_NEED = "no_need", _("No real need")
    UNREACHABLE = "unreachable", _("Cannot be reached")
    SPAM = "spam", _("Spam or test")
    COMPETITOR = "competitor", _("Competitor or job seeker")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class SlaState(models.TextChoices):
    NONE = "", _("Not running")
    RUNNING = "running", _("Running")
    DUE_SOON = "due_soon", _("Due soon")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    LATE = "late", _("Met late")


class ReviewState(models.TextChoices):
    CLEAR = "", _("No duplicate")
    REVIEW = "review", _("Possible duplicate – review")
    DISMISSED = "dismissed", _("Reviewed: not a duplicate")


class LeadQuerySet(OwnedQuerySet):
    owner_path = "owner"

    def visible_to(self, user):
        """A rep sees their own leads and their own team's unassigned pool (to claim from
        it); a manager their teams' leads and the pools of the teams they manage;
        directors, admins and finance everything."""
        ids = visible_owner_ids(user)
        if ids is None:
            return self
        if isinstance(ids, list) and not ids:
            return self.none()
        pool = self.pool_q(user)
        return self.filter(Q(owner__in=ids) if pool is None else Q(owner__in=ids) | pool)

    @staticmethod
    def pool_q(user) -> Q | None:
        """The unassigned leads ``user`` sees beside the owned ones (part of
        :meth:`visible_to` for a user who does not see everything): a rep their team's
        pool, a manager the pools of the teams they manage. A query that only wants the
        pool (or only owned leads) asks for this part alone: SQLite reads an ``owner IN
        (…) OR (owner IS NULL AND team …)`` through both indexes and a whole team's rows."""
        condition = None
        if user.is_manager_role:
            paths = list(Team.objects.filter(manager=user).values_list("path", flat=True))
            for path in paths:
                # The pool's teams as a subquery of team ids, not a join on the team's
                # path: the database then reads the pool from the (team, owner) index
                # instead of joining every lead to its team (a manager's lead count at
                # 10,000 leads: 21 → 1 ms on SQLite).
                teams = Team.objects.filter(path__startswith=path).values("pk")
                part = Q(owner__isnull=True, team_id__in=teams)
                condition = part if condition is None else condition | part
        elif user.team_id:
            condition = Q(owner__isnull=True, team_id=user.team_id)
        return condition

    def pool_visible_to(self, user):
        """The unassigned leads among those :meth:`visible_to` gives ``user``."""
        ids = visible_owner_ids(user)
        if ids is None:
            return self.filter(owner__isnull=True)
        if not ids:
            return self.none()
        pool = self.pool_q(user)
        return self.none() if pool is None else self.filter(pool)

    def owned_visible_to(self, user):
        """The leads with an owner among those :meth:`visible_to` gives ``user``."""
        ids = visible_owner_ids(user)
        if ids is None:
            return self.filter(owner__isnull=False)
        return self.filter(owner__in=ids)

    def editable_by(self, user):
        """Changing a lead: its owner, their managers, directors and admins. A rep may
        only *claim* a pool lead (lead_claim), not edit it."""
        if not user.is_authenticated or user.is_read_only_role:
            return self.none()
        if user.is_manager_role or user.edits_everything:
            return self.visible_to(user)
        return self.filter(owner=user)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def pool(self):
        return self.filter(owner__isnull=True)


class Lead(BaseModel, CustomFieldsModel):
    layout_required = ("contact_name", "phone", "company", "need")

    # The four fields of quick entry (L2).
    contact_name = models.CharField(_("contact name"), max_length=100)
    phone = models.CharField(
        _("phone"), max_length=20, help_text=_("Stored in international format.")
    )
    company = models.CharField(_("company"), max_length=200)
    need = models.TextField(_("need / pain point"), max_length=2000)
    # Optional details.
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    # Codes of the editable lists (core.choices), as on accounts.
    industry = models.CharField(_("industry"), max_length=30, blank=True)
    size_band = models.CharField(_("company size"), max_length=30, blank=True)
    product_line = models.CharField(_("product line"), max_length=100, blank=True)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="leads",
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    # Progress.
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    invalid_reason = models.CharField(_("reason invalid"), max_length=30, blank=True)
    # No single-column indexes on owner and team: the composite indexes below start with
    # them and serve the same lookups, and every intake pays for each index it updates.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        db_index=False,
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        db_index=False,
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True, editable=False)
    first_contact_at = models.DateTimeField(
        _("first contact at"), null=True, blank=True, editable=False
    )
    sla_due_at = models.DateTimeField(_("first contact due"), null=True, blank=True, editable=False)
    sla_state = models.CharField(
        _("SLA"), max_length=20, choices=SlaState.choices, blank=True, default=SlaState.NONE
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    progressed_at = models.DateTimeField(_("last progress at"), default=clock.now, editable=False)
    touches = models.PositiveIntegerField(_("inquiries"), default=1, editable=False)
    review_state = models.CharField(
        _("duplicate review"),
        max_length=20,
        choices=ReviewState.choices,
        blank=True,
        default=ReviewState.CLEAR,
    )
    possible_duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    company_key = models.CharField(max_length=200, blank=True, editable=False)
    company_prefix = models.CharField(max_length=2, blank=True, editable=False)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    # History is read per lead (by id) and by date; indexes on its copies of the other
    # columns would only slow every intake down.
    history = HistoricalRecords(
        excluded_fields=["company_key", "company_prefix"],
        no_db_index=[
            "created_at",
            "created_by",
            "channel",
            "owner",
            "team",
            "possible_duplicate_of",
            "account",
            "contact",
        ],
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_status"),
            # A team's newest leads (the list's first page, the month by channel): a range
            # of created_at per owner instead of every lead of the 50 reps.
            models.Index(fields=["owner", "-created_at"], name="lead_owner_created"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(fields=["credit_code"], name="lead_credit_code"),
            models.Index(fields=["company_prefix", "status"], name="lead_company_prefix"),
            models.Index(fields=["assigned_at"], name="lead_assigned_at"),
            models.Index(fields=["sla_due_at"], name="lead_sla_due"),
            # A team's pool (owner null), and each team's open leads counted from the
            # index alone (the director's home).
            models.Index(fields=["team", "owner", "status"], name="lead_team_owner_status"),
            # The dwell list's oldest open leads. Not (status, …): SQLite's planner takes an
            # index that starts with status for every "open leads" query and then reads
            # the 160,000 open leads of everyone to find a manager's 40,000 (900 ms)
            # instead of the owner and pool indexes (30 ms).
            models.Index(fields=["progressed_at", "status"], name="lead_progress_status"),
            # Escalated, not yet contacted leads (home pages, team board): a few rows.
            models.Index(
                fields=["escalation_level", "status", "owner", "team"], name="lead_escalated"
            ),
            # The list's province filter offers the provinces of the visible leads
            # (a DISTINCT): read from an index, not every lead row.
            models.Index(fields=["province"], name="lead_province"),
            models.Index(fields=["owner", "province"], name="lead_owner_province"),
            # Open leads whose first response is breached (the home pages' counts), from
            # the index alone for everyone, a team or a rep.
            # (sla_state, due): the overdue ones are a range of it, counted from the index;
            # with created_at the team board's breached list (a few thousand on a 50-rep
            # team) picks its page's ids from the index alone, oldest first.
            models.Index(
                fields=[
                    "sla_state",
                    "sla_due_at",
                    "status",
                    "owner",
                    "team",
                    "first_contact_at",
                    "created_at",
                ],
                name="lead_sla_due_created",
            ),
        ]

    def __str__(self):
        return f"{self.company} · {self.contact_name}"

    def get_absolute_url(self):
        return reverse("leads:lead_detail", args=[self.pk])

    get_industry_display = choices.display_method("industry", choices.INDUSTRY)
    get_size_band_display = choices.display_method("size_band", choices.COMPANY_SIZE)
    get_invalid_reason_display = choices.display_method(
        "invalid_reason", choices.LEAD_INVALID_REASON
    )

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IntakeKey(models.Model):
    """An ``Idempotency-Key`` seen on a channel: the same key with the same body again gets
    the first request's answer (status and body, kept here); with another body it is
    refused (``request_hash``: SHA-256 of the normalised body)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    request_hash = models.CharField(max_length=64, blank=True, default="")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="leads_intake_key_unique")
        ]

    def __str__(self):
        return self.key


class MatchKind(models.TextChoices):
    PHONE = "phone", _("same phone")
    CREDIT_CODE = "credit_code", _("same credit code")
    COMPANY = "company", _("similar company name")


class Inquiry(models.Model):
    """One inquiry that reached a lead: the first one and every repeat (a new touch)."""

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="inquiries"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=clock.now)
    matched_by = models.CharField(
        _("matched by"), max_length=20, choices=MatchKind.choices, blank=True
    )
    score = models.PositiveSmallIntegerField(_("match score"), null=True, blank=True)
    match_entity = models.CharField(_("matched record type"), max_length=20, blank=True)
    match_id = models.BigIntegerField(_("matched record"), null=True, blank=True)
    payload = models.JSONField(_("what was sent"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["received_at", "id"]

    def __str__(self):
        return f"{self.lead_id} @ {self.received_at:%Y-%m-%d %H:%M}"


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded (fewest open leads)")
    WEIGHTED = "weighted", _("Weighted")


class RoutingRule(BaseModel):
    """If ``condition`` holds for a lead, give it to one of the rule's reps (or the
    team's reps) by ``strategy``. Rules are tried in ascending ``priority``."""

    name = models.CharField(pgettext_lazy("rule", "name"), max_length=100)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    condition = models.TextField(
        _("condition"),
        blank=True,
        max_length=2000,
        help_text=_("An expression over lead fields; empty means every lead."),
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The reps of this team (and its sub-teams) when no reps are listed."),
    )
    strategy = models.CharField(
        _("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    cursor = models.PositiveIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["cursor"])

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "id"]

    def __str__(self):
        return self.name


class RoutingMember(models.Model):
    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "user"], name="leads_routing_member_unique")
        ]

    def __str__(self):
        return f"{self.user_id} × {self.weight}"


class DailyLeadCount(models.Model):
    """How many leads a rep was given on one day. The cap is enforced by one conditional
    ``UPDATE … SET count = count + 1 WHERE count < cap``, so concurrent intake can never
    push a rep past it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="leads_daily_count_unique")
        ]

    def __str__(self):
        return f"{self.user_id} {self.day}: {self.count}"


class Assignment(TimeStampedModel):
    """Who got a lead, from whom, by which rule and strategy, and why (P4)."""

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="assignments"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule = models.ForeignKey(
        RoutingRule,
        verbose_name=_("routing rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    rule_name = models.CharField(_("routing rule"), max_length=100, blank=True)
    strategy = models.CharField(_("strategy"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    over_cap = models.BooleanField(
        _("over the daily cap"),
        default=False,
        help_text=_("A manager gave the lead beyond the rep's daily cap, saying why."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["created_at", "id"]
