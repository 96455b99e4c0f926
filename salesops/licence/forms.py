"""Settings · Business licence. The form only parses; services.policy_save validates."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

from .models import LicencePolicy


class PolicyForm(TablerFormMixin, forms.Form):
    max_image_mb = forms.IntegerField(
        label=_("Largest photo (MB)"),
        min_value=1,
        max_value=50,
        help_text=_("A bigger photo is refused before it is stored or read."),
    )
    keep_photo_default = forms.BooleanField(
        label=_("Keep the photo as an attachment by default"),
        required=False,
        help_text=_(
            "The “keep the photo” box starts ticked. Otherwise a photo is deleted as soon "
            "as it has been read."
        ),
    )

    def __init__(self, *args, policy: LicencePolicy, **kwargs):
        initial = {name: getattr(policy, name) for name in self.base_fields}
        super().__init__(*args, initial=initial, **kwargs)

    def attach_errors(self, errors: dict) -> None:
        """The service's errors by field (unknown fields go to the form)."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
