"""App-template section of the deal pipelines: each pipeline by code with its stages in
order, their probabilities, exit criteria (fields, evidence, activities, approval) and
stall thresholds.

Applied through :mod:`salesops.pipeline.configuration`, which keeps its rules: a new
pipeline is made switched off, gets its open stages, then is switched on; a stage's code
never changes; a stage deals have been in is never deleted (a file that leaves it out
keeps it, and says so in the next preview as a change).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import choices
from salesops.pipeline import configuration as config
from salesops.pipeline import criteria
from salesops.pipeline.models import REQUIRABLE_FIELDS, Pipeline, Stage, StageKind

from ..base import Section, register
from .naturalkeys import choice_reference, find_team, team_path

OPEN_FIELDS = (
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
TERMINAL_FIELDS = ("name_zh", "name_en", "colour")
PIPELINE_FIELDS = ("name_zh", "name_en", "product_line", "team", "is_default", "is_active")
TERMINAL_KINDS = (StageKind.WON, StageKind.LOST)


def _stage_item(stage: Stage) -> dict:
    if stage.is_open:
        item = {name: getattr(stage, name) for name in OPEN_FIELDS}
        item["kind"] = StageKind.OPEN
        return item
    return {"kind": stage.kind, **{name: getattr(stage, name) for name in TERMINAL_FIELDS}}


def _normal_stage(raw: dict) -> dict:
    """A file's stage as :func:`_stage_item` gives it (defaults filled, lists cleaned)."""
    kind = raw.get("kind") or StageKind.OPEN
    if kind != StageKind.OPEN:
        return {"kind": kind, **{name: raw.get(name, "") for name in TERMINAL_FIELDS}}
    return {
        "code": raw.get("code", ""),
        "name_zh": raw.get("name_zh", ""),
        "name_en": raw.get("name_en", ""),
        "probability": raw.get("probability", 10),
        "colour": raw.get("colour", "blue"),
        "stall_days": raw.get("stall_days", 5),
        "required_fields": list(dict.fromkeys(raw.get("required_fields") or [])),
        "required_evidence": list(dict.fromkeys(raw.get("required_evidence") or [])),
        "required_activities": [
            {"kind": a.get("kind"), "count": int(a.get("count", 1))}
            for a in raw.get("required_activities") or []
            if isinstance(a, dict)
        ],
        "needs_approval": bool(raw.get("needs_approval", False)),
        "next_actions": "\n".join(
            line.strip() for line in str(raw.get("next_actions") or "").splitlines() if line.strip()
        ),
        "kind": StageKind.OPEN,
    }


@register
class Pipelines(Section):
    name = "pipelines"
    label = _l("Pipeline")
    depends = ("teams", "choice_lists")

    def key(self, item: dict) -> str:
        return str(item.get("code") or "")

    def _item(self, pipeline: Pipeline) -> dict:
        stages = sorted(pipeline.stages.all(), key=lambda s: (s.order, s.pk))
        return {
            "code": pipeline.code,
            "name_zh": pipeline.name_zh,
            "name_en": pipeline.name_en,
            "product_line": pipeline.product_line,
            "team": team_path(pipeline.team) if pipeline.team_id else "",
            "is_default": pipeline.is_default,
            "is_active": pipeline.is_active,
            "stages": [_stage_item(s) for s in stages],
        }

    def export(self) -> list[dict]:
        pipelines = Pipeline.objects.select_related("team").prefetch_related("stages")
        return sorted((self._item(p) for p in pipelines), key=self.key)

    def _normal(self, item: dict) -> dict:
        stages = [_normal_stage(s) for s in item.get("stages") or [] if isinstance(s, dict)]
        order = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
        return {
            "code": item.get("code", ""),
            "name_zh": item.get("name_zh", ""),
            "name_en": item.get("name_en", ""),
            "product_line": item.get("product_line") or "",
            "team": item.get("team") or "",
            "is_default": bool(item.get("is_default", False)),
            "is_active": bool(item.get("is_active", True)),
            "stages": sorted(stages, key=lambda s: order.get(s["kind"], 0)),
        }

    def references(self, item: dict) -> list[tuple[str, str]]:
        refs = [("teams", item["team"])] if item.get("team") else []
        refs += choice_reference(choices.PRODUCT_LINE, item.get("product_line") or "")
        for stage in item.get("stages") or []:
            if isinstance(stage, dict):
                for code in stage.get("required_evidence") or []:
                    refs += choice_reference(choices.EVIDENCE_TYPE, str(code))
        return refs

    def validate(self, item: dict) -> list[str]:
        errors = []
        if not self.key(item):
            errors.append(_("“code” is missing: give the pipeline a code (letters, digits, -)."))
        stages = [s for s in item.get("stages") or [] if isinstance(s, dict)]
        kinds = [s.get("kind") or StageKind.OPEN for s in stages]
        for kind in TERMINAL_KINDS:
            if kinds.count(kind) > 1:
                errors.append(_("“stages”: only one %(kind)s stage.") % {"kind": kind})
        opened = [s for s in stages if (s.get("kind") or StageKind.OPEN) == StageKind.OPEN]
        if item.get("is_active", True) and not (
            config.MIN_OPEN_STAGES <= len(opened) <= config.MAX_OPEN_STAGES
        ):
            errors.append(config.stage_count_message(len(opened)))
        codes = [s.get("code") for s in opened]
        if len(set(codes)) != len(codes) or not all(codes):
            errors.append(_("“stages”: every open stage needs its own “code”."))
        known_kinds = dict(criteria.activity_kinds())
        for stage in opened:
            label = stage.get("code") or "?"
            unknown = [f for f in stage.get("required_fields") or [] if f not in REQUIRABLE_FIELDS]
            if unknown:
                errors.append(
                    _("Stage “%(stage)s”, “required_fields”: unknown %(fields)s; use %(ok)s.")
                    % {
                        "stage": label,
                        "fields": ", ".join(map(str, unknown)),
                        "ok": ", ".join(REQUIRABLE_FIELDS),
                    }
                )
            for need in stage.get("required_activities") or []:
                if not isinstance(need, dict) or need.get("kind") not in known_kinds:
                    errors.append(
                        _("Stage “%(stage)s”, “required_activities”: use kinds %(ok)s.")
                        % {"stage": label, "ok": ", ".join(known_kinds)}
                    )
            if stage.get("colour", "blue") not in config.COLOURS:
                errors.append(
                    _("Stage “%(stage)s”, “colour”: choose one of %(ok)s.")
                    % {"stage": label, "ok": ", ".join(config.COLOURS)}
                )
            probability = stage.get("probability", 10)
            if not isinstance(probability, int) or not 0 <= probability <= 100:
                errors.append(
                    _("Stage “%(stage)s”, “probability”: a whole number from 0 to 100.")
                    % {"stage": label}
                )
        return errors

    # --- apply ----------------------------------------------------------------------------
    def apply(self, item: dict, *, actor) -> str:
        wanted = self._normal(item)
        pipeline = Pipeline.objects.filter(code=wanted["code"]).first()
        if pipeline is not None and self._item(pipeline) == wanted:
            return "unchanged"
        team = find_team(wanted["team"]) if wanted["team"] else None
        fields = {
            "name_zh": wanted["name_zh"],
            "name_en": wanted["name_en"],
            "product_line": wanted["product_line"],
            "team": team,
        }
        created = pipeline is None
        if created:
            pipeline = config.pipeline_create(
                actor=actor, code=wanted["code"], is_active=False, **fields
            )
        else:
            current = self._item(pipeline)
            changed = {
                k: v
                for k, v in fields.items()
                if (team_path(v) if k == "team" else v) != current[k]
            }
            if changed:
                config.pipeline_update(actor=actor, pipeline=pipeline, **changed)
        self._apply_stages(pipeline, wanted["stages"], actor)
        pipeline.refresh_from_db()
        switches = {
            k: wanted[k] for k in ("is_active", "is_default") if getattr(pipeline, k) != wanted[k]
        }
        if switches:
            if switches.get("is_active") is False and pipeline.is_default:
                switches["is_default"] = False
            config.pipeline_update(actor=actor, pipeline=pipeline, **switches)
        return "created" if created else "changed"

    def _apply_stages(self, pipeline: Pipeline, stages: list[dict], actor) -> None:
        existing = {s.code: s for s in pipeline.stages.all()}
        for stage in stages:
            if stage["kind"] == StageKind.OPEN:
                continue
            current = next((s for s in existing.values() if s.kind == stage["kind"]), None)
            data = {k: stage[k] for k in TERMINAL_FIELDS}
            if current is not None and _stage_item(current) != {"kind": stage["kind"], **data}:
                config.stage_update(actor=actor, stage=current, **data)
        opened = [s for s in stages if s["kind"] == StageKind.OPEN]
        wanted_codes = [s["code"] for s in opened]
        # Stages the file leaves out go first (when they can), so the new ones fit in
        # the seven an active pipeline may have.
        for stage in pipeline.open_stages():
            if stage.code not in wanted_codes and not config.stage_delete_problem(stage):
                config.stage_delete(actor=actor, stage=stage)
        for raw in opened:
            data = {k: v for k, v in raw.items() if k != "kind"}
            current = existing.get(raw["code"])
            if current is None:
                config.stage_create(actor=actor, pipeline=pipeline, **data)
            elif _normal_stage(_stage_item(current)) != raw:
                data.pop("code")
                config.stage_update(actor=actor, stage=current, **data)
        self._reorder(pipeline, wanted_codes, actor)

    def _reorder(self, pipeline: Pipeline, codes: list[str], actor) -> None:
        """Move the open stages into the file's order (stages the file leaves out, which
        could not be deleted, stay after them)."""
        rank = {code: index for index, code in enumerate(codes)}
        for _round in range(64):  # a bubble sort of at most 7 stages needs 21 moves
            ordered = list(pipeline.open_stages())
            keys = [rank.get(s.code, len(codes)) for s in ordered]
            wrong = next((i for i in range(1, len(keys)) if keys[i] < keys[i - 1]), None)
            if wrong is None:
                return
            config.stage_move(actor=actor, stage=ordered[wrong], direction="up")
