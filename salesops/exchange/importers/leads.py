"""Leads, through the leads app's intake rules in batches (``leads.bulk``): the same
validation, region, company key, de-duplication, routing and SLA start as
``lead_intake``, so an imported lead is one the intake would have written.

Decisions (the report says each row's):

- **Channel**: the active channel of kind "import" (created as "Excel 导入" through the
  leads app's configuration service when there is none).
- **Duplicates**: a row matching an open lead for certain (same phone, same credit code,
  or a company name scoring at least the certain threshold) is *duplicate*: the report
  names the lead (or the earlier row of the file) and how it matched, and nothing is
  written — an import is a list, not the customer asking again, so the earlier lead's
  touches and owner are left alone. A row matching an account or contact becomes a lead
  of that customer, kept with the account's owner (as the intake does); an uncertain
  name match becomes a lead flagged for review.
- **Owner**: an optional column; a filled one keeps the lead with that user instead of
  routing it, if the importing user may give records to them. Empty: routing decides and
  the report says who would get it and by which rule.
- **Who imports**: sales-ops admins and directors (routing over everyone), and managers,
  whose rows stay in their team: routing picks among the reps they may assign (a rule
  whose reps are all elsewhere is skipped) and a lead no rule places waits in the
  manager's team pool; an owner column naming someone outside their team is an error.
- **External id**: identifies the row (the engine's row key), so a changed row of a file
  imported before updates the lead it wrote (``lead_update``) instead of being a
  duplicate; it is kept in the inquiry's payload and exported again.
- **Round trip**: the export is the template's columns of the leads the user sees, owner
  included, so re-importing it into a database without those leads gives the same leads
  with the same owners. Leads in a pool (no owner) are routed again on re-import, and
  what happened to a lead after intake (status, contacts, SLA) is not part of the file.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import choices
from salesops.leads import bulk, services
from salesops.leads.models import Channel, ChannelKind, Inquiry, Lead, MatchKind
from salesops.org import selectors as org_selectors
from salesops.org.models import Role, Team

from ..registry import (
    Context,
    Field,
    Importer,
    Kind,
    Outcome,
    custom_fields,
    custom_values,
    find_user,
    list_field,
    register,
    rolled_back,
    split_custom,
    user_name,
)

# The intake's fields, in the template's order.
TEXT_FIELDS = (
    "company",
    "contact_name",
    "phone",
    "email",
    "wechat",
    "credit_code",
    "province",
    "city",
    "address",
    "industry",
    "size_band",
    "product_line",
    "campaign",
    "need",
)


def import_channel() -> Channel:
    """The active channel spreadsheet leads come from (made once, by the system)."""
    channel = Channel.objects.filter(kind=ChannelKind.IMPORT, is_active=True).order_by("pk").first()
    if channel is None:
        channel = services.channel_create(
            actor=None, name=_("Excel import"), kind=ChannelKind.IMPORT
        )
    return channel


def _routes_everyone(actor) -> bool:
    return bool(actor.is_admin_role or actor.edits_everything)


def _intake(ctx: Context) -> bulk.BulkIntake:
    """The run's batch intake (one per dry run or commit: it carries the run's leads
    for matching later rows, and the routing counts)."""

    def build():
        actor = ctx.actor
        if _routes_everyone(actor):
            return bulk.BulkIntake(channel=import_channel(), actor=actor)
        return bulk.BulkIntake(
            channel=import_channel(),
            actor=actor,
            assignable=_assignable(ctx),
            pool_team_id=actor.team_id,
        )

    return ctx.memo("lead_intake", build)


def _assignable(ctx: Context) -> set[int] | None:
    if _routes_everyone(ctx.actor):
        return None
    return ctx.memo(
        "lead_assignable",
        lambda: set(org_selectors.visible_users(ctx.actor).values_list("pk", flat=True)),
    )


def _as_text(value) -> str:
    return value if isinstance(value, str) else str(value)


def _row(values: dict, ctx: Context) -> bulk.Row:
    """The intake's input from a parsed row; raises ValidationError naming a bad owner."""
    data, custom = split_custom(values)
    owner = None
    if data.get("owner") is not None:
        try:
            owner = find_user(data["owner"], ctx)
        except ValueError as exc:
            raise ValidationError({"owner": [str(exc)]}) from None
        allowed = _assignable(ctx)
        if allowed is not None and owner.pk not in allowed:
            raise ValidationError(
                {
                    "owner": [
                        _("You may not give leads to %(name)s; choose someone in your team.")
                        % {"name": owner.label}
                    ]
                }
            )
    intake = {k: _as_text(data[k]) for k in TEXT_FIELDS if data.get(k) is not None}
    payload = dict(intake)
    payload.update({f"custom.{k}": _as_text(v) for k, v in custom.items()})
    if data.get("external_id") is not None:
        payload["external_id"] = _as_text(data["external_id"])
    if ctx.job is not None:
        payload["import"] = ctx.job.pk
    return bulk.Row(data=intake, custom=custom or None, owner=owner, payload=payload)


def _how(match) -> str:
    label = str(MatchKind(match.kind).label)
    if match.kind == MatchKind.COMPANY:
        return _("%(how)s, score %(score)d") % {"how": label, "score": match.score}
    return label


def _team_name(team_id, ctx: Context) -> str:
    names = ctx.memo("team_names", lambda: dict(Team.objects.values_list("pk", "name")))
    return names.get(team_id, "")


_BY_RULE = _l("rule “%(rule)s”")
_TO_OWNER = _l("→ %(owner)s (%(why)s)")


def _outcome(result: bulk.Result, ctx: Context) -> Outcome:
    if result.outcome == "error":
        return Outcome.from_exception(result.error)
    match = result.match
    if result.outcome == "duplicate":
        if result.earlier is not None:
            message = _("Same lead as an earlier row of this file (“%(company)s”, %(how)s).")
            return Outcome(
                "duplicate", message=message % {"company": match.record.company, "how": _how(match)}
            )
        return Outcome(
            "duplicate",
            object_id=match.record.pk,
            message=_("Same lead as lead #%(id)d “%(company)s” (%(how)s); not imported.")
            % {"id": match.record.pk, "company": match.record.company, "how": _how(match)},
        )
    lead, placed = result.lead, result.placement
    if placed.owner is not None:
        # Translated once for the run: most rows of a file say this.
        by_rule, to_owner = ctx.memo("placed_texts", lambda: (str(_BY_RULE), str(_TO_OWNER)))
        if placed.decision is not None and placed.decision.rule is not None:
            where = by_rule % {"rule": placed.decision.rule.name}
        else:
            where = placed.reason
        message = to_owner % {"owner": placed.owner.label, "why": where}
    else:
        message = _("→ pool of %(team)s (%(why)s)") % {
            "team": _team_name(lead.team_id, ctx) or "—",
            "why": placed.reason,
        }
    if match is not None:
        record = match.record
        name = getattr(record, "company", None) or getattr(record, "name", "")
        if lead.review_state == "review":
            note = _(
                "Possibly the same as %(what)s #%(id)s “%(name)s” (%(how)s): flagged for review."
            )
        else:
            note = _("Existing customer: %(what)s #%(id)s “%(name)s” (%(how)s).")
        message += " " + note % {
            "what": record._meta.verbose_name,
            "id": record.pk or "—",
            "name": name,
            "how": _how(match),
        }
    return Outcome("create", object_id=lead.pk, message=message)


@register
class LeadImporter(Importer):
    entity = "lead"
    label = _l("Leads")
    model = Lead
    # Rows per write transaction: the batch intake costs a few statements per batch
    # (routing counts locked, candidates read, rows written), so larger batches are
    # cheaper per row; the engine's chunk holds 5,000 (one commit per chunk).
    batch_size = 5000
    # Its batch intake writes through core.unitofwork: a commit of more than one chunk
    # writes behind (core.writebehind), the deciding and the writing on both cores.
    write_behind = True

    def can_import(self, user) -> bool:
        return bool(
            user
            and user.is_active
            and (user.is_admin_role or user.edits_everything or user.role == Role.MANAGER)
        )

    def fields(self):
        return [
            Field(
                "external_id",
                _l("external id"),
                identifies=True,
                aliases=("外部ID", "编号", "external ID", "id"),
            ),
            Field("company", _l("company"), required=True, aliases=("公司名称", "客户名称")),
            Field(
                "contact_name",
                _l("contact name"),
                required=True,
                aliases=("联系人", "姓名", "contact"),
            ),
            Field("phone", _l("phone"), kind=Kind.PHONE, required=True, aliases=("手机", "mobile")),
            Field("email", _l("email"), kind=Kind.EMAIL, aliases=("邮件",)),
            Field("wechat", _l("WeChat ID"), aliases=("微信",)),
            Field("credit_code", _l("unified social credit code"), aliases=("信用代码",)),
            Field("province", _l("province"), aliases=("省",)),
            Field("city", _l("city"), aliases=("市",)),
            Field("address", _l("address")),
            list_field("industry", _l("industry"), choices.INDUSTRY),
            list_field("size_band", _l("company size"), choices.COMPANY_SIZE),
            Field("product_line", _l("product line")),
            Field("campaign", _l("campaign"), aliases=("活动", "来源活动")),
            Field(
                "need",
                _l("need / pain point"),
                required=True,
                aliases=("需求", "备注", "notes", "need"),
            ),
            Field("owner", _l("owner"), kind=Kind.REF, aliases=("销售",)),
            *custom_fields("lead"),
        ]

    # --- checking and writing --------------------------------------------------------

    def check(self, values, ctx):
        return self.check_many([(values, ctx)])[0]

    def write(self, values, ctx):
        return self.write_many([(values, ctx)])[0]

    def check_many(self, items):
        return self._many(items, dry_run=True)

    def write_many(self, items):
        return self._many(items, dry_run=False)

    def _many(self, items, *, dry_run: bool) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(items)
        rows, positions = [], []
        intake = None
        for index, (values, ctx) in enumerate(items):
            intake = intake or _intake(ctx)
            try:
                row = _row(values, ctx)
            except ValidationError as exc:
                outcomes[index] = Outcome.from_exception(exc)
                continue
            if ctx.existing_id:
                outcomes[index] = self._update(row, ctx, dry_run)
                if outcomes[index] is not None:
                    continue
            rows.append(row)
            positions.append(index)
        if rows:
            results = intake.check(rows) if dry_run else intake.write(rows)
            for index, result in zip(positions, results, strict=True):
                outcomes[index] = _outcome(result, items[index][1])
        return outcomes

    def _update(self, row: bulk.Row, ctx: Context, dry_run: bool) -> Outcome | None:
        """A changed row of a file imported before: update the lead it wrote (None when
        that lead is gone: the row is taken in again)."""
        lead = Lead.objects.filter(pk=ctx.existing_id).first()
        if lead is None:
            return None
        try:
            if dry_run:
                with rolled_back():
                    services.lead_update(actor=ctx.actor, lead=lead, custom=row.custom, **row.data)
            else:
                services.lead_update(actor=ctx.actor, lead=lead, custom=row.custom, **row.data)
        except (ValidationError, PermissionDenied) as exc:
            return Outcome.from_exception(exc)
        return Outcome(
            "update", object_id=lead.pk, message=_("Updates lead #%(id)d.") % {"id": lead.pk}
        )

    # --- export for re-import ------------------------------------------------------------

    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("lead")]
        first_inquiry = Inquiry.objects.filter(lead=OuterRef("pk")).order_by("received_at", "id")
        leads = (
            Lead.objects.visible_to(actor)
            .select_related("owner")
            .annotate(external_id=Subquery(first_inquiry.values("payload__external_id")[:1]))
            .order_by("pk")
        )
        for lead in leads.iterator(chunk_size=2000):
            row = {"external_id": lead.external_id or None}
            for key in TEXT_FIELDS:
                row[key] = getattr(lead, key)
            row["owner"] = user_name(lead.owner)
            row.update(custom_values(lead, keys))
            yield row
