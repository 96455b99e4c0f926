"""Deals through the pipeline services: the same owner, account, product-line and
decision-chain checks as the API, and stage moves through the stage-change service.

- A deal is identified by its name and account (credit code or company name): a row
  about a deal the user may change *will update* it; one the user may not change is an
  error naming the deal.
- **Stage.** A new deal in an open stage is created in that stage, as the API's create
  does. A row in a won or lost stage (or an existing deal whose stage differs) moves the
  deal through :func:`pipeline.stages.request_stage_change`, exactly as a person would:
  a forward move needs the exit criteria of every stage it leaves (evidence cannot come
  from a spreadsheet, so a won deal whose stages ask for evidence is refused, naming the
  unmet criteria on the stage column, and nothing of the row is written); a move that
  needs a manager's approval is requested and the report says it waits; backward and
  lost moves give the import as their reason (a lost deal's lost note when it has one).
- A deal's pipeline is not changed by an import (the app has no such move either).
- An empty owner means the importing user, as in the API: an admin (who owns no deals)
  names the owner.
- The dry run is the default one (the write in a rolled-back savepoint): events and the
  approver's notification go out after commit only, so a check sends nothing.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import choices
from salesops.customers.models import Contact
from salesops.pipeline import selectors, services, stages
from salesops.pipeline.models import (
    ChangeState,
    CommitCategory,
    Deal,
    Pipeline,
    Stage,
)

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
from .customers import find_account

# The deal fields a row may set through deal_create / deal_update.
PLAIN = (
    "name",
    "product_line",
    "amount",
    "expected_close_date",
    "commit_category",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_identified",
)
SEPARATORS = re.compile(r"[、,，;；/\n]+")


def _pipeline_choices() -> tuple:
    return tuple(
        (p.code, p.name_zh, p.name_en or p.name_zh)
        for p in Pipeline.objects.filter(is_active=True).order_by("order", "id")
    )


@register
class DealImporter(Importer):
    entity = "deal"
    label = _l("Deals")
    model = Deal

    def can_import(self, user) -> bool:
        # Whoever may open deals in the app (reps their own, managers their team's).
        return bool(
            user
            and user.is_active
            and not user.is_read_only_role
            and not user.is_customer_success_role
        )

    def fields(self):
        return [
            Field(
                "name",
                _l("deal name"),
                required=True,
                identifies=True,
                aliases=("商机", "项目名称", "opportunity"),
            ),
            Field(
                "account",
                _l("account"),
                kind=Kind.REF,
                required=True,
                identifies=True,
                aliases=("公司名称", "客户名称", "company name"),
                help=_l("The account's credit code or company name."),
            ),
            Field("owner", _l("owner"), kind=Kind.REF, aliases=("负责人", "销售", "sales rep")),
            Field(
                "pipeline",
                _l("pipeline"),
                kind=Kind.CHOICE,
                choices=_pipeline_choices(),
                aliases=("销售流程",),
            ),
            Field(
                "stage",
                _l("stage"),
                kind=Kind.REF,
                aliases=("商机阶段", "销售阶段", "deal stage"),
                help=_l("The stage's name or code in the deal's pipeline."),
            ),
            list_field("product_line", _l("product line"), choices.PRODUCT_LINE),
            Field("amount", _l("amount (CNY)"), kind=Kind.MONEY, aliases=("金额", "amount")),
            Field(
                "expected_close_date",
                _l("expected close date"),
                kind=Kind.DATE,
                aliases=("预计签约日期", "close date"),
            ),
            Field(
                "commit_category",
                _l("forecast category"),
                kind=Kind.CHOICE,
                choices=tuple(CommitCategory.choices),
            ),
            Field("need_confirmed", _l("need confirmed"), kind=Kind.BOOL),
            Field("budget_confirmed", _l("budget confirmed"), kind=Kind.BOOL),
            Field("decision_maker_identified", _l("decision maker identified"), kind=Kind.BOOL),
            Field(
                "contacts",
                _l("decision chain"),
                aliases=("联系人", "contacts"),
                help=_l("The account's contacts by name, separated by 、 or commas."),
            ),
            list_field("lost_reason", _l("lost reason"), choices.DEAL_LOST_REASON),
            Field("lost_note", _l("lost note")),
            *custom_fields("deal"),
        ]

    # --- writing ---------------------------------------------------------------------------
    def write(self, values, ctx):
        data, custom = split_custom(values)
        refs = self._refs(data, ctx)
        fields = {k: data[k] for k in PLAIN if data.get(k) is not None}
        if data.get("owner"):
            fields["owner"] = refs["owner"]
        existing = refs["existing"]
        if existing is not None:
            return self._update(existing, fields, refs, data, custom, ctx)
        stage = refs["stage"]
        open_stage = stage if stage is not None and stage.is_open else None
        deal = services.deal_create(
            actor=ctx.actor,
            account=refs["account"],
            pipeline=refs["pipeline"],
            stage=open_stage,
            contacts=refs["contacts"],
            custom=custom or None,
            **fields,
        )
        message = ""
        if stage is not None and not stage.is_open:
            message = self._move(deal, stage, data, ctx)
        return Outcome("create", object_id=deal.pk, message=message)

    def _update(self, deal, fields, refs, data, custom, ctx):
        if not Deal.objects.editable_by(ctx.actor).filter(pk=deal.pk).exists():
            return Outcome.error(
                "name",
                _("Deal “%(name)s” belongs to someone outside your team; it was not changed.")
                % {"name": deal.name},
            )
        if refs["pipeline"] is not None and refs["pipeline"].pk != deal.pipeline_id:
            raise ValidationError(
                {
                    "pipeline": [
                        _(
                            "Deal “%(name)s” is in the pipeline “%(pipeline)s”; an import "
                            "does not move a deal to another pipeline."
                        )
                        % {"name": deal.name, "pipeline": deal.pipeline}
                    ]
                }
            )
        deal = services.deal_update(
            actor=ctx.actor,
            deal=deal,
            contacts=refs["contacts"] if data.get("contacts") else None,
            custom=custom or None,
            **fields,
        )
        message = ""
        stage = refs["stage"]
        if stage is not None and stage.pk != deal.stage_id:
            message = self._move(deal, stage, data, ctx)
        return Outcome("update", object_id=deal.pk, message=message)

    def _move(self, deal, stage, data, ctx) -> str:
        """Move ``deal`` to ``stage`` as a person would; the stage column carries the
        refusal (unmet exit criteria, a missing lost reason)."""
        source = ctx.job.source if ctx.job is not None else "import"
        reason = data.get("lost_note") or _("Changed by %(source)s.") % {"source": source}
        try:
            change = stages.request_stage_change(
                actor=ctx.actor,
                deal=deal,
                to_stage=stage,
                reason=reason,
                lost_reason=data.get("lost_reason") or "",
            )
        except ValidationError as exc:
            raise ValidationError(_on_stage_column(exc)) from exc
        if change.state == ChangeState.PENDING:
            return _("The move to “%(stage)s” waits for the manager's approval.") % {
                "stage": stage.name
            }
        return ""

    def _refs(self, data, ctx) -> dict:
        errors: dict[str, list] = {}
        refs = {
            "account": None,
            "owner": None,
            "pipeline": None,
            "stage": None,
            "contacts": [],
            "existing": None,
        }
        refs["account"] = find_account(data.get("account"), ctx)
        if refs["account"] is None:
            errors["account"] = [
                _(
                    "No account you can see is called “%(name)s”; import the account first or "
                    "write its credit code."
                )
                % {"name": data.get("account")}
            ]
        try:
            refs["owner"] = find_user(data.get("owner"), ctx)
        except ValueError as exc:
            errors["owner"] = [str(exc)]
        if data.get("pipeline"):
            refs["pipeline"] = Pipeline.objects.filter(code=data["pipeline"]).first()
        refs["existing"] = self._existing(data, refs["account"], ctx) if refs["account"] else None
        if data.get("stage"):
            # The stage of the deal's own pipeline for a deal that exists (a pipeline
            # named otherwise is refused by _update), else of the new deal's.
            existing = refs["existing"]
            pipeline = (
                (existing.pipeline if existing else None)
                or refs["pipeline"]
                or selectors.default_pipeline(
                    product_line=data.get("product_line") or "",
                    team=getattr(refs["owner"] or ctx.actor, "team", None),
                )
            )
            refs["stage"] = find_stage(pipeline, data["stage"])
            if refs["stage"] is None:
                errors["stage"] = [
                    _("The pipeline “%(pipeline)s” has no stage “%(stage)s”.")
                    % {"pipeline": pipeline, "stage": data["stage"]}
                ]
        if data.get("contacts") and refs["account"] is not None:
            refs["contacts"], missing = find_contacts(data["contacts"], refs["account"])
            if missing:
                errors["contacts"] = [
                    _("The account has no contact called %(names)s.")
                    % {"names": "、".join(missing)}
                ]
        if errors:
            raise ValidationError(errors)
        return refs

    @staticmethod
    def _existing(data, account, ctx):
        if ctx.existing_id:
            found = Deal.objects.filter(pk=ctx.existing_id).first()
            if found is not None:
                return found
        return Deal.objects.filter(account=account, name=data["name"]).order_by("pk").first()

    # --- export ----------------------------------------------------------------------------
    def export_rows(self, actor):
        keys = [f.key for f in custom_fields("deal")]
        deals = (
            Deal.objects.visible_to(actor)
            .select_related("account", "owner", "pipeline", "stage")
            .prefetch_related("contacts")
            .order_by("pk")
        )
        for deal in deals.iterator(chunk_size=2000):
            row = {
                "name": deal.name,
                "account": deal.account.credit_code or deal.account.name,
                "owner": user_name(deal.owner),
                "pipeline": deal.pipeline.code,
                "stage": deal.stage.code,
                "product_line": deal.product_line,
                "amount": deal.amount,
                "expected_close_date": deal.expected_close_date,
                "commit_category": deal.commit_category,
                "need_confirmed": deal.need_confirmed,
                "budget_confirmed": deal.budget_confirmed,
                "decision_maker_identified": deal.decision_maker_identified,
                "contacts": "、".join(sorted(c.name for c in deal.contacts.all())),
                "lost_reason": deal.lost_reason,
                "lost_note": deal.lost_note,
            }
            row.update(custom_values(deal, keys))
            yield row


def _on_stage_column(exc: ValidationError) -> dict:
    """A stage-change refusal with its unmet criteria and target put on the stage column
    (the reason and lost-reason errors keep theirs)."""
    out: dict[str, list] = {}
    for key, messages in exc.message_dict.items():
        column = "stage" if key in ("criteria", "to_stage", "__all__") else key
        if column == "reason":
            column = "lost_note"
        out.setdefault(column, []).extend(messages)
    return out


def find_stage(pipeline, text) -> Stage | None:
    """A stage of ``pipeline`` by code or its Chinese or English name."""
    if pipeline is None:
        return None
    folded = str(text).strip().casefold()
    for stage in pipeline.stages.all():
        if folded in (stage.code.casefold(), stage.name_zh.casefold(), stage.name_en.casefold()):
            return stage
    return None


def find_contacts(text, account) -> tuple[list, list[str]]:
    """(the account's contacts named in ``text``, the names not found)."""
    names = [n.strip() for n in SEPARATORS.split(str(text)) if n.strip()]
    by_name = {c.name: c for c in Contact.objects.filter(account=account).order_by("-pk")}
    found = [by_name[n] for n in names if n in by_name]
    return found, [n for n in names if n not in by_name]


__all__ = ["DealImporter", "find_contacts", "find_stage"]
