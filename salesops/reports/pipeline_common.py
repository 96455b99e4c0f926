"""What the pipeline reports share: who may open them, the filter form (pipeline, team,
rep, product line, period) and the owner scope a filter leaves.

Visibility follows the deal rule (core.visibility): a rep's reports count their own
deals, a manager's their team subtree, a director's and an admin's everyone's. The
filters only narrow that scope; a team or rep outside it is a form error (400), never a
silent empty report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from salesops.core import choices, clock
from salesops.core.forms import DateInput, TablerFormMixin
from salesops.core.visibility import visible_owner_ids, visible_users
from salesops.org.models import Role, Team, User
from salesops.pipeline import selectors as pipeline_selectors
from salesops.pipeline.models import Pipeline

# The roles that sell (and their managers and administrators) read the pipeline reports;
# finance reads the forecast too (it plans cash from it).
SALES_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
# The longest period one report covers: a wider one is a typing mistake, not a question.
MAX_PERIOD_DAYS = 366 * 5


def can_read(user, *, finance: bool = False) -> bool:
    """Whether ``user`` opens the pipeline reports (``finance=True``: the forecast)."""
    roles = SALES_ROLES + ((Role.FINANCE,) if finance else ())
    return bool(user.is_authenticated and (user.is_superuser or user.role in roles))


def can_read_forecast(user) -> bool:
    return can_read(user, finance=True)


def require_reader(user, *, finance: bool = False) -> None:
    if not can_read(user, finance=finance):
        raise PermissionDenied(_("Your role does not read the pipeline reports."))


def visible_teams(user):
    """The teams ``user`` may filter a report by: every team for those who see everyone,
    the managed subtrees for a manager, none for a rep."""
    if user.sees_everything:
        return Team.objects.order_by("path")
    if user.is_manager_role:
        paths = list(Team.objects.filter(manager=user).values_list("path", flat=True))
        if not paths:
            return Team.objects.none()
        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        return Team.objects.filter(condition).order_by("path")
    return Team.objects.none()


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "— " * obj.depth + obj.name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class ReportFilterForm(TablerFormMixin, forms.Form):
    """The filters every pipeline report takes from the query string."""

    team = TeamChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label=_lazy("Team"),
        error_messages={"invalid_choice": _lazy("Pick a team from the list (one you manage).")},
    )
    owner = UserChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_lazy("Rep"),
        error_messages={"invalid_choice": _lazy("Pick a rep from the list (one you may see).")},
    )
    product_line = forms.ChoiceField(
        required=False,
        label=_lazy("Product line"),
        error_messages={"invalid_choice": _lazy("Pick a product line from the list.")},
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["team"].queryset = visible_teams(user)
        self.fields["owner"].queryset = visible_users(user).order_by("username")
        self.fields["product_line"].choices = choices.choices(choices.PRODUCT_LINE, blank=True)
        if not self.fields["team"].queryset.exists():
            self.fields["team"].widget = forms.HiddenInput()

    def owner_ids(self) -> list[int] | None:
        """The owners the report counts (``None``: everyone), visibility applied."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        ids = visible_owner_ids(self.user)
        scope = None if ids is None else set(ids)
        if data.get("team") is not None:
            members = set(
                User.objects.filter(team__path__startswith=data["team"].path).values_list(
                    "pk", flat=True
                )
            )
            scope = members if scope is None else scope & members
        if data.get("owner") is not None:
            chosen = {data["owner"].pk}
            scope = chosen if scope is None else scope & chosen
        return None if scope is None else sorted(scope)

    def describe(self) -> list[tuple[str, str]]:
        """The filters in force, as (label, value) pairs for the page and the export."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        rows = []
        for name in self.fields:
            value = data.get(name)
            if value in (None, ""):
                continue
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                shown = field.label_from_instance(value).lstrip("— ")
            elif isinstance(field, forms.ChoiceField):
                shown = str(dict(field.choices).get(value, value))
            elif isinstance(value, dt.date):
                shown = value.isoformat()
            else:
                shown = str(value)
            rows.append((str(field.label), shown))
        return rows


class PipelineFilterForm(ReportFilterForm):
    """Report filters plus the pipeline (the default one when not given)."""

    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.none(),
        required=False,
        label=_lazy("Pipeline"),
        empty_label=None,
        error_messages={"invalid_choice": _lazy("Pick an active pipeline from the list.")},
    )
    field_order = ["pipeline", "team", "owner", "product_line"]

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, **kwargs)
        self.fields["pipeline"].queryset = pipeline_selectors.active_pipelines()

    def chosen_pipeline(self) -> Pipeline | None:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        chosen = data.get("pipeline")
        if chosen is not None:
            return chosen
        pipelines = list(pipeline_selectors.active_pipelines())
        return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


class PeriodMixin(forms.Form):
    """A ``start``–``end`` date range (both days included), local dates."""

    start = forms.DateField(
        required=False,
        label=_lazy("From"),
        widget=DateInput(),
        error_messages={"invalid": _lazy("Enter the start date as YYYY-MM-DD.")},
    )
    end = forms.DateField(
        required=False,
        label=_lazy("Until"),
        widget=DateInput(),
        error_messages={"invalid": _lazy("Enter the end date as YYYY-MM-DD.")},
    )
    default_days = 365

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date must be on or after the start date."))
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("end", _("Pick a period of at most five years."))
        return data

    def period(self) -> Period:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or clock.today()
        start = data.get("start") or end - dt.timedelta(days=self.default_days - 1)
        return Period(start, end)


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start``..``end`` (both included)."""

    start: dt.date
    end: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The aware instants [start 00:00, the day after end 00:00) in local time."""
        tz = timezone.get_default_timezone()
        first = dt.datetime.combine(self.start, dt.time.min)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        return timezone.make_aware(first, tz), timezone.make_aware(after, tz)


def form_errors(form) -> list[str]:
    """``"Label: message"`` for every error of ``form`` (shown above the report)."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            lines.append(f"{label}: {error}" if label else str(error))
    return lines


def percent(part, whole) -> float | None:
    """``part / whole`` as a percentage with one decimal, ``None`` when ``whole`` is 0."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)
