"""Accounts and contacts (customers' services: the same validation, normalisation and
duplicate rules as the API).

- Account: a row whose credit code is an account's the user may edit → *will update*
  that account; a row whose company name matches another account (no credit code to
  tell them apart) → *duplicate*, not written.
- Contact: its account is named by credit code or company name; a contact with the
  same phone on that account → *will update*.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import choices, visibility
from salesops.customers import selectors, services
from salesops.customers.models import Account, Contact

from ..registry import (
    Field,
    Importer,
    Kind,
    Outcome,
    custom_fields,
    custom_values,
    find_user,
    list_field,
    register,
    split_custom,
    user_name,
)


def _owner_allowed(actor, user) -> bool:
    ids = visibility.editable_owner_ids(actor)
    return ids is None or user.pk in set(ids)


def _resolve_users(values: dict, ctx, names=("owner", "success_owner")) -> dict:
    """Replace the user cells by users; raise ValidationError naming the bad field."""
    data = dict(values)
    errors = {}
    for name in names:
        if name not in data:
            continue
        try:
            data[name] = find_user(data[name], ctx)
        except ValueError as exc:
            errors[name] = [str(exc)]
    owner = data.get("owner")
    if owner is not None and not _owner_allowed(ctx.actor, owner):
        errors["owner"] = [
            _("You may not give records to %(name)s; choose someone in your team.")
            % {"name": owner}
        ]
    if errors:
        raise ValidationError(errors)
    return data


@register
class AccountImporter(Importer):
    entity = "account"
    label = _l("Accounts")
    model = Account

    def can_import(self, user) -> bool:
        return super().can_import(user) or bool(user and user.is_active and user.role == "manager")

    def fields(self):
        return [
            Field(
                "name",
                _l("company name"),
                required=True,
                aliases=("公司名称", "客户名称", "company"),
            ),
            Field(
                "credit_code",
                _l("unified social credit code"),
                identifies=True,
                aliases=("信用代码",),
            ),
            list_field("industry", _l("industry"), choices.INDUSTRY),
            list_field("size_band", _l("company size"), choices.COMPANY_SIZE),
            list_field("level", _l("level"), choices.ACCOUNT_LEVEL),
            Field("province", _l("province")),
            Field("city", _l("city")),
            Field("address", _l("address")),
            Field("owner", _l("owner"), kind=Kind.REF, aliases=("负责人", "销售")),
            Field("success_owner", _l("customer success manager"), kind=Kind.REF),
            Field("nda_signed_on", _l("NDA signed on"), kind=Kind.DATE),
            Field("notes", _l("notes")),
            *custom_fields("account"),
        ]

    def write(self, values, ctx):
        data, custom = split_custom(values)
        data = _resolve_users(data, ctx)
        existing = self._existing(data, ctx)
        if existing is not None:
            if not selectors.account_editable(user=ctx.actor, account=existing):
                return Outcome.error(
                    "credit_code",
                    _("Account “%(name)s” belongs to someone outside your team.")
                    % {"name": existing.name},
                )
            data.pop("owner", None) if data.get("owner") is None else None
            account = services.account_update(
                actor=ctx.actor, account=existing, custom=custom or None, **data
            )
            return Outcome("update", object_id=account.pk)
        try:
            account = services.account_create(actor=ctx.actor, custom=custom, **data)
        except services.DuplicateError as exc:
            return Outcome(
                "duplicate",
                message=_("Same company as account “%(name)s” (#%(id)d); not imported.")
                % {"name": exc.matches[0].record.name, "id": exc.matches[0].record.pk},
            )
        return Outcome("create", object_id=account.pk)

    @staticmethod
    def _existing(data, ctx):
        if ctx.existing_id:
            found = Account.objects.filter(pk=ctx.existing_id).first()
            if found is not None:
                return found
        code = (data.get("credit_code") or "").strip().upper()
        if code:
            return Account.objects.filter(credit_code=code).first()
        return None

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("account")]
        for account in (
            Account.objects.visible_to(actor)
            .select_related("owner", "success_owner")
            .order_by("pk")
            .iterator(chunk_size=2000)
        ):
            row = {
                "name": account.name,
                "credit_code": account.credit_code,
                "industry": account.industry,
                "size_band": account.size_band,
                "level": account.level,
                "province": account.province,
                "city": account.city,
                "address": account.address,
                "owner": user_name(account.owner),
                "success_owner": user_name(account.success_owner),
                "nda_signed_on": account.nda_signed_on,
                "notes": account.notes,
            }
            row.update(custom_values(account, keys))
            yield row


_ACCOUNTS = AccountImporter()


@register
class ContactImporter(Importer):
    entity = "contact"
    label = _l("Contacts")
    model = Contact

    def can_import(self, user) -> bool:
        return _ACCOUNTS.can_import(user)  # the same rule as accounts

    def fields(self):
        return [
            Field(
                "account",
                _l("account"),
                kind=Kind.REF,
                required=True,
                aliases=("公司名称", "客户名称", "company name"),
            ),
            Field("name", _l("name"), required=True, aliases=("联系人", "姓名")),
            Field("phone", _l("phone"), kind=Kind.PHONE, aliases=("手机", "电话", "mobile")),
            Field("wechat", _l("WeChat")),
            Field("email", _l("email"), kind=Kind.EMAIL),
            Field("title", _l("title"), aliases=("职务",)),
            list_field("decision_role", _l("decision role"), choices.DECISION_ROLE),
            *custom_fields("contact"),
        ]

    def write(self, values, ctx):
        data, custom = split_custom(values)
        account = _find_account(data.get("account"), ctx)
        if account is None:
            return Outcome.error(
                "account",
                _(
                    "No account you can see is called “%(name)s”; import the account first or "
                    "write its credit code."
                )
                % {"name": data.get("account")},
            )
        data["account"] = account
        existing = None
        if ctx.existing_id:
            existing = Contact.objects.filter(pk=ctx.existing_id).first()
        if existing is None and data.get("phone"):
            existing = Contact.objects.filter(account=account, phone=data["phone"]).first()
        if existing is not None:
            if not selectors.contact_editable(user=ctx.actor, contact=existing):
                return Outcome.error("account", _("This contact's account is not yours to change."))
            contact = services.contact_update(
                actor=ctx.actor, contact=existing, custom=custom or None, **data
            )
            return Outcome("update", object_id=contact.pk)
        if not selectors.account_editable(user=ctx.actor, account=account):
            return Outcome.error("account", _("This account is not yours to change."))
        try:
            contact = services.contact_create(actor=ctx.actor, custom=custom, **data)
        except services.DuplicateError as exc:
            return Outcome(
                "duplicate",
                message=_("Same person as contact “%(name)s” (#%(id)d); not imported.")
                % {"name": exc.matches[0].record.name, "id": exc.matches[0].record.pk},
            )
        return Outcome("create", object_id=contact.pk)

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("contact")]
        for contact in (
            Contact.objects.visible_to(actor)
            .select_related("account")
            .order_by("pk")
            .iterator(chunk_size=2000)
        ):
            row = {
                "account": contact.account.credit_code or contact.account.name,
                "name": contact.name,
                "phone": contact.phone,
                "wechat": contact.wechat,
                "email": contact.email,
                "title": contact.title,
                "decision_role": contact.decision_role,
            }
            row.update(custom_values(contact, keys))
            yield row


def _find_account(text, ctx):
    """The account a cell names, by credit code or exact company name, among those the
    importing user may see (cached per run)."""
    if not text:
        return None
    text = str(text).strip()
    cache = ctx.memo("accounts", dict)
    if text in cache:
        return cache[text]
    visible = Account.objects.visible_to(ctx.actor)
    found = visible.filter(credit_code=text.upper()).first() or visible.filter(name=text).first()
    if found is None:
        found = selectors.accounts_by_company_name(text).filter(pk__in=visible.values("pk")).first()
    cache[text] = found
    return found


find_account = _find_account
