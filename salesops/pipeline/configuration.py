"""Settings · Pipelines (D1, P2): what a sales-ops admin edits, through services that
validate every field at once and write the history row (the audit) with the actor.

A pipeline always has one won and one lost stage (made with it) and, while it is
active, between :data:`MIN_OPEN_STAGES` and :data:`MAX_OPEN_STAGES` open stages. A new
pipeline starts inactive; it can be switched on once it has its open stages. A stage any
deal has ever been in cannot be deleted (its history points to it): move its deals and
keep it, or rename it.
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.history import save_with_history

from . import criteria
from .evidence import FORBIDDEN_EXTENSIONS
from .models import (
    REQUIRABLE_FIELDS,
    Deal,
    DealStatus,
    Evidence,
    Pipeline,
    PipelinePolicy,
    Stage,
    StageChange,
    StageKind,
)

MIN_OPEN_STAGES = 5
MAX_OPEN_STAGES = 7
COLOURS = (
    "blue",
    "azure",
    "indigo",
    "purple",
    "pink",
    "red",
    "orange",
    "yellow",
    "lime",
    "green",
    "teal",
    "cyan",
)
# Open stages are numbered 10, 20 …; won and lost come after every open stage.
ORDER_STEP = 10
WON_ORDER, LOST_ORDER = 900, 910

PIPELINE_FIELDS = ("code", "name_zh", "name_en", "product_line", "team", "is_default", "is_active")
STAGE_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "probability",
    "colour",
    "stall_days",
    "required_fields",
    "required_evidence",
    "required_activities",
    "needs_approval",
    "next_actions",
)
# What a won or lost stage keeps editable (no exit criteria, fixed probability).
TERMINAL_FIELDS = ("name_zh", "name_en", "colour")
POLICY_FIELDS = (
    "evidence_max_mb",
    "evidence_extensions",
    "health_min_roles",
    "health_min_first_payment",
    "health_payment_delay_days",
)


def can_configure(actor) -> bool:
    """Sales-ops admins and those who edit everything (directors): the ``configurers``."""
    return bool(
        actor and actor.is_authenticated and (actor.is_admin_role or actor.edits_everything)
    )


def require_configure(actor) -> None:
    if not can_configure(actor):
        raise PermissionDenied(_("Only sales-ops admins and directors change the pipelines."))


def _clean(instance, data: dict, allowed: tuple[str, ...], errors: dict, exclude=()) -> None:
    for key in sorted(set(data) - set(allowed)):
        errors[key] = [_("Unknown field.")]
    for key, value in data.items():
        if key in allowed:
            setattr(instance, key, value.strip() if isinstance(value, str) else value)
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)


def open_stage_count(pipeline: Pipeline) -> int:
    return pipeline.stages.filter(kind=StageKind.OPEN).count()


def stage_count_message(count: int) -> str:
    return _(
        "A pipeline in use has %(min)d to %(max)d open stages (plus won and lost); "
        "this one has %(n)d. Add or remove stages first."
    ) % {"min": MIN_OPEN_STAGES, "max": MAX_OPEN_STAGES, "n": count}


# --- pipelines ----------------------------------------------------------------------------
def _pipeline_errors(pipeline: Pipeline) -> dict:
    errors: dict[str, list] = {}
    if Pipeline.objects.filter(code=pipeline.code).exclude(pk=pipeline.pk).exists():
        errors["code"] = [_("Another pipeline has this code; choose another.")]
    if pipeline.product_line and pipeline.product_line not in choices.active_codes(
        choices.PRODUCT_LINE
    ):
        errors["product_line"] = [
            _("Pick a product line from the list (Settings · Organisation · Lists).")
        ]
    if pipeline.is_default and not pipeline.is_active:
        errors["is_active"] = [_("The default pipeline must stay active.")]
    if pipeline.is_active:
        count = open_stage_count(pipeline) if pipeline.pk else 0
        if not MIN_OPEN_STAGES <= count <= MAX_OPEN_STAGES:
            errors.setdefault("is_active", []).append(stage_count_message(count))
    elif pipeline.pk and Deal.objects.filter(pipeline=pipeline, status=DealStatus.OPEN).exists():
        errors.setdefault("is_active", []).extend(
            [_("Open deals are in this pipeline: move or close them before switching it off.")]
        )
    if not pipeline.is_default and pipeline.pk:
        others = Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk)
        was_default = Pipeline.objects.filter(pk=pipeline.pk, is_default=True).exists()
        if was_default and not others.exists():
            errors["is_default"] = [
                _("Make another pipeline the default first: one pipeline is always the default.")
            ]
    return errors


def _save_pipeline(pipeline: Pipeline, actor, reason: str) -> None:
    if pipeline.is_default:
        for other in Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk):
            other.is_default = False
            save_with_history(other, actor, "default moved")
    save_with_history(pipeline, actor, reason)


@transaction.atomic
def pipeline_create(*, actor, **data) -> Pipeline:
    """A new pipeline with its won and lost stages. It starts switched off (it has no
    open stages yet) unless ``is_active`` is asked for, which then is refused."""
    require_configure(actor)
    data.setdefault("is_active", False)
    pipeline = Pipeline(created_by=actor)
    errors: dict[str, list] = {}
    _clean(pipeline, data, PIPELINE_FIELDS, errors)
    for key, messages in _pipeline_errors(pipeline).items():
        errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    last = Pipeline.objects.order_by("-order").values_list("order", flat=True).first()
    pipeline.order = (last or 0) + ORDER_STEP
    _save_pipeline(pipeline, actor, "created")
    for kind, code, zh, en, order, probability, colour in (
        (StageKind.WON, "won", "赢单", "Won", WON_ORDER, 100, "green"),
        (StageKind.LOST, "lost", "输单", "Lost", LOST_ORDER, 0, "red"),
    ):
        stage = Stage(
            pipeline=pipeline,
            code=code,
            name_zh=zh,
            name_en=en,
            kind=kind,
            order=order,
            probability=probability,
            colour=colour,
            created_by=actor,
        )
        save_with_history(stage, actor, "created")
    return pipeline


@transaction.atomic
def pipeline_update(*, actor, pipeline: Pipeline, **data) -> Pipeline:
    require_configure(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if "code" in data and data["code"] != pipeline.code:
        raise ValidationError(
            {"code": [_("A pipeline's code does not change (rules and reports use it).")]}
        )
    errors: dict[str, list] = {}
    _clean(pipeline, data, PIPELINE_FIELDS, errors)
    for key, messages in _pipeline_errors(pipeline).items():
        errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    _save_pipeline(pipeline, actor, "updated")
    return pipeline


# --- stages -------------------------------------------------------------------------------
def _activity_requirements(value, errors: dict) -> list[dict]:
    """``[{"kind", "count"}]`` with known kinds and counts of 1–20; anything else is an
    error naming the problem."""
    known = dict(criteria.activity_kinds())
    out: list[dict] = []
    for item in value or []:
        kind = item.get("kind") if isinstance(item, dict) else None
        count = item.get("count", 1) if isinstance(item, dict) else None
        if kind not in known:
            errors.setdefault("required_activities", []).append(
                _("Unknown activity kind “%(kind)s”. Choose from: %(choices)s.")
                % {"kind": kind, "choices": ", ".join(known)}
            )
            continue
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= 20:
            errors.setdefault("required_activities", []).append(
                _("%(kind)s: enter how many, between 1 and 20.") % {"kind": known[kind]}
            )
            continue
        out.append({"kind": kind, "count": count})
    return out


def _stage_errors(stage: Stage, errors: dict) -> None:
    same = Stage.objects.filter(pipeline=stage.pipeline_id, code=stage.code).exclude(pk=stage.pk)
    if same.exists():
        errors.setdefault("code", []).append(
            _("Another stage of this pipeline has this code; choose another.")
        )
    if stage.colour not in COLOURS:
        errors.setdefault("colour", []).append(
            _("Choose one of the colours: %(choices)s.") % {"choices": ", ".join(COLOURS)}
        )
    unknown = [f for f in stage.required_fields or () if f not in REQUIRABLE_FIELDS]
    if unknown:
        errors.setdefault("required_fields", []).append(
            _("Unknown deal field(s): %(fields)s. Choose from: %(choices)s.")
            % {"fields": ", ".join(map(str, unknown)), "choices": ", ".join(REQUIRABLE_FIELDS)}
        )
    types = choices.active_codes(choices.EVIDENCE_TYPE)
    unknown = [t for t in stage.required_evidence or () if t not in types]
    if unknown:
        errors.setdefault("required_evidence", []).append(
            _("Unknown evidence type(s): %(types)s. Add them to the list “Evidence type” first.")
            % {"types": ", ".join(map(str, unknown))}
        )


def _stage_data(stage: Stage, data: dict, errors: dict) -> dict:
    data = dict(data)
    for key in ("required_fields", "required_evidence"):
        if key in data:
            data[key] = list(dict.fromkeys(data[key] or []))
    if "required_activities" in data:
        data["required_activities"] = _activity_requirements(data["required_activities"], errors)
    if "next_actions" in data:
        lines = [line.strip() for line in str(data["next_actions"] or "").splitlines()]
        data["next_actions"] = "\n".join(line for line in lines if line)
    return data


def _renumber(pipeline: Pipeline, ordered: list[Stage], actor, reason: str) -> None:
    for index, stage in enumerate(ordered, start=1):
        if stage.order != index * ORDER_STEP:
            stage.order = index * ORDER_STEP
            save_with_history(stage, actor, reason)


@transaction.atomic
def stage_create(*, actor, pipeline: Pipeline, **data) -> Stage:
    """Add an open stage at the end of the pipeline's open stages."""
    require_configure(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    errors: dict[str, list] = {}
    count = open_stage_count(pipeline)
    if count >= MAX_OPEN_STAGES:
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "This pipeline already has %(max)d open stages, the most allowed. "
                        "Remove or merge a stage before adding another."
                    )
                    % {"max": MAX_OPEN_STAGES}
                ]
            }
        )
    stage = Stage(pipeline=pipeline, kind=StageKind.OPEN, created_by=actor)
    data = _stage_data(stage, data, errors)
    _clean(stage, data, STAGE_FIELDS, errors, exclude=["order"])
    _stage_errors(stage, errors)
    if errors:
        raise ValidationError(errors)
    stage.order = (count + 1) * ORDER_STEP
    save_with_history(stage, actor, "created")
    _renumber(pipeline, list(pipeline.open_stages()), actor, "reordered")
    return stage


@transaction.atomic
def stage_update(*, actor, stage: Stage, **data) -> Stage:
    """Change a stage. Deals in it get the new stall threshold from their next move on
    (their ``stall_due_at`` is recomputed now when ``stall_days`` changes)."""
    require_configure(actor)
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage.pk)
    if "code" in data and data["code"] != stage.code:
        raise ValidationError(
            {"code": [_("A stage's code does not change (rules and reports use it).")]}
        )
    allowed = STAGE_FIELDS if stage.is_open else TERMINAL_FIELDS
    errors: dict[str, list] = {}
    before_days = stage.stall_days
    data = _stage_data(stage, data, errors)
    _clean(stage, data, allowed, errors)
    _stage_errors(stage, errors)
    if errors:
        raise ValidationError(errors)
    save_with_history(stage, actor, "updated")
    if stage.is_open and stage.stall_days != before_days:
        restart_stall_clocks(stage, actor)
    return stage


def restart_stall_clocks(stage: Stage, actor=None) -> int:
    """Recompute ``stall_due_at`` of the open deals in ``stage`` (its threshold changed):
    a deal's stall alert falls due at the new time, counted from when it entered. Each
    deal gets its history row and a new ``updated_at``, so the engine also sees the deals
    whose new instant is already past (they alert at the next sweep)."""
    from .services import stall_due  # noqa: PLC0415 - services imports this module's peers

    now = clock.now()
    changed = []
    for deal in Deal.objects.filter(stage=stage, status=DealStatus.OPEN):
        deal.stall_due_at = stall_due(stage, deal.stage_entered_at)
        deal.updated_at = now
        changed.append(deal)
    Deal.objects.bulk_update(changed, ["stall_due_at", "updated_at"], batch_size=1000)
    Deal.history.bulk_history_create(
        changed,
        batch_size=1000,
        default_user=actor,
        default_change_reason="stall threshold changed",
        default_date=now,
    )
    return len(changed)


@transaction.atomic
def stage_move(*, actor, stage: Stage, direction: str) -> Stage:
    """Move an open stage one place up or down among the pipeline's open stages."""
    require_configure(actor)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a stage “up” or “down”.")]})
    stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    if not stage.is_open:
        raise ValidationError({"direction": [_("Won and lost always come last.")]})
    Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    ordered = list(stage.pipeline.open_stages())
    index = next(i for i, s in enumerate(ordered) if s.pk == stage.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        raise ValidationError(
            {
                "direction": [
                    _("“%(stage)s” is already the first open stage.")
                    if direction == "up"
                    else _("“%(stage)s” is already the last open stage.")
                ]
            }
        )
    ordered[index], ordered[other] = ordered[other], ordered[index]
    _renumber(stage.pipeline, ordered, actor, "reordered")
    return Stage.objects.get(pk=stage.pk)


def stage_delete_problem(stage: Stage) -> str:
    """Why ``stage`` cannot be deleted ("" when it can)."""
    if not stage.is_open:
        return _("Won and lost stages cannot be deleted.")
    open_deals = Deal.objects.filter(stage=stage, status=DealStatus.OPEN).count()
    if open_deals:
        return _(
            "%(n)d open deal(s) are in this stage. Move them to another stage first; "
            "the stage cannot be deleted while deals are in it."
        ) % {"n": open_deals}
    used = (
        Deal.objects.filter(stage=stage).exists()
        or StageChange.objects.filter(to_stage=stage).exists()
        or StageChange.objects.filter(from_stage=stage).exists()
        or Evidence.objects.filter(stage=stage).exists()
    )
    if used:
        return _(
            "Deals have been in this stage: its history and the conversion report need it. "
            "Rename it or change its criteria instead."
        )
    if stage.pipeline.is_active and open_stage_count(stage.pipeline) <= MIN_OPEN_STAGES:
        return _(
            "An active pipeline keeps at least %(min)d open stages. Add another stage first "
            "or switch the pipeline off."
        ) % {"min": MIN_OPEN_STAGES}
    return ""


@transaction.atomic
def stage_delete(*, actor, stage: Stage) -> None:
    require_configure(actor)
    Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    problem = stage_delete_problem(stage)
    if problem:
        raise ValidationError({"__all__": [problem]})
    pipeline = stage.pipeline
    stage._history_user = actor
    stage._change_reason = "deleted"
    stage.delete()
    _renumber(pipeline, list(pipeline.open_stages()), actor, "reordered")


# --- the pipeline policy ------------------------------------------------------------------
def _extensions(text: str, errors: dict) -> str:
    parts = [p.strip().lower().lstrip(".") for p in str(text or "").split(",") if p.strip()]
    bad = [p for p in parts if not p.isalnum() or len(p) > 10]
    forbidden = [p for p in parts if p in FORBIDDEN_EXTENSIONS]
    if not parts:
        errors["evidence_extensions"] = [_("List at least one file type, e.g. pdf,docx,jpg.")]
    elif bad:
        errors["evidence_extensions"] = [
            _("“%(bad)s” is not a file extension; separate extensions with commas, e.g. pdf,docx.")
            % {"bad": ", ".join(bad)}
        ]
    elif forbidden:
        errors["evidence_extensions"] = [
            _("Programs and web pages are never accepted: remove %(bad)s.")
            % {"bad": ", ".join(forbidden)}
        ]
    return ",".join(dict.fromkeys(parts))


@transaction.atomic
def policy_update(*, actor, **data) -> PipelinePolicy:
    """Change the evidence limits and the healthy-deal thresholds; audited by history."""
    require_configure(actor)
    policy = PipelinePolicy.current()
    policy = PipelinePolicy.objects.select_for_update().get(pk=policy.pk)
    errors: dict[str, list] = {}
    if "evidence_extensions" in data:
        data = {**data, "evidence_extensions": _extensions(data["evidence_extensions"], errors)}
    _clean(policy, data, POLICY_FIELDS, errors, exclude=["updated_by"])
    if errors:
        raise ValidationError(errors)
    policy.updated_by = actor
    save_with_history(policy, actor, "updated")
    return policy


def criteria_labels(stage: Stage) -> dict:
    """A stage's exit criteria in words (labels, not codes) for the settings pages."""
    return {
        "fields": [
            criteria.FIELD_LABELS[f]() if f in criteria.FIELD_LABELS else f
            for f in stage.required_fields or ()
        ],
        "evidence": [
            choices.label(choices.EVIDENCE_TYPE, code) for code in stage.required_evidence or ()
        ],
        "activities": [
            f"{item.get('count', 1)} × {criteria.activity_kind_label(item.get('kind', ''))}"
            for item in stage.required_activities or ()
            if isinstance(item, dict)
        ],
    }


@dataclasses.dataclass
class PipelineRow:
    pipeline: Pipeline
    stages: list
    open_count: int
    problem: str


def overview() -> list[PipelineRow]:
    """Every pipeline with its stages (ordered) and what is wrong with it, if anything."""
    rows = []
    stages_by_pipeline: dict[int, list] = {}
    for stage in Stage.objects.order_by("pipeline", "order", "id"):
        stages_by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
    open_deals = dict(
        Deal.objects.filter(status=DealStatus.OPEN)
        .values_list("stage")
        .order_by()
        .annotate(n=Count("pk"))
    )
    for pipeline in Pipeline.objects.select_related("team").order_by("order", "id"):
        stages = stages_by_pipeline.get(pipeline.pk, [])
        for stage in stages:
            stage.open_deals = open_deals.get(stage.pk, 0)
            stage.criteria_labels = criteria_labels(stage)
        count = sum(1 for s in stages if s.is_open)
        pipeline.product_line_label = choices.label(choices.PRODUCT_LINE, pipeline.product_line)
        problem = ""
        if not MIN_OPEN_STAGES <= count <= MAX_OPEN_STAGES:
            problem = stage_count_message(count)
        rows.append(PipelineRow(pipeline, stages, count, problem))
    return rows
