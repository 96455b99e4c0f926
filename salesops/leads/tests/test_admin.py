"""The read-mostly admin: support staff find a lead and its trail; changes go through
the services (routing, SLA clock, caps, audit), so the admin offers none."""

import pytest
from django.urls import reverse

from salesops.leads.models import Lead
from salesops.org.models import User

from .factories import intake, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    root = User.objects.create_superuser(username="root", password="x" * 12)
    client.force_login(root)
    return client


def test_lead_admin_lists_and_shows_but_does_not_change(staff_client, org):
    # given a routed lead
    make_rule(members=[{"user_id": org.rep_a.pk}])
    lead = intake(company="苏州华信精密机械有限公司").lead
    # then the admin lists it, finds it by company and shows it read-only
    changelist = staff_client.get(reverse("admin:leads_lead_changelist"), {"q": "华信精密"})
    assert changelist.status_code == 200
    assert "苏州华信精密机械有限公司" in changelist.content.decode()
    page = staff_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    # and refuses to add, change or delete one
    assert staff_client.get(reverse("admin:leads_lead_add")).status_code == 403
    staff_client.post(reverse("admin:leads_lead_change", args=[lead.pk]), {"company": "x"})
    assert Lead.objects.get(pk=lead.pk).company == "苏州华信精密机械有限公司"
    delete = reverse("admin:leads_lead_delete", args=[lead.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize(
    "model", ["inquiry", "assignment", "dailyleadcount", "channel", "routingrule"]
)
def test_the_other_lead_admin_lists_open(staff_client, org, model):
    make_rule(members=[{"user_id": org.rep_a.pk}])
    intake()
    assert staff_client.get(reverse(f"admin:leads_{model}_changelist")).status_code == 200
