"""Every write to the knowledge base: create, update, deactivate/reactivate an item, and
record a use. Editors are sales-ops admins, directors and managers (:mod:`.permissions`);
every field is checked at once and a refused save writes nothing. Each item change bumps
the search index's version in the same transaction (:func:`.search.bump_version`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.history import save_with_history

from . import attachments, placeholders, search
from .models import Channel, Kind, KnowledgeItem, KnowledgeTag, KnowledgeUsage, UsageAction
from .permissions import can_edit

TITLE_MAX = 200
SUMMARY_MAX = 500
BODY_MAX = 20000
QUERY_MAX = 500
TAG_MAX = 50


def require_editor(actor) -> None:
    if not can_edit(actor):
        raise PermissionDenied(_("Only sales-ops admins, directors and managers edit knowledge."))


def tags_for(labels) -> list[KnowledgeTag]:
    """The tags named by ``labels`` (code, Chinese or English label), created when new."""
    out: list[KnowledgeTag] = []
    for raw in labels or ():
        if isinstance(raw, KnowledgeTag):
            out.append(raw)
            continue
        label = str(raw).strip()
        if not label:
            continue
        tag = (
            KnowledgeTag.objects.filter(code=label).first()
            or KnowledgeTag.objects.filter(label_zh=label).first()
            or KnowledgeTag.objects.filter(label_en__iexact=label).first()
        )
        if tag is None:
            code = slugify(label, allow_unicode=True)[:TAG_MAX] or f"tag-{abs(hash(label))}"
            tag, _created = KnowledgeTag.objects.get_or_create(
                code=code, defaults={"label_zh": label[:TAG_MAX], "label_en": label[:TAG_MAX]}
            )
        out.append(tag)
    return list(dict.fromkeys(out))


@transaction.atomic
def tag_save(*, actor, code: str, label_zh: str, label_en: str = "") -> tuple[KnowledgeTag, str]:
    """Create the topic tag ``code`` or relabel it (an app template carries the tags):
    returns the tag and "created", "changed" or "unchanged" (nothing written)."""
    require_editor(actor)
    code, label_zh, label_en = code.strip(), label_zh.strip(), label_en.strip()
    errors: dict[str, list] = {}
    if not code or len(code) > TAG_MAX or any(ch.isspace() for ch in code):
        errors["code"] = [
            _("Give a code of 1–%(limit)d characters without spaces.") % {"limit": TAG_MAX}
        ]
    if not label_zh or len(label_zh) > TAG_MAX or len(label_en) > TAG_MAX:
        errors["label_zh"] = [
            _("Give a Chinese label of at most %(limit)d characters.") % {"limit": TAG_MAX}
        ]
    if errors:
        raise ValidationError(errors)
    tag = KnowledgeTag.objects.select_for_update().filter(code=code).first()
    if tag is None:
        tag = KnowledgeTag.objects.create(code=code, label_zh=label_zh, label_en=label_en)
        return tag, "created"
    if (tag.label_zh, tag.label_en) == (label_zh, label_en):
        return tag, "unchanged"
    tag.label_zh, tag.label_en = label_zh, label_en
    tag.save(update_fields=["label_zh", "label_en"])
    search.bump_version()
    return tag, "changed"


def _errors(data: dict, tags: list, kept_types=()) -> dict[str, list]:
    errors: dict[str, list] = {}
    if data["kind"] not in Kind.values:
        errors["kind"] = [_("Pick one of: %(values)s.") % {"values": ", ".join(Kind.values)}]
    if data["channel"] not in Channel.values:
        errors["channel"] = [_("Pick one of: %(values)s.") % {"values": ", ".join(Channel.values)}]
    limits = (("title", TITLE_MAX), ("summary", SUMMARY_MAX), ("body", BODY_MAX))
    for field, limit in limits:
        if len(data[field]) > limit:
            errors.setdefault(field, []).append(
                _("At most %(limit)d characters (this one has %(n)d).")
                % {"limit": limit, "n": len(data[field])}
            )
    for field in ("title", "body"):
        if not data[field].strip():
            errors.setdefault(field, []).append(_("This field is required."))
    types = data["customer_types"]
    if not isinstance(types, list | tuple) or not all(isinstance(t, str) for t in types):
        errors["customer_types"] = [_("Give a list of industry codes.")]
    else:
        active = set(choices.active_codes(choices.INDUSTRY))
        unknown = [t for t in types if t not in active and t not in kept_types]
        if unknown:
            errors["customer_types"] = [
                _("Unknown or inactive industries: %(codes)s. Pick from Settings · Lists.")
                % {"codes": ", ".join(unknown)}
            ]
    unknown = placeholders.unknown_in(data["title"], data["summary"], data["body"])
    if unknown:
        errors.setdefault("body", []).append(
            _("Unknown placeholders: %(names)s. Use only: %(vocabulary)s.")
            % {
                "names": ", ".join(f"{{{{{name}}}}}" for name in unknown),
                "vocabulary": placeholders.vocabulary_text(),
            }
        )
    too_long = [str(t) for t in tags if not isinstance(t, KnowledgeTag) and len(str(t)) > TAG_MAX]
    if too_long:
        errors["tags"] = [_("A tag has at most %(limit)d characters.") % {"limit": TAG_MAX}]
    return errors


def _clean(data: dict) -> dict:
    return {
        "kind": str(data.get("kind") or ""),
        "title": str(data.get("title") or "").strip(),
        "summary": str(data.get("summary") or "").strip(),
        "body": str(data.get("body") or ""),
        "channel": str(data.get("channel") or Channel.ANY),
        "customer_types": list(dict.fromkeys(data.get("customer_types") or [])),
    }


def _write(item: KnowledgeItem, *, actor, data: dict, tags, attachment, reason: str):
    # A code deactivated since the item was saved stays valid on it.
    errors = _errors(data, list(tags or []), kept_types=set(item.customer_types or ()))
    if attachment is not None:
        problems = attachments.problems(attachment)
        if problems:
            errors["attachment"] = problems
    if errors:
        raise ValidationError(errors)
    for field, value in data.items():
        setattr(item, field, value)
    tag_objects = tags_for(tags)
    item.search_tokens = search.stored_tokens(
        title=item.title,
        tag_labels=[f"{t.label_zh} {t.label_en}" for t in tag_objects],
        summary=item.summary,
        body=item.body,
    )
    if attachment is not None:
        item.attachment_name = attachment.name[:255]
        item.attachment_size = attachment.size
        item.attachment.save(attachment.name, attachment, save=False)
    save_with_history(item, actor, reason)
    item.tags.set(tag_objects)
    search.bump_version()
    return item


@transaction.atomic
def item_create(*, actor, tags=(), attachment=None, **data) -> KnowledgeItem:
    """A new script, article, case or course by an editor."""
    require_editor(actor)
    item = KnowledgeItem(author=actor, created_by=actor)
    return _write(
        item, actor=actor, data=_clean(data), tags=tags, attachment=attachment, reason="created"
    )


@transaction.atomic
def item_update(*, actor, item: KnowledgeItem, tags=None, attachment=None, **changes):
    """Change an item; its version goes up by one. ``tags`` None keeps the tags."""
    require_editor(actor)
    item = KnowledgeItem.objects.select_for_update().get(pk=item.pk)
    data = _clean({field: changes.get(field, getattr(item, field)) for field in _clean({}).keys()})
    if tags is None:
        tags = list(item.tags.all())
    item.version += 1
    return _write(item, actor=actor, data=data, tags=tags, attachment=attachment, reason="updated")


@transaction.atomic
def item_set_active(*, actor, item: KnowledgeItem, active: bool) -> KnowledgeItem:
    """Deactivate (hide from reps and matching, kept for its usage history) or reactivate."""
    require_editor(actor)
    item = KnowledgeItem.objects.select_for_update().get(pk=item.pk)
    if item.is_active != active:
        item.is_active = active
        save_with_history(
            item, actor, "reactivated" if active else "deactivated", update_fields=["is_active"]
        )
        search.bump_version()
    return item


def _check_links(actor, links: dict) -> dict:
    """The lead/account/deal/activity links, each one the actor may see (else refused)."""
    from salesops.activities.models import Activity
    from salesops.customers.models import Account
    from salesops.leads.models import Lead
    from salesops.pipeline.models import Deal

    models = {"lead": Lead, "account": Account, "deal": Deal, "activity": Activity}
    errors = {}
    out = {}
    for field, model in models.items():
        record = links.get(field)
        if record is None:
            continue
        if not model.objects.visible_to(actor).filter(pk=record.pk).exists():
            errors[field] = [_("You cannot see this record.")]
        out[field] = record
    if errors:
        raise ValidationError(errors)
    return out


def usage_record(
    *, actor, action: str, item: KnowledgeItem | None = None, query: str = "", **links
) -> KnowledgeUsage:
    """Record that ``actor`` viewed, copied or adopted ``item``, or searched for ``query``
    (optionally for a lead, account, deal or activity they may see)."""
    errors = {}
    if action not in UsageAction.values:
        errors["action"] = [
            _("Pick one of: %(values)s.") % {"values": ", ".join(UsageAction.values)}
        ]
    query = (query or "").strip()
    if action == UsageAction.SEARCHED:
        if not query:
            errors["query"] = [_("This field is required.")]
    elif item is None:
        errors["item"] = [_("This field is required.")]
    elif not KnowledgeItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        errors["item"] = [_("No such knowledge item.")]
    if errors:
        raise ValidationError(errors)
    checked = _check_links(actor, links)
    return KnowledgeUsage.objects.create(
        item=item, user=actor, action=action, query=query[:QUERY_MAX], at=clock.now(), **checked
    )


def render_item(*, actor, item: KnowledgeItem, lead=None, deal=None, account=None) -> str:
    """The item's body with its placeholders filled from records ``actor`` may see
    (PermissionDenied for any other)."""
    values = placeholders.context_for(user=actor, lead=lead, deal=deal, account=account)
    return placeholders.render(item.body, values)


@transaction.atomic
def policy_update(*, actor, attachment_max_mb, match_min_percent):
    """Settings · Knowledge (sales-ops admins); audited through its history."""
    from .models import KnowledgePolicy

    if not getattr(actor, "is_admin_role", False):
        raise PermissionDenied(_("Only a sales-ops admin changes the knowledge settings."))
    policy = KnowledgePolicy.current()
    policy = KnowledgePolicy.objects.select_for_update().get(pk=policy.pk)
    policy.attachment_max_mb = attachment_max_mb
    policy.match_min_percent = match_min_percent
    policy.full_clean(exclude=["updated_by", "updated_at"])
    policy.updated_by = actor
    policy.updated_at = clock.now()
    save_with_history(policy, actor, "updated")
    return policy
