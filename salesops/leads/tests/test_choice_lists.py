"""A lead's industry, company size and invalid reason are codes of editable lists
(issue 13, item 3): only active codes are accepted, with the field and the allowed codes
named; a deactivated reason is no longer offered but still shows its label."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesops.core.models import Choice
from salesops.leads import services

from .test_views import new_lead


def deactivate(key: str, code: str) -> None:
    choice = Choice.objects.get(choice_list__key=key, code=code)
    choice.is_active = False
    choice.save()


def test_an_unknown_invalid_reason_is_refused_naming_the_codes(org):
    lead = new_lead(owner=org.rep_a)
    with pytest.raises(ValidationError) as exc:
        services.lead_set_status(
            actor=org.rep_a, lead=lead, status="invalid", invalid_reason="too_far"
        )
    message = " ".join(exc.value.message_dict["invalid_reason"])
    assert "too_far" in message and "no_need" in message
    lead.refresh_from_db()
    assert lead.status == "new"


def test_an_unknown_industry_is_refused_on_intake(org):
    with pytest.raises(ValidationError) as exc:
        new_lead(owner=org.rep_a, industry="mining")
    assert "industry" in exc.value.message_dict


def test_a_deactivated_reason_is_not_offered_but_still_shown(client, org):
    lead = new_lead(owner=org.rep_a)
    services.lead_set_status(actor=org.rep_a, lead=lead, status="invalid", invalid_reason="spam")
    deactivate("lead_invalid_reason", "spam")
    other = new_lead(owner=org.rep_a)
    client.force_login(org.rep_a)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert "Spam or test" in page  # the stored reason keeps its label
    page = client.get(reverse("leads:lead_detail", args=[other.pk])).content.decode()
    assert 'value="spam"' not in page and 'value="no_need"' in page
    with pytest.raises(ValidationError):
        services.lead_set_status(
            actor=org.rep_a, lead=other, status="invalid", invalid_reason="spam"
        )
