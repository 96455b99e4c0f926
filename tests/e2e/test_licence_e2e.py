"""Business-licence photo in a real browser: a rep on quick entry (phone) photographs a
licence, waits for the fields read, fixes one, confirms, and the form's inputs are filled
and saved into the lead; on the account page the credit code lands in its field and the
fields the form lacks in the notes; a file that is not a photo shows why, and nothing is
stored. The live server's worker is immediate (TESTING), so the upload returns read."""

from __future__ import annotations

import random
import re
import time

import pytest
from playwright.sync_api import expect

from salesops.leads.models import Lead
from salesops.licence.models import LicenceScan
from salesops.licence.tests import synthetic
from tests.e2e.conftest import login

READ_TIMEOUT = 120_000  # ms: OCR on a busy 2-core machine; the figure is in bench/


@pytest.fixture
def licence(tmp_path):
    if not synthetic.FONT_PATH.exists():
        pytest.skip(f"{synthetic.FONT_PATH} is missing: run `make system-deps`")
    from faker import Faker

    faker = Faker("zh_CN")
    faker.seed_instance(11)
    # The qr layout: labels and values in separate boxes, the code under its label.
    return synthetic.make_licence(random.Random(11), faker, 1, tmp_path)


def test_rep_on_a_phone_fills_quick_entry_from_a_licence_photo(phone_page, org, licence):
    page = phone_page
    login(page, "rep_a", org.password)
    started = time.monotonic()
    page.goto("/leads/new/")
    page.wait_for_load_state("load")
    page.set_input_files("[data-testid=licence-file]", str(licence.path))
    review = page.locator("[data-testid=licence-review]")
    expect(review).to_be_visible(timeout=READ_TIMEOUT)
    truth = licence.truth
    expect(page.locator("[data-testid=licence-value-name]")).to_have_value(truth["name"])
    expect(page.locator("[data-testid=licence-value-credit_code]")).to_have_value(
        truth["credit_code"]
    )
    # The rep fixes the address (the licence's 住所 is not where they visit).
    fixed = "浙江省杭州市滨江区网商路599号"
    page.fill("[data-testid=licence-value-address]", fixed)
    page.locator("[data-testid=licence-confirm]").tap()
    expect(page.locator("[data-testid=licence-done]")).to_be_visible()
    expect(page.locator("[data-testid=quick-company]")).to_have_value(truth["name"])
    expect(page.locator("#id_address")).to_have_value(fixed)
    # The photo was not kept: no scan id rides along with the form.
    expect(page.locator("[data-testid=licence-scan-id]")).to_have_value("")
    page.fill("[data-testid=quick-contact_name]", truth["legal_rep"])
    page.fill("[data-testid=quick-phone]", "138 0013 8000")
    page.fill("[data-testid=quick-need]", "想了解产线数字化方案")
    with page.expect_navigation():
        page.locator("[data-testid=quick-save]").tap()
    form = page.locator("[data-testid=quick-form]")
    assert re.search(r"/leads/\d+/$", page.url), form.inner_text() if form.count() else page.url
    elapsed = time.monotonic() - started
    lead = Lead.objects.get()
    assert (lead.company, lead.address, lead.owner) == (truth["name"], fixed, org.rep_a)
    scan = LicenceScan.objects.get()
    assert scan.user == org.rep_a and not scan.image
    print(f"\nregistration from the licence photo to the saved lead: {elapsed:.1f} s")


def test_account_form_takes_the_code_and_notes_the_rest(desktop_page, org, licence):
    page = desktop_page
    login(page, "rep_a", org.password)
    page.goto("/customers/accounts/new/")
    page.wait_for_load_state("load")
    page.check("[data-testid=licence-keep]")
    page.set_input_files("[data-testid=licence-file]", str(licence.path))
    expect(page.locator("[data-testid=licence-review]")).to_be_visible(timeout=READ_TIMEOUT)
    # The type is left out of the notes.
    page.locator("tr[data-field=type] [data-licence-use]").uncheck()
    page.click("[data-testid=licence-confirm]")
    truth = licence.truth
    expect(page.locator("#id_name")).to_have_value(truth["name"])
    expect(page.locator("#id_credit_code")).to_have_value(truth["credit_code"])
    notes = page.locator("#id_notes").input_value()
    assert f"Legal representative: {truth['legal_rep']}" in notes
    assert f"Date of establishment: {truth['established']}" in notes
    assert truth["type"] not in notes
    scan = LicenceScan.objects.get()
    expect(page.locator("[data-testid=licence-scan-id]")).to_have_value(str(scan.pk))
    assert scan.keep_photo and scan.image


def test_a_file_that_is_not_a_photo_shows_the_message_and_stores_nothing(phone_page, org):
    page = phone_page
    login(page, "rep_b", org.password)
    page.goto("/leads/new/")
    page.wait_for_load_state("load")
    page.set_input_files(
        "[data-testid=licence-file]",
        files=[
            {"name": "licence.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 not a photo"}
        ],
    )
    expect(page.locator("[data-testid=licence-error]")).to_have_text(
        "This file is not a photo: choose a JPEG, PNG or WebP picture of the business licence."
    )
    expect(page.locator("[data-testid=licence-review]")).to_be_hidden()
    assert LicenceScan.objects.count() == 0
