"""De-duplication on intake (SPEC L4): phone in any format, credit code, similar company
names; certain matches attach, uncertain ones are flagged, nothing is silently doubled."""

import pytest

from salesops.core.models import OrgSettings
from salesops.core.names import company_key
from salesops.customers.tests.factories import credit_code, make_account, make_contact
from salesops.leads import dedup, services
from salesops.leads.models import Lead
from salesops.notifications.models import Notification

from .factories import intake, make_channel, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(org):
    make_rule(members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}])
    return make_channel()


@pytest.mark.parametrize(
    "first,second",
    [
        ("138 0013 8000", "+86-13800138000"),
        ("13800138000", "+86 138-0013-8000"),
        ("(+86) 138 0013 8000", "8613800138000"),
    ],
)
def test_the_same_phone_in_different_formats_is_one_lead(routed, first, second):
    one = intake(routed, phone=first)
    two = intake(routed, phone=second, company="另一家公司", contact_name="王五")
    assert one.outcome == "created" and two.outcome == "attached"
    assert two.lead.pk == one.lead.pk
    assert Lead.objects.count() == 1
    assert Lead.objects.get().touches == 2


def test_a_repeat_inquiry_notifies_the_owner(routed, org, django_capture_on_commit_callbacks):
    lead = intake(routed, phone="13800138000").lead
    with django_capture_on_commit_callbacks(execute=True):
        intake(routed, phone="13800138000", need="又来问价格")
    assert Notification.objects.filter(
        recipient=lead.owner, title__contains="Repeat inquiry"
    ).exists()


def test_the_same_credit_code_is_one_lead(routed):
    code = credit_code(4242)
    one = intake(routed, credit_code=code)
    two = intake(routed, credit_code=code.lower())
    assert two.outcome == "attached" and two.lead.pk == one.lead.pk
    assert two.match.kind == "credit_code"


def test_a_near_identical_company_name_attaches(routed):
    one = intake(routed, company="上海华信精密机械有限公司")
    two = intake(routed, company="华信精密机械股份有限公司")
    assert company_key("上海华信精密机械有限公司") == company_key("华信精密机械股份有限公司")
    assert two.outcome == "attached" and two.lead.pk == one.lead.pk


def test_a_similar_company_name_is_flagged_for_review(routed):
    one = intake(routed, company="苏州华信精密机械有限公司")
    two = intake(routed, company="苏州华信精密机电有限公司")
    assert two.outcome == "created"
    assert two.lead.review_state == "review"
    assert two.lead.possible_duplicate_of == one.lead
    assert Lead.objects.count() == 2


def test_different_companies_are_not_matched(routed):
    intake(routed, company="北京星河软件有限公司")
    other = intake(routed, company="深圳蓝海物流有限公司")
    assert other.outcome == "created" and other.lead.review_state == ""


def test_an_existing_customer_goes_to_its_owner(routed, org):
    account = make_account(org.rep_d, name="广州南方电气有限公司")
    contact = make_contact(account, phone="13922223333")
    by_phone = intake(routed, phone="139 2222 3333")
    assert by_phone.lead.owner == org.rep_d and by_phone.lead.account == account
    assert "Existing customer" in by_phone.lead.assignments.get().reason
    by_name = intake(routed, company="广州南方电气股份有限公司")
    assert by_name.lead.owner == org.rep_d
    assert contact.pk


def test_closed_leads_do_not_swallow_new_inquiries(routed, org):
    lead = intake(routed, phone="13800138000").lead
    services.lead_set_status(actor=lead.owner, lead=lead, status="invalid", invalid_reason="spam")
    again = intake(routed, phone="13800138000")
    assert again.outcome == "created" and Lead.objects.count() == 2


def test_thresholds_are_organisation_settings(routed):
    OrgSettings.objects.create(dedup_name_review=99, dedup_name_certain=100)
    intake(routed, company="苏州华信精密机械有限公司")
    other = intake(routed, company="苏州华信精密机电有限公司")
    assert other.lead.review_state == ""


def test_company_keys():
    assert company_key("上海华信科技有限公司") == "华信科技"
    assert company_key("华信科技(上海)有限公司") == "华信科技"
    assert company_key("Acme Co., Ltd.") == "acme"
    assert dedup.similarity("华信科技", "华信科技") == 100


def test_reviewing_a_flagged_lead(routed, org):
    one = intake(routed, company="苏州华信精密机械有限公司").lead
    two = intake(routed, company="苏州华信精密机电有限公司").lead
    services.lead_review(actor=org.manager_east, lead=two, merge=True)
    two.refresh_from_db()
    one.refresh_from_db()
    assert (two.status, two.invalid_reason) == ("invalid", "duplicate")
    assert one.touches == 2 and one.inquiries.count() == 2
