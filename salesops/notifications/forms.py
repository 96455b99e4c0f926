"""Forms of the notifications pages. They parse; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChannelConfig


def tabler(form: forms.BaseForm) -> None:
    """Give every widget the toolkit's class (the service's errors mark them invalid)."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        widget.attrs["class"] = css


class ChannelForm(forms.ModelForm):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tabler(self)

    def _post_clean(self):
        # The service validates (URL safety, required per kind) and saves.
        pass

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "clear_secret"}
        if self.cleaned_data.get("clear_secret"):
            data["secret"] = None
        return data
