"""The knowledge pages' forms: the item editor and the search bar."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import TablerFormMixin

from . import attachments, placeholders
from .models import Channel, Kind, KnowledgeItem, KnowledgeTag


def _label(name: str):
    return capfirst(KnowledgeItem._meta.get_field(name).verbose_name)


class ItemForm(TablerFormMixin, forms.Form):
    """Create or edit an item; the service checks everything (placeholders, industries,
    the file) and its errors are shown on these fields."""

    kind = forms.ChoiceField(label=_label("kind"), choices=Kind.choices)
    title = forms.CharField(label=_label("title"), max_length=200)
    summary = forms.CharField(
        label=_label("summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(label=_label("body"), widget=forms.Textarea(attrs={"rows": 10}))
    channel = forms.ChoiceField(label=_label("channel"), choices=Channel.choices)
    customer_types = forms.MultipleChoiceField(
        label=_label("customer_types"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Scripts only: leave empty for every customer type."),
    )
    tags = forms.CharField(
        label=_label("tags"),
        required=False,
        help_text=_("Separate tags with commas; new tags are created."),
    )
    attachment = forms.FileField(label=_label("attachment"), required=False)

    def __init__(self, *args, instance: KnowledgeItem | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": instance.kind,
                "title": instance.title,
                "summary": instance.summary,
                "body": instance.body,
                "channel": instance.channel,
                "customer_types": instance.customer_types,
                "tags": ", ".join(t.label_zh for t in instance.tags.all()),
            }
        super().__init__(*args, **kwargs)
        self.fields["customer_types"].choices = choices.choices(choices.INDUSTRY)
        self.fields["body"].help_text = _("Placeholders: %(vocabulary)s") % {
            "vocabulary": placeholders.vocabulary_text()
        }
        self.fields["attachment"].help_text = _("Course files: %(types)s, at most %(mb)s MB.") % {
            "types": ", ".join(attachments.ALLOWED_EXTENSIONS),
            "mb": attachments.max_mb(),
        }

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = [t.strip() for t in data["tags"].replace("，", ",").split(",") if t.strip()]
        return data


class SearchForm(forms.Form):
    """The list page's query and filters (a bad value is ignored, not an error page)."""

    q = forms.CharField(required=False, max_length=500)
    kind = forms.ChoiceField(required=False, choices=[("", "")] + list(Kind.choices))
    tag = forms.ModelChoiceField(required=False, queryset=KnowledgeTag.objects.all())
    channel = forms.ChoiceField(required=False, choices=[("", "")] + list(Channel.choices))
    customer_type = forms.ChoiceField(required=False)
    inactive = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_type"].choices = [("", "")] + choices.all_choices(choices.INDUSTRY)
