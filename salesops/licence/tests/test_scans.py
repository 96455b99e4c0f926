"""A scan from the page and over the API: the photo is checked before anything is
stored, the worker (immediate in the tests) reads it, the page polls it; a user sees only
their own scans; the photo is kept only when asked; Settings · Business licence."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesops.core.tests.visibility_matrix import ROLES, Case, api_client, assert_matrix
from salesops.licence import services
from salesops.licence.models import LicencePolicy, LicenceScan, PhotoStorage
from salesops.licence.tests.conftest import png_bytes

pytestmark = pytest.mark.django_db

FIELDS = ("name", "credit_code", "legal_rep", "address", "capital", "type", "established")


def stored_photos() -> list:
    root = PhotoStorage().location
    import os

    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Post a photo to the page's endpoint; the worker's task, queued after the commit,
    runs at once (huey is immediate in the tests)."""

    def post(client, data: bytes, name="licence.jpg", url=None, field="image", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                url or reverse("licence:scan_create"),
                {field: SimpleUploadedFile(name, data), **extra},
            )

    return post


def test_a_rep_uploads_a_licence_and_polls_the_fields_read(client, org, licence_photo, upload):
    data, truth = licence_photo
    client.force_login(org.rep_a)
    response = upload(client, data)
    assert response.status_code == 201, response.content
    scan_id = response.json()["id"]
    body = client.get(reverse("licence:scan_detail", args=[scan_id])).json()
    assert body["state"] == "done" and body["progress"] == 100 and body["finished"]
    read = {key: entry["value"] for key, entry in body["fields"].items()}
    # Every field of this clean classic layout reads right; each carries a confidence.
    assert read == {key: truth[key] for key in FIELDS}
    assert all(0 < entry["confidence"] <= 1 for entry in body["fields"].values())
    assert body["fields"]["credit_code"]["status"] in ("valid", "corrected")
    scan = LicenceScan.objects.get(pk=scan_id)
    assert scan.user == org.rep_a and scan.ocr_seconds > 0 and scan.finished_at
    # Not kept (the default): the photo is gone once read.
    assert not scan.image and body["has_photo"] is False
    assert stored_photos() == []
    assert scan.history.count() == 2  # uploaded, read


def test_a_kept_photo_is_served_to_its_owner_only(client, org, licence_photo, upload):
    data, _ = licence_photo
    client.force_login(org.rep_a)
    scan_id = upload(client, data, keep_photo="1").json()["id"]
    scan = services.scan_for(org.rep_a, scan_id)
    assert scan.keep_photo and scan.image
    assert len(stored_photos()) == 1
    photo = client.get(reverse("licence:scan_photo", args=[scan_id]))
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == data
    client.force_login(org.rep_b)
    assert client.get(reverse("licence:scan_photo", args=[scan_id])).status_code == 404
    assert client.get(reverse("licence:scan_detail", args=[scan_id])).status_code == 404
    client.force_login(org.admin)  # not even an admin: the scan is its taker's
    assert client.get(reverse("licence:scan_detail", args=[scan_id])).status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4\n1 0 obj <<>> endobj\n", "licence.jpg", "This file is not a photo"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 500, "cut.jpg", "This file is not a photo"),
        (b"", "empty.png", "This file is not a photo"),
        (png_bytes(120, 90), "tiny.png", "too small to read"),
    ],
    ids=["pdf", "broken-jpeg", "empty", "too-small"],
)
def test_a_file_that_is_no_usable_photo_is_refused_and_nothing_is_written(
    client, org, data, name, message, upload
):
    client.force_login(org.rep_a)
    response = upload(client, data, name=name)
    assert response.status_code == 422
    body = response.json()
    assert message in body["message"]
    assert list(body["errors"]) == ["image"]
    assert LicenceScan.objects.count() == 0 and stored_photos() == []


def test_a_photo_over_the_size_limit_is_refused_before_it_is_read(client, org, upload):
    services.policy_save(actor=org.admin, max_image_mb=1, keep_photo_default=False)
    big = png_bytes(800, 800, noise=True)  # random pixels do not compress: about 1.9 MB
    assert len(big) > 1_048_576
    client.force_login(org.rep_a)
    response = upload(client, big, name="big.png")
    assert response.status_code == 422
    assert "the largest accepted is 1 MB" in response.json()["errors"]["image"][0]
    assert LicenceScan.objects.count() == 0 and stored_photos() == []


def test_a_picture_that_is_no_licence_fails_with_the_reason(client, org, holiday_photo, upload):
    client.force_login(org.rep_a)
    response = upload(client, holiday_photo, name="beach.png", keep_photo="1")
    assert response.status_code == 201
    body = client.get(reverse("licence:scan_detail", args=[response.json()["id"]])).json()
    assert body["state"] == "failed"
    assert "does not look like a business licence" in body["error"]
    assert body["fields"] == {}
    # Even asked to keep it, a picture that is not a licence is not kept.
    assert body["has_photo"] is False and stored_photos() == []


def test_the_api_upload_and_poll(org, licence_photo, upload):
    data, truth = licence_photo
    client = api_client(org.rep_c)
    response = upload(client, data, url="/api/v1/licence/scans")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "queued"  # the worker starts after the commit
    body = client.get(f"/api/v1/licence/scans/{response.json()['id']}").json()
    assert body["state"] == "done"
    assert body["fields"]["credit_code"]["value"] == truth["credit_code"]
    refused = upload(client, b"GIF89a not", url="/api/v1/licence/scans")
    assert refused.status_code == 422
    assert refused.json()["field"] == "image"
    assert LicenceScan.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_the_scans_matrix_each_user_sees_only_their_own(org, role):
    records = {
        owner: LicenceScan.objects.create(user=getattr(org, owner), state="done", progress=100)
        for owner in ROLES
    }
    own = {name: frozenset({name}) for name in ROLES}
    case = Case(list="/api/v1/licence/scans", detail="/api/v1/licence/scans/{pk}")
    assert_matrix(case, org=org, role=role, records=records, sees=own)


def test_settings_page_admin_saves_a_rep_is_refused_bad_values_save_nothing(client, org):
    url = reverse("licence:policy")
    client.force_login(org.rep_a)
    assert client.get(url).status_code == 403
    client.force_login(org.admin)
    page = client.get(url)
    assert page.status_code == 200 and b'value="10"' in page.content
    bad = client.post(url, {"max_image_mb": "0"})
    assert bad.status_code == 422
    assert LicencePolicy.objects.count() == 0
    saved = client.post(url, {"max_image_mb": "4", "keep_photo_default": "on"})
    assert saved.status_code == 302
    policy = LicencePolicy.current()
    assert (policy.max_image_mb, policy.keep_photo_default) == (4, True)
    assert policy.history.count() == 1
    with pytest.raises(Exception) as refused:
        services.policy_save(actor=org.admin, max_image_mb=999)
    assert "max_image_mb" in refused.value.message_dict
    assert LicencePolicy.current().max_image_mb == 4


def test_the_forms_carry_the_scan_control_and_keep_photo_follows_the_setting(client, org):
    client.force_login(org.rep_a)
    quick = client.get(reverse("leads:quick_entry")).content.decode()
    assert 'data-testid="licence-scan"' in quick and 'capture="environment"' in quick
    assert (
        'data-input="id_company"' in quick
        and 'data-licence-keep data-testid="licence-keep">' in quick
    )
    services.policy_save(actor=org.admin, max_image_mb=10, keep_photo_default=True)
    account = client.get(reverse("customers:account_create")).content.decode()
    assert 'data-input="id_credit_code"' in account and 'data-notes-input="id_notes"' in account
    assert 'data-licence-keep data-testid="licence-keep" checked' in account
