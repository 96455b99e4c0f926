"""Settings · Inbox: the sources and the scenario rules, changed by sales-ops admins and
directors only, audited. A secret left empty in an edit keeps its stored value (the form
never shows it back)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core.history import save_with_history

from . import crypto
from .models import SECRET_FIELDS, InboxSource, ScenarioRule, SourceKind
from .services import require_configurer

SOURCE_FIELDS = (
    "kind",
    "name",
    "is_active",
    "corp_id",
    "agent_id",
    "token",
    "aes_key",
    "agent_secret",
    "app_secret",
    "api_base",
    "imap_host",
    "imap_port",
    "imap_user",
    "imap_password",
    "imap_folder",
    "imap_ssl",
    "poll_minutes",
    "replay_window_seconds",
)
RULE_FIELDS = ("scenario", "keywords", "priority", "is_active")
MAX_WINDOW = 3600  # DingTalk refuses more than an hour; so do we, for every source


def masked(value: str) -> str:
    """A secret as the pages show it: its last 4 characters at most."""
    if not value:
        return ""
    return "•" * 6 + (value[-4:] if len(value) > 8 else "")


def _assign(instance, data: dict, allowed) -> dict:
    unknown = set(data) - set(allowed)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key in unknown:
            continue
        if key in SECRET_FIELDS and not value and instance.pk:
            continue  # empty = keep the stored secret
        setattr(instance, key, value.strip() if isinstance(value, str) else value)
    return errors


def _source_errors(source: InboxSource, errors: dict) -> None:
    need = {
        SourceKind.WECOM: ("corp_id", "token", "aes_key"),
        SourceKind.DINGTALK: ("app_secret",),
        SourceKind.EMAIL: ("imap_host", "imap_user", "imap_password"),
    }.get(source.kind, ())
    for name in need:
        if not getattr(source, name) and name not in errors:
            errors[name] = [_("Required for this kind of source.")]
    if source.kind == SourceKind.WECOM and source.aes_key and "aes_key" not in errors:
        try:
            crypto.wecom_key(source.aes_key)
        except crypto.CallbackRefused:
            errors["aes_key"] = [
                _("Not a valid EncodingAESKey: copy the 43 characters from the WeCom settings.")
            ]
    if source.replay_window_seconds and source.replay_window_seconds > MAX_WINDOW:
        errors.setdefault("replay_window_seconds", []).append(
            _("At most %(n)d seconds (one hour).") % {"n": MAX_WINDOW}
        )
    if source.replay_window_seconds == 0:
        errors.setdefault("replay_window_seconds", []).append(_("At least 1 second."))
    if source.poll_minutes == 0:
        errors.setdefault("poll_minutes", []).append(_("At least 1 minute."))


def _full_clean(instance, errors: dict, exclude=()) -> None:
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)


@transaction.atomic
def source_save(*, actor, source: InboxSource | None = None, **data) -> InboxSource:
    require_configurer(actor)
    source = source or InboxSource(created_by=actor)
    if source.pk and "kind" in data and data["kind"] != source.kind:
        raise ValidationError({"kind": [_("A source keeps its kind; add a new source instead.")]})
    errors = _assign(source, data, SOURCE_FIELDS)
    _full_clean(source, errors, exclude=["lead_channel", "last_polled_at"])
    _source_errors(source, errors)
    if errors:
        raise ValidationError(errors)
    save_with_history(source, actor, "settings")
    return source


@transaction.atomic
def rule_save(*, actor, rule: ScenarioRule | None = None, **data) -> ScenarioRule:
    require_configurer(actor)
    rule = rule or ScenarioRule(created_by=actor)
    errors = _assign(rule, data, RULE_FIELDS)
    _full_clean(rule, errors)
    if "keywords" not in errors and not rule.keyword_list():
        errors["keywords"] = [_("Enter at least one keyword, one per line.")]
    for keyword in rule.keyword_list():
        if len(keyword) > 100:
            errors.setdefault("keywords", []).append(
                _("“%(k)s…” is longer than 100 characters; shorten it.") % {"k": keyword[:20]}
            )
    if errors:
        raise ValidationError(errors)
    save_with_history(rule, actor, "settings")
    return rule


@transaction.atomic
def rule_delete(*, actor, rule: ScenarioRule) -> None:
    require_configurer(actor)
    rule._history_user = actor
    rule.delete()
