"""Forms of the stage-move page and the approvals queue (D2). They only parse: the rules
(criteria, reasons, evidence checks) are :func:`stages.request_stage_change`'s, so the
page, the API and the kanban's drag share one set of answers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import TablerFormMixin

from .models import Stage

EVIDENCE_PREFIX = "evidence_"


class TargetForm(TablerFormMixin, forms.Form):
    """The stage picked on the move page (``?to=<stage id>``, as a drop on the kanban
    sends it)."""

    to = forms.ModelChoiceField(
        queryset=Stage.objects.none(), required=False, label=_("Move to stage")
    )

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            Stage.objects.filter(pipeline_id=deal.pipeline_id)
            .exclude(pk=deal.stage_id)
            .order_by("order", "id")
        )
        self.fields["to"].empty_label = _("Pick a stage")


class MoveForm(TablerFormMixin, forms.Form):
    """The request itself: the target, the reason (moving back, lost, reopening), the
    lost reason, and one file field per evidence type the stages being left require."""

    to_stage = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the deal moves back, is lost or is reopened."),
    )
    lost_reason = choices.ChoiceListField(
        choices.DEAL_LOST_REASON, required=False, label=_("Lost reason")
    )

    def __init__(self, *args, evidence_types=(), lost=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not lost:
            del self.fields["lost_reason"]
        self.evidence_types = list(evidence_types)
        for code in self.evidence_types:
            self.fields[EVIDENCE_PREFIX + code] = forms.FileField(
                label=choices.label(choices.EVIDENCE_TYPE, code),
                required=False,
            )

    def evidence_fields(self):
        return [self[EVIDENCE_PREFIX + code] for code in self.evidence_types]

    def uploads(self) -> list[tuple[str, object]]:
        """``(evidence type, file)`` for every evidence field with a file."""
        pairs = []
        for code in self.evidence_types:
            upload = self.cleaned_data.get(EVIDENCE_PREFIX + code)
            if upload:
                pairs.append((code, upload))
        return pairs


class RejectForm(TablerFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        max_length=500,
        error_messages={"required": _("Say why the request is rejected.")},
    )


class ApproveForm(TablerFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
