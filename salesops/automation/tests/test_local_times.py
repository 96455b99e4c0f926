"""Every instant on the rule pages — the preview's values and due time, the firing log's
"why" — is shown in the organisation's time zone (Asia/Shanghai), never in UTC."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from salesops.core import clock
from salesops.customers.tests.factories import make_account

from .conftest import at, make_rule, tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


def local(instant: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(instant), "SHORT_DATETIME_FORMAT")


def test_preview_and_firing_log_show_local_times(admin_client, org, sent):
    created = at("2026-11-23", "09:30")  # 01:30 UTC
    rule = make_rule(
        org.admin,
        when=created - dt.timedelta(hours=1),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "unit": "calendar"},
        condition="created_at != None and level == 'A'",
        actions=[{"kind": "notify", "to": ["owner"], "title": "Call {name}"}],
    )
    with clock.frozen(created):
        account = make_account(org.rep_a, level="A")
    url = reverse("automation:rule_preview", args=[rule.pk])
    html = admin_client.post(url, {"preview_object_id": account.pk}, HTTP_HX_REQUEST="true")
    html = html.content.decode()
    assert f"<dd>{local(created)}</dd>" in html
    assert f'data-testid="preview-due">{local(created + dt.timedelta(minutes=60))}<' in html
    assert "01:30" not in html and "+00:00" not in html

    tick(at("2026-11-23", "10:35"))
    page = admin_client.get(reverse("automation:firing_list")).content.decode()
    assert local(created) in page
    assert "2026-11-23T01:30" not in page
