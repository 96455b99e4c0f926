"""Forms of the deal pages: the deal (create, edit, from a lead), an evidence upload and
the manager's reassignment.

The forms only parse what the browser sent; ``services`` (and ``evidence``) validate and
write, so the pages, the API and the rules share one set of messages. The pickers offer
what the user may choose, but validate against a wider set so that a forged or stale id
gets the service's message naming the field ("Pick contacts of the deal's account")
rather than a bare "not one of the choices".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salesops.core import choices, clock
from salesops.core.forms import DateInput, PageFormMixin, ServiceModelForm, TablerFormMixin
from salesops.core.visibility import visible_users
from salesops.customers.models import Account, Contact
from salesops.customization.formfields import CustomFieldsFormMixin
from salesops.org.models import User

from . import services
from .models import Deal, Pipeline

DEAL_LISTS = {"product_line": choices.PRODUCT_LINE}
# An expected close date outside these years is a typing slip (1926 for 2026), not a plan.
EARLIEST_CLOSE_YEAR = 2000
LATEST_CLOSE_YEARS_AHEAD = 20


def selling_users(user):
    """The owners ``user`` may give a deal to: active reps, managers and directors they see."""
    return (
        visible_users(user)
        .filter(role__in=services.SELLING_ROLES)
        .order_by("display_name", "username")
    )


class DealForm(PageFormMixin, CustomFieldsFormMixin, ServiceModelForm):
    """Create or edit a deal. ``pipeline`` is chosen when creating only (afterwards the
    deal moves between stages through stage changes); ``owner`` is offered to managers,
    directors and admins (a rep's deals are their own)."""

    custom_entity = "deal"
    service_checks_required = True

    #: How many accounts the picker lists before asking the user to search.
    ACCOUNT_OPTIONS = 100

    pipeline = forms.ModelChoiceField(
        label=capfirst(_("pipeline")),
        queryset=Pipeline.objects.none(),
        required=False,
        help_text=_("Leave empty to use the product line's (or your team's) pipeline."),
    )

    class Meta:
        model = Deal
        fields = (
            "name",
            "account",
            "contacts",
            "owner",
            "product_line",
            "amount",
            "expected_close_date",
            "commit_category",
            "need_confirmed",
            "budget_confirmed",
            "decision_maker_identified",
        )
        widgets = {
            "expected_close_date": DateInput(),
            "contacts": forms.CheckboxSelectMultiple,
            "amount": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        }

    def __init__(self, *args, user: User, account_query: str = "", lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.lead = lead
        creating = self.instance.pk is None
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Leave empty to use the account's name.")
        self._init_account(account_query)
        self._init_contacts()
        self._init_owner(creating)
        if creating and lead is None:
            field = self.fields["pipeline"]
            field.queryset = Pipeline.objects.filter(is_active=True).order_by("order", "id")
            field.empty_label = _("Automatic")
        else:
            del self.fields["pipeline"]
        amount = self.fields["amount"]
        amount.min_value = None  # the service says what is wrong with a negative amount
        choices.use_lists(self, DEAL_LISTS, self.instance)
        self.fields["product_line"].required = False
        self.init_custom_fields(None)

    # --- pickers -----------------------------------------------------------------------
    def _selected(self, name: str):
        value = self.data.get(self.add_prefix(name)) if self.is_bound else None
        if value in (None, ""):
            value = self.initial.get(name)
            if value in (None, "") and self.instance.pk:
                value = getattr(self.instance, f"{name}_id", None)
        value = getattr(value, "pk", value)
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def _init_account(self, query: str) -> None:
        field = self.fields["account"]
        # Validation accepts any account the user sees, so the service's "Pick an account
        # you can see" is never needed; another rep's account is "not one of the choices".
        base = Account.objects.visible_to(self.user)
        field.queryset = base
        field.empty_label = _("Choose an account")
        selected = self._selected("account")
        qs = base.only("id", "name").order_by("name", "id")
        if query.strip():
            qs = qs.filter(name__icontains=query.strip())
        options = list(qs[: self.ACCOUNT_OPTIONS + 1])
        self.more_accounts = len(options) > self.ACCOUNT_OPTIONS
        options = options[: self.ACCOUNT_OPTIONS]
        if selected and all(a.pk != selected for a in options):
            chosen = base.only("id", "name").filter(pk=selected).first()
            if chosen is not None:
                options.insert(0, chosen)
        field.widget.choices = [("", field.empty_label), *[(a.pk, a.name) for a in options]]
        self.selected_account = selected

    def _init_contacts(self) -> None:
        field = self.fields["contacts"]
        # Any contact the user sees passes the form: the service then names a contact of
        # another account ("Pick contacts of the deal's account").
        field.queryset = Contact.objects.visible_to(self.user)
        field.required = False
        offered = Contact.objects.none()
        if self.selected_account:
            offered = Contact.objects.visible_to(self.user).filter(account_id=self.selected_account)
        field.widget.choices = [
            (c.pk, f"{c.name} · {c.get_decision_role_display()}" if c.decision_role else c.name)
            for c in offered.order_by("decision_role", "name")[:200]
        ]
        field.help_text = _("The account's contacts involved in the decision, with their role.")

    def _init_owner(self, creating: bool) -> None:
        user = self.user
        if not (user.is_manager_role or user.sees_everything):
            del self.fields["owner"]  # a rep's deals are their own
            return
        field = self.fields["owner"]
        offered = list(selling_users(user))
        if self.instance.pk and all(u.pk != self.instance.owner_id for u in offered):
            offered.insert(0, self.instance.owner)
        # Any active user passes the form: the service names an owner outside the team.
        field.queryset = User.objects.filter(is_active=True)
        field.widget.choices = [("", "—"), *[(u.pk, u.label) for u in offered]]
        field.required = False
        field.service_required = True
        if creating:
            owner = getattr(self.lead, "owner", None) or user
            if any(u.pk == owner.pk for u in offered):
                self.initial.setdefault("owner", owner.pk)

    # --- cleaning ----------------------------------------------------------------------
    def clean_amount(self):
        value = self.cleaned_data.get("amount")
        if value is not None and value < 0:
            raise forms.ValidationError(_("Enter an amount of 0 or more (in CNY), e.g. 120000.00."))
        return value

    def clean_expected_close_date(self):
        value = self.cleaned_data.get("expected_close_date")
        if value is None:
            return value
        latest = clock.today().year + LATEST_CLOSE_YEARS_AHEAD
        if not (EARLIEST_CLOSE_YEAR <= value.year <= latest):
            raise forms.ValidationError(
                _("Enter a close date between %(first)s and %(last)s, e.g. %(example)s.")
                % {
                    "first": EARLIEST_CLOSE_YEAR,
                    "last": latest,
                    "example": (clock.today() + dt.timedelta(days=30)).isoformat(),
                }
            )
        return value

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("required_fields", None)
        if "owner" in data and data["owner"] is None:
            del data["owner"]
        if "pipeline" in data and data["pipeline"] is None:
            del data["pipeline"]
        if not data.get("name") and self.instance.pk:
            data.pop("name", None)  # keep the current name
        data["contacts"] = list(data.get("contacts") or [])
        if "amount" in data and data["amount"] is None:
            data["amount"] = Decimal("0")
        if not data.get("commit_category"):
            data.pop("commit_category", None)  # new: the default; editing: unchanged
        if data.get("product_line") is None:
            data["product_line"] = ""
        return data


class EvidenceForm(TablerFormMixin, forms.Form):
    """One evidence file for the deal's current stage; ``evidence.evidence_add`` checks the
    type, size and content."""

    type = forms.ChoiceField(label=capfirst(_("evidence type")))
    file = forms.FileField(label=capfirst(_("file")), required=False)
    note = forms.CharField(label=capfirst(_("note")), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = choices.choices(choices.EVIDENCE_TYPE, blank=True)
        self.fields["type"].required = False
        self.fields["file"].service_required = True
        self.fields["type"].service_required = True


class ReassignForm(TablerFormMixin, forms.Form):
    owner = forms.ModelChoiceField(
        label=capfirst(_("new owner")), queryset=User.objects.none(), required=False
    )
    reason = forms.CharField(label=capfirst(_("reason")), max_length=500, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        field.queryset = User.objects.filter(is_active=True)
        field.widget.choices = [("", "—"), *[(u.pk, u.label) for u in selling_users(user)]]
        field.service_required = True
