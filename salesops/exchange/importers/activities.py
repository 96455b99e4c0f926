"""Activities (calls, visits, WeChat, email, meetings) through the activities services:
the same links, result tags, note length and effective-touch rule as the check-in.

- A row names who the activity is about: a lead (its phone), an account (credit code
  or company name), a contact (name or phone, on that account) and optionally a deal
  (its name); the importing user must see each of them, as on the check-in screen.
- The owner column gives the activity to a team member the user may change the records
  of (managers, admins); a rep's import records their own activities only.
- An activity is identified by its owner, type, start and what it is about, so a
  re-import finds it. Activities are a log: once checked in they are not edited. A row
  that finishes an open activity (it now has a result) checks it in (*will update*); a
  row about an activity already checked in is a *duplicate* naming it.
- The dry run is the default one (the write in a rolled-back savepoint): the services'
  only effects outside the database are events sent after commit, which never fire.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.activities import services
from salesops.activities.models import Activity, ActivityKind, ResultTag
from salesops.customers.models import Contact
from salesops.leads.models import Lead
from salesops.pipeline.models import Deal

from ..registry import (
    Field,
    Importer,
    Kind,
    Outcome,
    custom_fields,
    custom_values,
    find_user,
    register,
    split_custom,
    user_name,
)
from .customers import find_account


def _tag_choices() -> tuple:
    return tuple((t.code, t.label_zh, t.label_en) for t in ResultTag.objects.filter(is_active=True))


def local_time(value):
    """How an export writes an instant: the organisation's wall clock, to the second
    (what a spreadsheet shows and what the import reads back)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0)


@register
class ActivityImporter(Importer):
    entity = "activity"
    label = _l("Activities")
    model = Activity

    def can_import(self, user) -> bool:
        # Anyone who may record activities on the check-in screen imports their own.
        return bool(user and user.is_active and not user.is_read_only_role)

    def fields(self):
        return [
            Field(
                "kind",
                _l("type"),
                kind=Kind.CHOICE,
                required=True,
                choices=tuple(ActivityKind.choices),
                identifies=True,
                aliases=("活动类型", "方式", "activity type"),
            ),
            Field(
                "started_at",
                _l("started at"),
                kind=Kind.DATETIME,
                required=True,
                identifies=True,
                aliases=("时间", "日期", "开始时间", "date", "time"),
            ),
            Field(
                "owner",
                _l("owner"),
                kind=Kind.REF,
                identifies=True,
                aliases=("负责人", "销售", "sales rep"),
            ),
            Field(
                "lead",
                _l("lead"),
                kind=Kind.REF,
                identifies=True,
                aliases=("线索手机", "lead phone"),
                help=_l("The lead's phone number."),
            ),
            Field(
                "account",
                _l("account"),
                kind=Kind.REF,
                identifies=True,
                aliases=("公司名称", "客户名称", "company name"),
                help=_l("The account's credit code or company name."),
            ),
            Field(
                "contact",
                _l("contact"),
                kind=Kind.REF,
                identifies=True,
                aliases=("联系人", "contact name"),
                help=_l("The contact's name or phone, on the account."),
            ),
            Field("deal", _l("deal"), kind=Kind.REF, aliases=("商机名称", "deal name")),
            Field(
                "duration_seconds",
                _l("duration (seconds)"),
                kind=Kind.INT,
                aliases=("时长", "通话时长", "duration"),
            ),
            Field(
                "tag",
                _l("result"),
                kind=Kind.CHOICE,
                choices=_tag_choices(),
                aliases=("结果标签", "result tag"),
            ),
            Field("note", _l("note"), aliases=("备注", "remarks")),
            *custom_fields("activity"),
        ]

    # --- writing ---------------------------------------------------------------------------
    def write(self, values, ctx):
        data, custom = split_custom(values)
        links = self._links(data, ctx)
        existing = self._existing(data, links, ctx)
        if existing is not None:
            return self._finish_or_duplicate(existing, data, custom, ctx)
        activity = services.activity_log(
            actor=ctx.actor,
            owner=links["owner"],
            kind=data["kind"],
            lead=links["lead"],
            account=links["account"],
            contact=links["contact"],
            deal=links["deal"],
            started_at=data.get("started_at"),
            duration_seconds=data.get("duration_seconds"),
            duration_source="typed" if data.get("duration_seconds") is not None else None,
            tag=data.get("tag"),
            note=data.get("note") or "",
            custom=custom or None,
        )
        return Outcome("create", object_id=activity.pk)

    def _finish_or_duplicate(self, existing, data, custom, ctx):
        if existing.tag_id is None and data.get("tag"):
            activity = services.check_in(
                actor=ctx.actor,
                activity=existing,
                tag=data["tag"],
                note=data.get("note") or "",
                duration_seconds=data.get("duration_seconds"),
                duration_source="typed" if data.get("duration_seconds") is not None else None,
                custom=custom or None,
            )
            return Outcome("update", object_id=activity.pk)
        return Outcome(
            "duplicate",
            object_id=existing.pk,
            message=_(
                "Activity #%(id)d (%(activity)s) is already recorded; a checked-in activity "
                "is not changed by an import."
            )
            % {"id": existing.pk, "activity": existing},
        )

    def _links(self, data, ctx) -> dict:
        """The users and records the row names; every unknown one is an error naming its
        column (collected, so a row reports all its bad references at once)."""
        errors: dict[str, list] = {}
        links = {"owner": None, "lead": None, "account": None, "contact": None, "deal": None}
        try:
            links["owner"] = find_user(data.get("owner"), ctx) or ctx.actor
        except ValueError as exc:
            errors["owner"] = [str(exc)]
        if data.get("lead"):
            links["lead"] = find_lead(data["lead"], ctx)
            if links["lead"] is None:
                errors["lead"] = [
                    _("No lead you can see has the phone “%(value)s”.") % {"value": data["lead"]}
                ]
        if data.get("account"):
            links["account"] = find_account(data["account"], ctx)
            if links["account"] is None:
                errors["account"] = [
                    _(
                        "No account you can see is called “%(name)s”; import the account first "
                        "or write its credit code."
                    )
                    % {"name": data["account"]}
                ]
        if data.get("contact"):
            links["contact"] = find_contact(data["contact"], links["account"], ctx)
            if links["contact"] is None:
                errors["contact"] = [
                    _("No contact you can see is called “%(name)s” on this account.")
                    % {"name": data["contact"]}
                ]
        if data.get("deal"):
            links["deal"] = find_deal(data["deal"], links["account"], ctx)
            if links["deal"] is None:
                errors["deal"] = [
                    _("No deal you can see is called “%(name)s”.") % {"name": data["deal"]}
                ]
        if errors:
            raise ValidationError(errors)
        return links

    @staticmethod
    def _existing(data, links, ctx):
        """The activity this row is: the one its key wrote before, else one with the same
        owner, type, start (to the second) and links."""
        if ctx.existing_id:
            found = Activity.objects.filter(pk=ctx.existing_id).first()
            if found is not None:
                return found
        start = data["started_at"]
        return (
            Activity.objects.filter(
                owner=links["owner"],
                kind=data["kind"],
                started_at__gte=start,
                started_at__lt=start + dt.timedelta(seconds=1),
                lead=links["lead"],
                contact=links["contact"],
            )
            .filter(**({"account": links["account"]} if links["account"] else {}))
            .order_by("pk")
            .first()
        )

    # --- export ----------------------------------------------------------------------------
    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("activity")]
        activities = (
            Activity.objects.visible_to(actor)
            .select_related("owner", "lead", "account", "contact", "deal", "tag")
            .order_by("started_at", "pk")
        )
        for activity in activities.iterator(chunk_size=2000):
            row = {
                "kind": activity.kind,
                "started_at": local_time(activity.started_at),
                "owner": user_name(activity.owner),
                "lead": activity.lead.phone if activity.lead_id else "",
                "account": _account_key(activity.account),
                "contact": _contact_key(activity.contact),
                "deal": activity.deal.name if activity.deal_id else "",
                "duration_seconds": activity.duration_seconds if activity.tag_id else None,
                "tag": activity.tag.code if activity.tag_id else "",
                "note": activity.note,
            }
            row.update(custom_values(activity, keys))
            yield row


def _account_key(account) -> str:
    if account is None:
        return ""
    return account.credit_code or account.name


def _contact_key(contact) -> str:
    if contact is None:
        return ""
    return contact.name


def find_lead(text, ctx):
    """The lead a cell names by its phone (or its company, when no phone matches), among
    those the importing user may see."""
    text = str(text).strip()
    cache = ctx.memo("leads", dict)
    if text not in cache:
        visible = Lead.objects.visible_to(ctx.actor)
        cache[text] = (
            visible.filter(phone=text).order_by("pk").first()
            or visible.filter(company=text).order_by("pk").first()
        )
    return cache[text]


def find_contact(text, account, ctx):
    """A contact by name or phone, on ``account`` when the row names one."""
    text = str(text).strip()
    contacts = Contact.objects.visible_to(ctx.actor)
    if account is not None:
        contacts = contacts.filter(account=account)
    return (
        contacts.filter(name=text).order_by("pk").first()
        or contacts.filter(phone=text).order_by("pk").first()
    )


def find_deal(text, account, ctx):
    """A deal by its name, on ``account`` when the row names one."""
    deals = Deal.objects.visible_to(ctx.actor).filter(name=str(text).strip())
    if account is not None:
        deals = deals.filter(account=account)
    return deals.order_by("pk").first()
