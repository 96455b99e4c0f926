"""Forms of the notifications pages. They parse; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import PageFormMixin, TablerBoundField, TablerFormMixin

from .models import ChannelConfig


class ChannelForm(TablerFormMixin, forms.ModelForm):
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "DingTalk “SEC…” or Feishu signature key, if the bot has signing switched on. "
            "Leave empty to keep the stored one."
        ),
    )
    clear_secret = forms.BooleanField(label=_("remove the stored secret"), required=False)

    class Meta:
        model = ChannelConfig
        fields = ("kind", "name", "webhook_url", "secret", "email_to", "active")
        widgets = {"webhook_url": forms.URLInput(attrs={"inputmode": "url"})}

    def _post_clean(self):
        # The service validates (URL safety, required per kind) and saves.
        pass

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "clear_secret"}
        if self.cleaned_data.get("clear_secret"):
            data["secret"] = None
        return data


class DeliveryPolicyForm(PageFormMixin, forms.Form):
    """The deliveries' retry policy (sales-ops admins)."""

    bound_field_class = TablerBoundField

    max_attempts = forms.IntegerField(
        label=_("Maximum attempts"),
        min_value=1,
        max_value=20,
        help_text=_("Attempts before a delivery is given up (1–20)."),
    )
    first_retry_seconds = forms.IntegerField(
        label=_("First retry after (seconds)"),
        min_value=10,
        max_value=21600,
        help_text=_("Wait after the first failure (10–21600 s); each later wait doubles."),
    )

    def __init__(self, *args, policy, **kwargs):
        self.versioned_instance = policy
        kwargs.setdefault(
            "initial",
            {
                "max_attempts": policy.max_attempts,
                "first_retry_seconds": policy.first_retry_seconds,
            },
        )
        super().__init__(*args, **kwargs)
