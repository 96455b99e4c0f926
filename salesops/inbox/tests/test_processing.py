"""One intake for every channel: matching the sender, tagging the scenario, and what each
scenario leads to (a lead, a complaint, the renewal)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.aftersales.models import Complaint
from salesops.aftersales.tests.factories import make_renewal
from salesops.core import clock
from salesops.customers.tests.factories import make_account, make_contact
from salesops.inbox import configuration, matching, services
from salesops.inbox.models import ContactHandle, MatchedBy, Message, Scenario
from salesops.leads.models import Lead

pytestmark = pytest.mark.django_db


def receive(source, sender, body, msg_id, **kw):
    return services.message_receive(
        source=source, source_message_id=msg_id, sender_address=sender, body=body, **kw
    )


@pytest.fixture
def customer(org):
    account = make_account(org.rep_a, name="上海精工机械有限公司")
    contact = make_contact(
        account, name="王强", phone="+8613900000006", email="wang@jinggong-example.cn"
    )
    return contact


def test_an_inquiry_from_an_unknown_sender_becomes_a_lead_through_the_intake(api_source):
    message, created = receive(
        api_source,
        "13812340001",
        "你好，我们是苏州恒达电子有限公司，想了解MES系统的报价。",
        "q-1",
        sender_name="李经理",
    )
    assert created
    lead = message.lead
    assert lead is not None
    assert (lead.phone, lead.company, lead.contact_name) == (
        "+8613812340001",
        "苏州恒达电子有限公司",
        "李经理",
    )
    assert lead.channel == api_source.lead_channel
    assert lead.inquiries.count() == 1
    assert message.scenario == Scenario.INQUIRY
    assert message.assignee == lead.owner
    assert message.outcome_note


def test_a_second_inquiry_from_the_same_phone_is_matched_to_the_open_lead(api_source):
    first, _ = receive(api_source, "13812340002", "想要一份报价", "q-2")
    second, _ = receive(api_source, "138 1234 0002", "再问一下价格", "q-3")
    assert second.lead == first.lead
    assert second.matched_by == MatchedBy.LEAD
    assert Lead.objects.count() == 1


def test_an_inquiry_without_a_phone_number_makes_no_lead_and_says_why(api_source):
    message, _ = receive(api_source, "someone@nowhere-example.com", "Pricing please", "q-4")
    assert message.lead is None
    assert "no phone number" in message.outcome_note
    assert not Lead.objects.exists()


def test_matching_by_normalised_phone_email_any_case_and_known_wecom_id(
    org, customer, api_source, wecom_source
):
    by_phone, _ = receive(api_source, "139-0000-0006", "hello", "m-1")
    by_email, _ = receive(api_source, "WANG@Jinggong-Example.CN", "hello", "m-2")
    ContactHandle.objects.create(kind="wecom", value="wm_wang", contact=customer)
    by_handle, _ = receive(wecom_source, "wm_wang", "hello", "m-3")
    by_body, _ = receive(api_source, "unknown-id", "我的电话是 139 0000 0006", "m-4")
    assert [m.contact for m in (by_phone, by_email, by_handle, by_body)] == [customer] * 4
    assert [m.matched_by for m in (by_phone, by_email, by_handle, by_body)] == [
        MatchedBy.PHONE,
        MatchedBy.EMAIL,
        MatchedBy.HANDLE,
        MatchedBy.PHONE,
    ]
    assert {m.assignee for m in (by_phone, by_email, by_handle)} == {org.rep_a}


def test_a_complaint_from_a_matched_customer_records_a_complaint(org, customer, api_source):
    message, _ = receive(api_source, "13900000006", "设备故障两天了，没人处理，非常不满", "c-1")
    complaint = message.complaint
    assert complaint is not None
    assert (complaint.account, complaint.contact, complaint.owner) == (
        customer.account,
        customer,
        org.rep_a,
    )
    assert complaint.source == "inbox"
    assert complaint.raised_on == clock.today()
    assert complaint.history.first().history_type == "+"


def test_a_complaint_from_an_unknown_sender_waits_for_a_link(org, customer, api_source):
    message, _ = receive(api_source, "wx-unknown", "要求退款！", "c-2")
    assert message.complaint is None and message.assignee is None
    linked = services.message_link(actor=org.manager_east, message=message, contact=customer)
    assert linked.complaint is not None
    assert linked.complaint.account == customer.account
    assert linked.matched_by == MatchedBy.MANUAL


def test_a_renewal_message_attaches_to_the_accounts_open_renewal(customer, api_source):
    today = clock.today()
    renewal = make_renewal(customer.account, due_on=today + dt.timedelta(days=30))
    make_renewal(customer.account, due_on=today + dt.timedelta(days=400))
    message, _ = receive(api_source, "13900000006", "合同快到期了，我们想续约", "r-1")
    assert message.renewal == renewal
    assert list(renewal.inbox_messages.all()) == [message]


def test_a_renewal_message_without_an_open_renewal_says_so(customer, api_source):
    message, _ = receive(api_source, "13900000006", "续费怎么办理", "r-2")
    assert message.renewal is None
    assert "no open renewal" in message.outcome_note


def test_linking_remembers_the_wecom_id_for_the_next_message(org, customer, wecom_source):
    first, _ = receive(wecom_source, "wm_new_person", "你好", "w-1")
    services.message_link(actor=org.manager_east, message=first, contact=customer)
    assert ContactHandle.objects.get(value="wm_new_person").contact == customer
    second, _ = receive(wecom_source, "wm_new_person", "再问一下", "w-2")
    assert second.contact == customer and second.matched_by == MatchedBy.HANDLE


def test_a_rep_cannot_link_a_message_they_do_not_see(org, customer, api_source):
    message, _ = receive(api_source, "wx-unknown-2", "hello", "l-1")
    with pytest.raises(PermissionDenied):
        services.message_link(actor=org.rep_b, message=message, contact=customer)
    message.refresh_from_db()
    assert message.contact is None


def test_the_same_message_id_twice_changes_nothing(customer, api_source):
    first, created = receive(api_source, "13900000006", "设备故障", "d-1")
    again, created_again = receive(api_source, "13900000006", "other text", "d-1")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.body == "设备故障"
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"source_message_id": ""}, "source_message_id"),
        ({"source_message_id": "x" * 201}, "source_message_id"),
        ({"sender_address": ""}, "sender_address"),
        ({"body": "", "subject": ""}, "body"),
        ({"body": "x" * 20001}, "body"),
        ({"body": 42}, "body"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(api_source, fields, bad):
    data = {"source_message_id": "b-1", "sender_address": "138", "body": "hi", **fields}
    with pytest.raises(ValidationError) as exc:
        services.message_receive(source=api_source, **data)
    assert bad in exc.value.message_dict
    assert not Message.objects.exists()


def test_a_switched_off_source_takes_nothing(org, api_source):
    configuration.source_save(actor=org.admin, source=api_source, is_active=False)
    with pytest.raises(ValidationError) as exc:
        receive(api_source, "138", "hi", "x-1")
    assert "source" in exc.value.message_dict


def test_tagging_prefers_the_higher_priority_rule_and_shows_the_keyword(org):
    rules = matching.active_rules()
    assert matching.tag("", "续费的价格是多少？", rules) == matching.Tag(
        "renewal", "续费", matching.tag("", "续费", rules).rule_id
    )
    assert matching.tag("Refund", "we want a quote and a refund", rules).scenario == "complaint"
    assert matching.tag("", "明天见", rules).scenario == "other"


def test_an_edited_rule_applies_to_the_next_message(org, api_source):
    configuration.rule_save(actor=org.admin, scenario="complaint", keywords="卡死", priority=50)
    message, _ = receive(api_source, "wx-1", "系统老是卡死", "k-1")
    assert (message.scenario, message.scenario_keyword) == ("complaint", "卡死")


def test_only_configurers_change_rules_and_sources(org):
    with pytest.raises(PermissionDenied):
        configuration.rule_save(actor=org.rep_a, scenario="inquiry", keywords="x")
    with pytest.raises(PermissionDenied):
        configuration.source_save(actor=org.manager_east, kind="api", name="x")


def test_source_settings_bad_input(org):
    with pytest.raises(ValidationError) as exc:
        configuration.source_save(
            actor=org.admin, kind="wecom", name="w", corp_id="c", token="t", aes_key="short"
        )
    assert "aes_key" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        configuration.source_save(
            actor=org.admin, kind="dingtalk", name="d", app_secret="s", replay_window_seconds=7200
        )
    assert "replay_window_seconds" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        configuration.source_save(actor=org.admin, kind="email", name="m")
    assert {"imap_host", "imap_user", "imap_password"} <= set(exc.value.message_dict)


def test_an_empty_secret_in_an_edit_keeps_the_stored_one(org, wecom_source):
    configuration.source_save(actor=org.admin, source=wecom_source, token="", name="Renamed")
    wecom_source.refresh_from_db()
    assert (wecom_source.name, wecom_source.token) == ("Renamed", "test_token_123")
    assert not hasattr(wecom_source.history.first(), "token")
