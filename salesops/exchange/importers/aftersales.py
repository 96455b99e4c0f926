"""Complaints, NPS responses, service tickets and renewals (aftersales' services: the same
validation, permissions and events as the pages, the API and the finance feed).

Which record a row is about, in this order:

1. the record this row's key wrote in an earlier import (``ctx.existing_id``);
2. the record with the row's external id (the id in the sending system);
3. without an external id (or one no record has yet), the record with the same natural
   key: a complaint's account, summary and date raised; an NPS answer's account,
   contact, date and survey; a ticket's account, subject and time opened; a renewal's
   account, contract number and due date. An exported file edited and imported again
   thus updates its records instead of doubling them; two records matching one row is a
   *duplicate*, not guessed.

A row about a record the importing user may not change is an error on the account (or
on the external id that found it), never a write. New records need an account the user
may record after-sales facts for (``aftersales.selectors.editable_accounts``), as on
the record's form.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.aftersales import selectors, services
from salesops.aftersales.models import (
    Complaint,
    NpsResponse,
    Renewal,
    ServiceTicket,
)
from salesops.customers.models import Contact
from salesops.revenue.models import Contract

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

# Where a new record came from when the row leaves "source" empty.
SOURCE_IMPORT = "import"

ACCOUNT_ALIASES = ("客户名称", "公司名称", "company name", "customer")
CONTACT_ALIASES = ("联系人姓名", "contact name")
EXTERNAL_ALIASES = ("外部ID", "外部id", "external ID", "ERP编号")


def _refuse(field_key: str, message) -> ValidationError:
    return ValidationError({field_key: [str(message)]})


def _label(model, name: str):
    return model._meta.get_field(name).verbose_name


def _f(model, name: str, **kwargs) -> Field:
    """An import field named as the model field is (its verbose name, translated)."""
    return Field(name, _label(model, name), **kwargs)


def _choice(model, name: str, *aliases: str) -> Field:
    """A field of the model's choices, matched by code, zh-Hans or English label."""
    choices = tuple(model._meta.get_field(name).choices)
    return _f(model, name, kind=Kind.CHOICE, choices=choices, aliases=aliases)


def _local(value):
    """A stored instant as the wall-clock time people wrote down (naive, organisation's
    zone): spreadsheets hold no zone, and the import reads it back in that zone."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


def _account_cell(account) -> str:
    return account.credit_code or account.name


def _contact_cell(contact) -> str:
    if contact is None:
        return ""
    # A name two contacts of the account share would pick either one on import.
    twins = Contact.objects.filter(account_id=contact.account_id, name=contact.name)
    if contact.phone and twins.exclude(pk=contact.pk).exists():
        return contact.phone
    return contact.name


class AfterSalesImporter(Importer):
    """What the four kinds share: the account, contact and feed fields, who may import,
    finding the record a row is about and writing through the kind's services."""

    instance_arg = ""  # the update service's keyword for the record
    has_contact = True
    # Fields an empty cell clears when the row updates a record (others keep their value).
    clearable: tuple[str, ...] = ()

    def create(self, **kwargs):
        raise NotImplementedError

    def update(self, **kwargs):
        raise NotImplementedError

    def own_fields(self) -> list[Field]:
        raise NotImplementedError

    def natural(self, data: dict) -> Q | None:
        """The natural key of a row without an external id, or None (no match by it)."""
        raise NotImplementedError

    def own_row(self, record) -> dict:
        raise NotImplementedError

    def can_import(self, user) -> bool:
        # Whoever may record after-sales facts on the pages may import them, each for the
        # accounts they may edit (checked per row); finance only reads them.
        return bool(user and user.is_active and not user.is_read_only_role)

    def fields(self):
        common = [
            Field(
                "account",
                _label(self.model, "account"),
                kind=Kind.REF,
                required=True,
                aliases=ACCOUNT_ALIASES,
                help=_l("The account's credit code or exact company name."),
            )
        ]
        if self.has_contact:
            common.append(
                Field(
                    "contact",
                    _label(self.model, "contact"),
                    kind=Kind.REF,
                    aliases=CONTACT_ALIASES,
                    help=_l("A contact of that account: name or phone."),
                )
            )
        return [
            *common,
            *self.own_fields(),
            Field(
                "external_id",
                _label(self.model, "external_id"),
                identifies=True,
                aliases=EXTERNAL_ALIASES,
            ),
            Field("source", _label(self.model, "source"), aliases=("数据来源",)),
            *custom_fields(self.entity),
        ]

    # --- references ---------------------------------------------------------------------

    def resolve(self, data: dict, ctx) -> dict:
        """The reference cells as records; raises ValidationError naming the field."""
        text = data.get("account")
        account = find_account(text, ctx)
        if account is None:
            raise _refuse(
                "account",
                _(
                    "No account you can see is called “%(name)s”; write its credit code or "
                    "exact company name, or import the account first."
                )
                % {"name": text},
            )
        data["account"] = account
        if self.has_contact and data.get("contact") is not None:
            data["contact"] = self._contact(account, data["contact"])
        return data

    @staticmethod
    def _contact(account, text):
        text = str(text).strip()
        found = (
            Contact.objects.filter(account=account)
            .filter(Q(name=text) | Q(phone=text))
            .order_by("pk")
            .first()
        )
        if found is None:
            raise _refuse(
                "contact",
                _(
                    "Account “%(account)s” has no contact called “%(name)s”; write a contact "
                    "of that account (name or phone) or leave the cell empty."
                )
                % {"account": account.name, "name": text},
            )
        return found

    # --- which record ------------------------------------------------------------------

    def existing(self, data: dict, ctx):
        """(record or None, the field that found it); a DuplicateRow when two match."""
        manager = self.model._default_manager
        if ctx.existing_id:
            found = manager.filter(pk=ctx.existing_id).first()
            if found is not None:
                return found, "external_id" if data.get("external_id") else "account"
        external_id = data.get("external_id")
        if external_id:
            found = manager.filter(external_id=external_id).first()
            if found is not None:
                return found, "external_id"
        condition = self.natural(data)
        if condition is None:
            return None, ""
        matches = list(
            manager.filter(condition, account=data["account"], external_id="").order_by("pk")[:2]
            if external_id
            else manager.filter(condition, account=data["account"]).order_by("pk")[:2]
        )
        if len(matches) > 1:
            raise DuplicateRow(matches)
        return (matches[0], "account") if matches else (None, "")

    # --- the write ----------------------------------------------------------------------

    def write(self, values, ctx):
        data, custom = split_custom(values)
        data = self.resolve(data, ctx)
        data = self.resolve_own(data, ctx)
        try:
            record, found_by = self.existing(data, ctx)
        except DuplicateRow as dup:
            return Outcome(
                "duplicate",
                message=_(
                    "Matches %(kind)s #%(first)d and #%(second)d; add the external id to say "
                    "which one. Not imported."
                )
                % {
                    "kind": self.model._meta.verbose_name,
                    "first": dup.matches[0].pk,
                    "second": dup.matches[1].pk,
                },
            )
        self.check_own(data, record, ctx)
        if record is None:
            return self._create(data, custom, ctx)
        return self._update(record, found_by, values, data, custom, ctx)

    def resolve_own(self, data: dict, ctx) -> dict:
        """The kind's own reference cells (a complaint's handler)."""
        return data

    def check_own(self, data: dict, record, ctx) -> None:
        """The kind's own permission rules once the record (or None) is known."""

    def _create(self, data, custom, ctx):
        if not selectors.editable_accounts(ctx.actor).filter(pk=data["account"].pk).exists():
            raise _refuse(
                "account",
                _(
                    "Account “%(name)s” belongs to someone outside your team; you may not "
                    "record for it."
                )
                % {"name": data["account"].name},
            )
        data.setdefault("source", SOURCE_IMPORT)
        record = self.create(actor=ctx.actor, custom=custom, **data)
        return Outcome("create", object_id=record.pk)

    def _update(self, record, found_by, values, data, custom, ctx):
        manager = self.model._default_manager
        if not manager.editable_by(ctx.actor).filter(pk=record.pk).exists():
            if not manager.visible_to(ctx.actor).filter(pk=record.pk).exists():
                # Say no more than the service would: the record is not the user's to see.
                raise _refuse(
                    found_by or "account",
                    _("This id belongs to a record you may not change; check the id."),
                )
            raise _refuse(
                found_by or "account",
                _("This row is about %(kind)s #%(id)d, which you may not change.")
                % {"kind": self.model._meta.verbose_name, "id": record.pk},
            )
        if data["account"].pk != record.account_id and (
            not selectors.editable_accounts(ctx.actor).filter(pk=data["account"].pk).exists()
        ):
            raise _refuse(
                "account",
                _("You may not move a record to account “%(name)s”; it is not yours.")
                % {"name": data["account"].name},
            )
        for key in self.clearable:
            if key in values and values[key] is None:
                data[key] = None
        before = record.updated_at
        saved = self.update(
            actor=ctx.actor, **{self.instance_arg: record}, custom=custom or None, **data
        )
        status = "update" if saved.updated_at != before else "unchanged"
        return Outcome(status, object_id=saved.pk)

    # --- the export ---------------------------------------------------------------------

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields(self.entity)]
        joins = ["account", "contact"] if self.has_contact else ["account"]
        if self.model is Complaint:
            joins.append("owner")
        for record in (
            self.model.objects.visible_to(actor)
            .select_related(*joins)
            .order_by("pk")
            .iterator(chunk_size=2000)
        ):
            row = {"account": _account_cell(record.account)}
            if self.has_contact:
                row["contact"] = _contact_cell(record.contact)
            row.update(self.own_row(record))
            row["external_id"] = record.external_id
            row["source"] = record.source
            row.update(custom_values(record, keys))
            yield row


class DuplicateRow(Exception):
    def __init__(self, matches):
        self.matches = matches


@register
class ComplaintImporter(AfterSalesImporter):
    entity = "complaint"
    label = _l("Complaints")
    model = Complaint
    instance_arg = "complaint"
    clearable = ("contact", "details", "resolved_on")

    def create(self, **kwargs):
        return services.complaint_create(**kwargs)

    def update(self, **kwargs):
        return services.complaint_update(**kwargs)

    def own_fields(self):
        m = Complaint
        return [
            _f(m, "summary", required=True, aliases=("投诉内容", "投诉摘要", "标题", "title")),
            _choice(m, "severity", "级别", "等级", "严重性"),
            _choice(m, "status", "处理状态"),
            _f(m, "details", aliases=("描述", "说明", "description")),
            _f(m, "raised_on", kind=Kind.DATE, required=True, aliases=("投诉日期", "日期", "date")),
            _f(m, "resolved_on", kind=Kind.DATE),
            _f(
                m,
                "owner",
                kind=Kind.REF,
                aliases=("负责人", "handler"),
                help=_l("Username or display name; empty: the account's owner."),
            ),
        ]

    def resolve_own(self, data, ctx):
        if data.get("owner") is not None:
            try:
                data["owner"] = find_user(data["owner"], ctx)
            except ValueError as exc:
                raise _refuse("owner", exc) from None
        return data

    def check_own(self, data, record, ctx):
        handler = data.get("owner")
        if handler is None or (record is not None and record.owner_id == handler.pk):
            return  # the current handler stays, as on the complaint's form
        if not selectors.handler_options(ctx.actor).filter(pk=handler.pk).exists():
            raise _refuse(
                "owner",
                _("You cannot give complaints to %(name)s; choose someone in your team.")
                % {"name": handler.label},
            )

    def natural(self, data):
        return Q(summary=data["summary"], raised_on=data["raised_on"])

    def own_row(self, record):
        return {
            "summary": record.summary,
            "severity": record.severity,
            "status": record.status,
            "details": record.details,
            "raised_on": record.raised_on,
            "resolved_on": record.resolved_on,
            "owner": user_name(record.owner),
        }


@register
class NpsImporter(AfterSalesImporter):
    entity = "nps"
    label = _l("NPS responses")
    model = NpsResponse
    instance_arg = "response"
    clearable = ("contact", "comment", "survey")

    def create(self, **kwargs):
        return services.nps_create(**kwargs)

    def update(self, **kwargs):
        return services.nps_update(**kwargs)

    def own_fields(self):
        m = NpsResponse
        return [
            _f(
                m,
                "score",
                kind=Kind.INT,
                required=True,
                aliases=("NPS", "推荐分", "分数", "得分"),
                help=_l("0 (not at all likely to recommend) to 10 (extremely likely)."),
            ),
            _f(m, "comment", aliases=("意见", "评价", "comments")),
            _f(
                m,
                "responded_on",
                kind=Kind.DATE,
                required=True,
                aliases=("答卷日期", "日期", "date"),
            ),
            _f(m, "survey", aliases=("问卷", "问卷名称")),
        ]

    def natural(self, data):
        # An answer without a contact is anonymous: only the very same answer matches it.
        common = Q(responded_on=data["responded_on"], survey=data.get("survey") or "")
        if data.get("contact") is not None:
            return common & Q(contact=data["contact"])
        return common & Q(
            contact__isnull=True, score=data["score"], comment=data.get("comment") or ""
        )

    def own_row(self, record):
        return {
            "score": record.score,
            "comment": record.comment,
            "responded_on": record.responded_on,
            "survey": record.survey,
        }


@register
class TicketImporter(AfterSalesImporter):
    entity = "ticket"
    label = _l("Service tickets")
    model = ServiceTicket
    instance_arg = "ticket"
    clearable = ("contact", "details", "first_response_at", "resolved_at")

    def create(self, **kwargs):
        return services.ticket_create(**kwargs)

    def update(self, **kwargs):
        return services.ticket_update(**kwargs)

    def own_fields(self):
        m = ServiceTicket
        return [
            _f(m, "subject", required=True, aliases=("标题", "问题", "title")),
            _choice(m, "priority", "紧急程度"),
            _f(m, "details", aliases=("描述", "说明", "description")),
            _f(
                m,
                "opened_at",
                kind=Kind.DATETIME,
                required=True,
                aliases=("提交时间", "开单时间", "报修时间"),
            ),
            _f(m, "first_response_at", kind=Kind.DATETIME, aliases=("首次响应",)),
            _f(m, "resolved_at", kind=Kind.DATETIME, aliases=("完成时间", "关闭时间")),
        ]

    def natural(self, data):
        return Q(subject=data["subject"], opened_at=data["opened_at"])

    def own_row(self, record):
        return {
            "subject": record.subject,
            "priority": record.priority,
            "details": record.details,
            "opened_at": _local(record.opened_at),
            "first_response_at": _local(record.first_response_at),
            "resolved_at": _local(record.resolved_at),
        }


@register
class RenewalImporter(AfterSalesImporter):
    entity = "renewal"
    label = _l("Renewals")
    model = Renewal
    instance_arg = "renewal"
    has_contact = False
    clearable = ("closed_on", "lost_reason")

    def create(self, **kwargs):
        return services.renewal_create(**kwargs)

    def update(self, **kwargs):
        return services.renewal_update(**kwargs)

    def fields(self):
        out = super().fields()
        # The contract names its account: a row may leave the account empty.
        account = out[0]
        out[0] = Field(
            account.key,
            account.label,
            kind=account.kind,
            aliases=account.aliases,
            help=_l("The account's credit code or company name; empty: the contract's."),
        )
        return out

    def own_fields(self):
        m = Renewal
        return [
            _f(m, "contract_number", aliases=("合同号", "合同")),
            _f(
                m,
                "due_on",
                kind=Kind.DATE,
                required=True,
                aliases=("到期日期", "续约日期", "due date"),
            ),
            _choice(m, "status", "续约状态"),
            _f(m, "amount", kind=Kind.MONEY, aliases=("金额", "续约金额", "amount")),
            _f(m, "closed_on", kind=Kind.DATE, aliases=("完成日期",)),
            _f(m, "lost_reason", aliases=("原因",)),
        ]

    def resolve(self, data, ctx):
        number = (data.get("contract_number") or "").strip()
        contract = None
        if number:
            contract = (
                Contract.objects.visible_to(ctx.actor)
                .select_related("account")
                .filter(number=number)
                .first()
            )
        if data.get("account") is None:
            if contract is None:
                raise _refuse(
                    "account",
                    _(
                        "Fill in the account, or a contract number of a contract you can see "
                        "(its account is taken)."
                    ),
                )
            data["account"] = contract.account
            return data
        data = super().resolve(data, ctx)
        if contract is not None and contract.account_id != data["account"].pk:
            raise _refuse(
                "contract_number",
                _("Contract %(number)s belongs to account “%(name)s”, not to this row's account.")
                % {"number": number, "name": contract.account.name},
            )
        return data

    def natural(self, data):
        return Q(contract_number=data.get("contract_number") or "", due_on=data["due_on"])

    def own_row(self, record):
        return {
            "contract_number": record.contract_number,
            "due_on": record.due_on,
            "status": record.status,
            "amount": record.amount,
            "closed_on": record.closed_on,
            "lost_reason": record.lost_reason,
        }
