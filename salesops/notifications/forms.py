"""Forms of the notifications pages. They parse; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

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
