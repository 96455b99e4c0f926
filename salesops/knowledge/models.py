"""The knowledge base (SPEC N1–N4): scripts (话术), articles, cases and micro-courses.

A :class:`KnowledgeItem` is one piece of content. Scripts carry placeholders
(``{{客户名称}}`` / ``{{company}}``, see :mod:`.placeholders`), a channel and the customer
types (industry codes of the organisation's editable list) they are written for. Every
view, copy, adoption and search is a :class:`KnowledgeUsage` row, so coaching reports and
the visit snapshot ("knowledge searches made for this account") read one table.
:class:`Push` is content sent to a rep by a rule (N4), idempotent per (item, user, key).

Search reads an in-process index (:mod:`.search`) rebuilt when
:class:`KnowledgeIndexState`'s version moves: the version lives in the database so every
web process sees a change at its next query.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel
from salesops.core.visibility import OwnedQuerySet


class AttachmentStorage(FileSystemStorage):
    """Course files live beside deal evidence, outside the web root (``KNOWLEDGE_ROOT``,
    default var/private/knowledge): read back only through the item's download view. The
    location is read from the settings at each use, so tests can move it."""

    @property
    def base_location(self):
        root = getattr(settings, "KNOWLEDGE_ROOT", None)
        return str(root or Path(settings.EVIDENCE_ROOT).parent / "knowledge")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def attachment_storage() -> FileSystemStorage:
    return AttachmentStorage(base_url=None)


class Kind(models.TextChoices):
    SCRIPT = "script", _("Script")
    ARTICLE = "article", _("Article")
    CASE = "case", _("Case study")
    COURSE = "course", _("Micro-course")


class Channel(models.TextChoices):
    ANY = "any", _("Any channel")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")


class KnowledgeTag(models.Model):
    """A topic label (价格异议, 降本增效 …) shared by items; bilingual like other lists."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label_zh = models.CharField(_("label (Chinese)"), max_length=50)
    label_en = models.CharField(_("label (English)"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("knowledge tag")
        verbose_name_plural = _("knowledge tags")
        ordering = ["code"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        language = (translation.get_language() or "zh-hans").lower()
        return self.label_zh if language.startswith("zh") else (self.label_en or self.label_zh)


class KnowledgeItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible_to(self, user):
        """Everyone signed in reads the active knowledge base; editors also see inactive
        items (to reactivate them)."""
        from .permissions import can_edit

        if user is None or not user.is_authenticated:
            return self.none()
        return self if can_edit(user) else self.active()


class KnowledgeItem(BaseModel):
    """One script, article, case study or micro-course."""

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body"))
    tags = models.ManyToManyField(
        KnowledgeTag, verbose_name=_("tags"), blank=True, related_name="items"
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.ANY
    )
    # Industry codes (core.choices INDUSTRY); empty means every customer type.
    customer_types = models.JSONField(_("customer types"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="knowledge_items",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    attachment = models.FileField(
        _("attachment"),
        upload_to="%Y/%m/",
        storage=attachment_storage,
        max_length=255,
        blank=True,
    )
    attachment_name = models.CharField(_("attachment name"), max_length=255, blank=True)
    attachment_size = models.PositiveBigIntegerField(_("attachment size"), default=0)
    # jieba tokens of title, tags, summary and body (space-separated, title tokens marked
    # with a leading "^"): the index is rebuilt from these without segmenting again.
    search_tokens = models.TextField(_("search tokens"), blank=True, editable=False)

    history = HistoricalRecords()
    objects = KnowledgeItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("knowledge item")
        verbose_name_plural = _("knowledge items")
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:detail", args=[self.pk])


class KnowledgePolicy(models.Model):
    """The knowledge base's numbers (one row): the largest course file and the smallest
    match percentage offered beside a check-in. Edited by sales-ops admins in the Django admin or Settings · Knowledge."""

    attachment_max_mb = models.PositiveSmallIntegerField(
        _("largest course file (MB)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    match_min_percent = models.PositiveSmallIntegerField(
        _("smallest match shown (%)"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=_("Matches below this percentage are not offered beside a check-in."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("knowledge settings")
        verbose_name_plural = _("knowledge settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> KnowledgePolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()


class KnowledgeIndexState(models.Model):
    """The search index's version (one row). Bumped in the same transaction as every
    change to an item, so each web process sees at its next search that its index is
    stale, whatever cache backend runs."""

    version = models.PositiveBigIntegerField(default=1)

    class Meta:
        verbose_name = _("knowledge index state")
        verbose_name_plural = _("knowledge index state")

    def __str__(self):
        return f"v{self.version}"


class UsageAction(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    COPIED = "copied", _("Copied")
    ADOPTED = "adopted", _("Adopted")
    SEARCHED = "searched", _("Searched")


class UsageQuerySet(OwnedQuerySet):
    owner_path = "user"


class KnowledgeUsage(models.Model):
    """A person viewed, copied or adopted an item, or searched the knowledge base (with
    ``query``, and no item). The optional links say for which lead, account, deal or
    activity: the visit snapshot lists the searches made for an account."""

    item = models.ForeignKey(
        KnowledgeItem,
        verbose_name=_("knowledge item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="usages",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="knowledge_usages",
    )
    action = models.CharField(_("action"), max_length=20, choices=UsageAction.choices)
    query = models.CharField(_("search text"), max_length=500, blank=True)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)

    objects = UsageQuerySet.as_manager()

    class Meta:
        verbose_name = _("knowledge usage")
        verbose_name_plural = _("knowledge usage")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account", "action", "at"], name="knowledge_usage_account"),
            models.Index(fields=["item", "action"], name="knowledge_usage_item"),
            models.Index(fields=["user", "at"], name="knowledge_usage_user"),
        ]

    def __str__(self):
        return f"{self.user} {self.action} {self.item or self.query}"


class PushQuerySet(OwnedQuerySet):
    owner_path = "user"


class Push(models.Model):
    """Content pushed to a rep (N4), by a rule firing or by hand. ``key`` makes a push
    idempotent: the same (item, user, key) is delivered once. Delivered, read, note
    submitted and closed are the states a manager follows."""

    item = models.ForeignKey(
        KnowledgeItem,
        verbose_name=_("knowledge item"),
        on_delete=models.CASCADE,
        related_name="pushes",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="knowledge_pushes",
    )
    firing = models.ForeignKey(
        "automation.RuleFiring",
        verbose_name=_("rule firing"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    key = models.CharField(_("occurrence"), max_length=150)
    reason = models.TextField(_("reason"), blank=True)
    requires_note = models.BooleanField(_("study note required"), default=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    note = models.TextField(_("study note"), blank=True)
    note_at = models.DateTimeField(_("note submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, db_index=True)

    objects = PushQuerySet.as_manager()

    class Meta:
        verbose_name = _("push")
        verbose_name_plural = _("pushes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "user", "key"], name="knowledge_push_once_per_key"
            )
        ]
        indexes = [models.Index(fields=["user", "closed_at"], name="knowledge_push_open")]

    def __str__(self):
        return f"{self.item} → {self.user}"
