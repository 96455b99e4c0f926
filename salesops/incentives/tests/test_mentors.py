"""Mentor pairs (I5): mentor ≠ mentee, both active reps or managers, the end not before
the start, no overlapping pair for one mentee — each a 422 naming the field, nothing
written; configurers edit, a manager reads their team's pairs, a rep nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from salesops.incentives import mentors
from salesops.incentives.models import MentorPair
from salesops.org.tests.factories import build_org

pytestmark = pytest.mark.django_db
JAN, MAR, JUN = dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 6, 30)


@pytest.fixture
def org():
    return build_org()


def refused(org, **data) -> dict:
    before = MentorPair.objects.count()
    with pytest.raises(ValidationError) as exc:
        mentors.create_pair(by=org.admin, **data)
    assert MentorPair.objects.count() == before
    return exc.value.message_dict


def test_validation(org):
    errors = refused(org, mentor=org.rep_a, mentee=org.rep_a, starts_on=JAN)
    assert "themselves" in errors["mentee"][0]
    errors = refused(org, mentor=org.rep_a, mentee=org.rep_b, starts_on=MAR, ends_on=JAN)
    assert "2026-01-01" in errors["ends_on"][0]
    errors = refused(org, mentor=org.finance, mentee=org.cs, starts_on=JAN)
    assert set(errors) == {"mentor", "mentee"}
    org.rep_c.is_active = False
    org.rep_c.save()
    errors = refused(org, mentor=org.rep_c, mentee=999999, starts_on="2026-13-01")
    assert "inactive" in errors["mentor"][0]
    assert set(errors) == {"mentor", "mentee", "starts_on"}


def test_no_overlap_for_one_mentee(org):
    first = mentors.create_pair(
        by=org.admin, mentor=org.rep_a, mentee=org.rep_b, starts_on=JAN, ends_on=JUN
    )
    errors = refused(org, mentor=org.manager_east, mentee=org.rep_b, starts_on=MAR)
    assert "Rep A" in errors["starts_on"][0]
    errors = refused(org, mentor=org.rep_d, mentee=org.rep_b, starts_on=dt.date(2025, 6, 1))
    assert "starts_on" in errors  # open-ended from before: meets the first pair
    # After the first pair ends: fine; and another mentee at the same time: fine.
    mentors.create_pair(
        by=org.admin, mentor=org.rep_d, mentee=org.rep_b, starts_on=dt.date(2026, 7, 1)
    )
    mentors.create_pair(by=org.admin, mentor=org.rep_a, mentee=org.rep_c, starts_on=MAR)
    # Changing the first pair to run on into the second is refused; itself never clashes.
    with pytest.raises(ValidationError) as exc:
        mentors.update_pair(by=org.admin, pair=first, ends_on=None)
    assert "starts_on" in exc.value.message_dict
    assert MentorPair.objects.get(pk=first.pk).ends_on == JUN
    mentors.update_pair(by=org.admin, pair=first, note="moved", ends_on=dt.date(2026, 6, 1))
    first.refresh_from_db()
    assert first.note == "moved" and first.history.count() == 2


def test_end_pair(org):
    pair = mentors.create_pair(by=org.admin, mentor=org.rep_a, mentee=org.rep_b, starts_on=JAN)
    ended = mentors.end_pair(by=org.admin, pair=pair, ends_on=MAR)
    assert ended.ends_on == MAR


def test_who_sees_and_edits(org):
    east = mentors.create_pair(by=org.admin, mentor=org.rep_a, mentee=org.rep_b, starts_on=JAN)
    south = mentors.create_pair(
        by=org.admin, mentor=org.rep_d, mentee=org.manager_south, starts_on=JAN
    )
    assert set(mentors.pairs_list(org.director)) == {east, south}
    assert list(mentors.pairs_list(org.manager_east)) == [east]
    assert list(mentors.pairs_list(org.manager_east, q="rep d")) == []
    assert list(mentors.pairs_list(org.admin, q="rep d")) == [south]
    with pytest.raises(PermissionDenied):
        mentors.require_viewer(org.rep_a)
    with pytest.raises(PermissionDenied):
        mentors.create_pair(by=org.manager_east, mentor=org.rep_a, mentee=org.rep_c, starts_on=JAN)


def test_pages(client, org):
    pair = mentors.create_pair(by=org.admin, mentor=org.rep_a, mentee=org.rep_b, starts_on=JAN)
    other = mentors.create_pair(
        by=org.admin, mentor=org.rep_d, mentee=org.manager_south, starts_on=JAN
    )
    client.force_login(org.rep_a)
    assert client.get(reverse("incentives:mentor_list")).status_code == 403
    assert client.get(reverse("incentives:mentor_new")).status_code == 403
    client.force_login(org.manager_east)
    page = client.get(reverse("incentives:mentor_list")).content.decode()
    assert f'data-id="{pair.pk}"' in page and f'data-id="{other.pk}"' not in page
    assert 'role="search"' in page and "new-pair" not in page
    assert client.get(reverse("incentives:mentor_edit", args=[pair.pk])).status_code == 403
    client.force_login(org.admin)
    page = client.get(reverse("incentives:mentor_list"), {"q": "Rep D"}).content.decode()
    assert f'data-id="{other.pk}"' in page and f'data-id="{pair.pk}"' not in page
    export = client.get(reverse("incentives:mentor_list"), {"q": "Rep A", "export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Rep A" in body and "Rep D" not in body
    data = {"mentor": org.rep_c.pk, "mentee": org.rep_c.pk, "starts_on": "2026-02-01"}
    response = client.post(reverse("incentives:mentor_new"), data)
    assert response.status_code == 422 and "themselves" in response.content.decode()
    assert MentorPair.objects.count() == 2
    data["mentee"] = org.rep_d.pk
    assert client.post(reverse("incentives:mentor_new"), data).status_code == 302
    edit = reverse("incentives:mentor_edit", args=[pair.pk])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "mentor": org.rep_a.pk,
            "mentee": org.rep_b.pk,
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-01",
        },
    )
    assert response.status_code == 422 and MentorPair.objects.get(pk=pair.pk).ends_on is None
    assert client.post(edit, {"end": "1"}).status_code == 302
    assert MentorPair.objects.get(pk=pair.pk).ends_on is not None
