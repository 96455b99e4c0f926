"""Users, teams (a tree), the manager hierarchy, roles and leave periods (SPEC X8)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import TimeStampedModel


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Sales manager")
    DIRECTOR = "director", _("Sales director")
    ADMIN = "admin", _("Sales-ops admin")
    FINANCE = "finance", _("Finance")
    CUSTOMER_SUCCESS = "cs", _("Customer success")


class TeamKind(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    PRODUCT_LINE = "product_line", _("Product line")
    GROUP = "group", _("Group")


class Team(TimeStampedModel):
    """A node of the organisation tree (company → region → group). ``path`` holds the ids
    from the root (``/1/4/9/``) so a whole subtree is one indexed prefix query."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=TeamKind.choices, default=TeamKind.GROUP
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
    )
    region = models.CharField(_("region"), max_length=50, blank=True)
    product_lines = models.CharField(
        _("product lines"), max_length=200, blank=True, help_text=_("Comma-separated.")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="org_team_unique_name_in_parent"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class User(AbstractUser):
    """A person who uses SalesOps. One role each; a team; an optional direct manager
    (otherwise the team's manager, then the parent team's, is the manager)."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans", blank=True
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.REP, db_index=True
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("direct manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    daily_lead_cap = models.PositiveIntegerField(
        _("daily lead cap"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the organisation default (15)."),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        """Save, and record a ``UserChange`` for each audited field that changed.

        Done here rather than in one service because users are written from several
        places (Django admin, the settings pages, the demo, the shell) and every one of
        them must be recorded: these fields decide what a person sees and which leads
        they get. ``queryset.update()`` and ``bulk_create`` bypass it, as they bypass
        simple-history; nothing in SalesOps changes these fields that way.
        """
        update_fields = kwargs.get("update_fields")
        audited = [
            name
            for name in AUDITED_USER_FIELDS
            if update_fields is None or name in update_fields or f"{name}_id" in update_fields
        ]
        if not audited:
            return super().save(*args, **kwargs)
        creating = self._state.adding or self.pk is None
        columns = [self._meta.get_field(name).attname for name in audited]
        with transaction.atomic(using=kwargs.get("using") or "default"):
            before = None
            if not creating:
                before = type(self)._base_manager.filter(pk=self.pk).values(*columns).first()
            super().save(*args, **kwargs)
            _record_user_changes(self, audited, before)

    @property
    def label(self) -> str:
        return str(self)

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role in (Role.DIRECTOR, Role.ADMIN, Role.FINANCE)

    @property
    def edits_everything(self) -> bool:
        return self.is_superuser or self.role in (Role.DIRECTOR, Role.ADMIN)

    @property
    def is_manager_role(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_read_only_role(self) -> bool:
        return self.role == Role.FINANCE

    @property
    def is_customer_success_role(self) -> bool:
        """Customer success: sees the accounts of their book (core.visibility)."""
        return self.role == Role.CUSTOMER_SUCCESS

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class LeavePeriod(TimeStampedModel):
    """A span when a user is away; routing skips them (later issues)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="leave_periods",
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("leave period")
        verbose_name_plural = _("leave periods")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="org_leave_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.starts_on}–{self.ends_on}"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(TimeStampedModel):
    """A personal API token for integrations. Only a SHA-256 hash is stored; the token is
    shown once when created. ``prefix`` (the first 8 characters) identifies it in lists."""

    PREFIX = "so_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def touch(self):
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=clock.now())


# The fields of a user that decide visibility and routing (SPEC X9: who, when, before/after).
AUDITED_USER_FIELDS = ("role", "team", "manager", "daily_lead_cap", "is_active")


class UserChange(models.Model):
    """One change to a field that decides what a user sees and which leads they get
    (role, team, direct manager, daily lead cap, active): who made it, when, and the
    values before and after — as labels at the time (a team may be renamed later) and
    as raw values (ids, numbers). Written by ``User.save``."""

    class Field(models.TextChoices):
        ROLE = "role", _("role")
        TEAM = "team", _("team")
        MANAGER = "manager", _("direct manager")
        DAILY_LEAD_CAP = "daily_lead_cap", _("daily lead cap")
        IS_ACTIVE = "is_active", _("active")

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="access_changes",
    )
    # Kept so the record still names the person if the user row is ever deleted.
    username = models.CharField(_("username"), max_length=150)
    changed_at = models.DateTimeField(_("changed at"), default=clock.now, db_index=True)
    changed_by = models.ForeignKey(
        User,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    created = models.BooleanField(_("at creation"), default=False)
    before = models.CharField(_("before"), max_length=200, blank=True)
    after = models.CharField(_("after"), max_length=200, blank=True)
    before_value = models.CharField(_("value before"), max_length=50, blank=True)
    after_value = models.CharField(_("value after"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("user change")
        verbose_name_plural = _("user changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["user", "-changed_at"], name="org_userchange_user_at")]

    def __str__(self):
        return f"{self.username}.{self.field}: {self.before} → {self.after}"


def _current_actor(user: User) -> User | None:
    """Who is making the change: set explicitly by a service (``_change_actor``), else the
    logged-in user of the current web request (simple-history's request middleware)."""
    actor = getattr(user, "_change_actor", None)
    if actor is not None:
        return actor
    request = getattr(HistoricalRecords.context, "request", None)
    request_user = getattr(request, "user", None)
    if request_user is not None and request_user.is_authenticated:
        return request_user
    return None


def _value_label(field: str, value, labels: dict) -> str:
    if value is None or value == "":
        return ""
    if field == "role":
        return str(Role(value).label) if value in Role.values else str(value)
    if field in ("team", "manager"):
        return labels.get((field, value), f"#{value}")
    if field == "is_active":
        return str(_("active")) if value else str(_("inactive"))
    return str(value)


def _record_user_changes(user: User, fields: list[str], before: dict | None) -> None:
    changes = []
    for name in fields:
        attname = user._meta.get_field(name).attname
        new = getattr(user, attname)
        if before is None:
            # At creation: what the user starts with (an active user is the default).
            if new in (None, "") or (name == "is_active" and new):
                continue
            old = None
        else:
            old = before.get(attname)
            if old == new:
                continue
        changes.append((name, old, new))
    if not changes:
        return
    labels: dict = {}
    team_ids = {v for n, o, w in changes if n == "team" for v in (o, w) if v}
    user_ids = {v for n, o, w in changes if n == "manager" for v in (o, w) if v}
    if team_ids:
        for pk, name in Team.objects.filter(pk__in=team_ids).values_list("pk", "name"):
            labels[("team", pk)] = name
    if user_ids:
        for person in User.objects.filter(pk__in=user_ids).only(
            "username", "display_name", "first_name", "last_name"
        ):
            labels[("manager", person.pk)] = str(person)
    actor = _current_actor(user)
    now = clock.now()
    UserChange.objects.bulk_create(
        [
            UserChange(
                user=user,
                username=user.username,
                changed_at=now,
                changed_by=actor,
                field=name,
                created=before is None,
                before=_value_label(name, old, labels)[:200],
                after=_value_label(name, new, labels)[:200],
                before_value="" if old is None else str(old)[:50],
                after_value="" if new is None else str(new)[:50],
            )
            for name, old, new in changes
        ]
    )
