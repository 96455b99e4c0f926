"""Forms of the inbox pages: they parse; the services check and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import ServiceModelForm

from .configuration import masked
from .models import SECRET_FIELDS, InboxSource, ScenarioRule

SECRET_HINT = _("Stored: %(masked)s. Leave empty to keep it.")


class SourceForm(ServiceModelForm):
    """A source; secrets are never shown back (only their last characters in the hint)."""

    class Meta:
        model = InboxSource
        fields = [
            "kind",
            "name",
            "is_active",
            "corp_id",
            "agent_id",
            "token",
            "aes_key",
            "agent_secret",
            "app_secret",
            "api_base",
            "imap_host",
            "imap_port",
            "imap_user",
            "imap_password",
            "imap_folder",
            "imap_ssl",
            "poll_minutes",
            "replay_window_seconds",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.let_required_through()
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            stored = getattr(self.instance, name, "") if self.instance.pk else ""
            if stored:
                field.help_text = SECRET_HINT % {"masked": masked(stored)}
        if self.instance.pk:
            self.fields["kind"].disabled = True

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if self.instance.pk:
            data.pop("kind", None)
        return data


class RuleForm(ServiceModelForm):
    class Meta:
        model = ScenarioRule
        fields = ["scenario", "keywords", "priority", "is_active"]
        widgets = {"keywords": forms.Textarea(attrs={"rows": 8})}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000
    )
