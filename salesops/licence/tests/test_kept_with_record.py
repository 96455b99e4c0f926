"""A kept licence photo goes with the lead or account the form saved (L9): the record's
page links it, and whoever may see the record — not only its taker — may open it; a rep
who may not see the record gets a 404, and nobody attaches another user's photo."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesops.customers.tests.factories import AccountFactory
from salesops.leads.models import Lead
from salesops.licence import services
from salesops.licence.models import LicenceScan

pytestmark = pytest.mark.django_db


def _scan(client, data, django_capture_on_commit_callbacks, keep="1") -> int:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("licence:scan_create"),
            {"image": SimpleUploadedFile("licence.jpg", data), "keep_photo": keep},
        )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_quick_entry_keeps_the_photo_with_the_lead_for_those_who_see_it(
    client, org, licence_photo, django_capture_on_commit_callbacks
):
    data, truth = licence_photo
    client.force_login(org.rep_a)
    scan_id = _scan(client, data, django_capture_on_commit_callbacks)
    response = client.post(
        reverse("leads:quick_entry"),
        {
            "contact_name": "王芳",
            "phone": "138 0013 8000",
            "company": truth["name"],
            "need": "产线数字化",
            "licence_scan": str(scan_id),
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == lead.get_absolute_url()
    scan = LicenceScan.objects.get(pk=scan_id)
    assert (scan.record_type, scan.record_id) == ("lead", lead.pk)
    photo_url = reverse("leads:lead_licence_photo", args=[lead.pk])
    assert photo_url in client.get(lead.get_absolute_url()).content.decode()
    for user, status in ((org.rep_a, 200), (org.manager_east, 200), (org.rep_b, 404)):
        client.force_login(user)
        photo = client.get(photo_url)
        assert photo.status_code == status, user
        if status == 200:
            assert b"".join(photo.streaming_content) == data


def test_a_photo_not_kept_or_someone_elses_is_not_attached(
    client, org, licence_photo, django_capture_on_commit_callbacks
):
    data, _ = licence_photo
    client.force_login(org.rep_b)
    others = _scan(client, data, django_capture_on_commit_callbacks)
    client.force_login(org.rep_a)
    not_kept = _scan(client, data, django_capture_on_commit_callbacks, keep="")
    account = AccountFactory(owner=org.rep_a)
    for scan_id in (others, not_kept, "x", 10**9):
        assert (
            services.scan_attach(
                actor=org.rep_a, scan_id=scan_id, record_type="account", record_id=account.pk
            )
            is None
        )
    assert not LicenceScan.objects.exclude(record_type="").exists()
    page = client.get(reverse("customers:account_detail", args=[account.pk]))
    assert 'data-testid="licence-photo"' not in page.content.decode()
    assert (
        client.get(reverse("customers:account_licence_photo", args=[account.pk])).status_code == 404
    )


def test_the_account_page_links_the_kept_photo(
    client, org, licence_photo, django_capture_on_commit_callbacks
):
    data, _ = licence_photo
    client.force_login(org.rep_a)
    scan_id = _scan(client, data, django_capture_on_commit_callbacks)
    account = AccountFactory(owner=org.rep_a)
    services.scan_attach(
        actor=org.rep_a, scan_id=scan_id, record_type="account", record_id=account.pk
    )
    url = reverse("customers:account_licence_photo", args=[account.pk])
    assert (
        url in client.get(reverse("customers:account_detail", args=[account.pk])).content.decode()
    )
    assert client.get(url).status_code == 200
    client.force_login(org.rep_d)  # another team's rep
    assert client.get(url).status_code == 404
