"""The inbox in a real browser: a manager opens the inbox, opens an unmatched message,
links it to a customer and replies; the reply leaves by email (the channel it came from)."""

import pytest
from django.core import mail

from salesops.customers.tests.factories import make_account, make_contact
from salesops.inbox import configuration, services
from salesops.inbox.models import Direction, Message

from .conftest import login


@pytest.fixture
def unmatched(org):
    source = configuration.source_save(
        actor=org.admin,
        kind="email",
        name="Sales mailbox",
        imap_host="mail.example.com",
        imap_user="sales@example.com",
        imap_password="pw",
    )
    make_contact(
        make_account(org.rep_a, name="杭州云帆科技有限公司"),
        name="周敏",
        email="zhou@yunfan.example",
    )
    message, _ = services.message_receive(
        source=source,
        source_message_id="<q1@private.example>",
        sender_address="zhoumin@private.example",
        sender_name="周敏",
        subject="设备故障",
        body="我们的扫码枪故障了，请尽快处理。",
        reply_address="<q1@private.example>",
    )
    return message


def test_manager_links_an_unmatched_message_and_replies(desktop_page, org, unmatched):
    page = desktop_page
    login(page, org.manager_east.username, org.password)
    page.goto("/inbox/?matched=no")
    rows = page.locator("[data-testid=message-row]")
    assert rows.count() == 1
    rows.first.locator("[data-testid=message-link]").click()
    page.wait_for_load_state("load")
    assert page.locator("[data-testid=unmatched]").is_visible()
    assert "故障" in page.locator("[data-testid=scenario-keyword]").inner_text()

    page.fill("[data-testid=link-q]", "云帆")
    page.click("[data-testid=link-search-submit]")
    page.wait_for_load_state("load")
    page.locator("[data-testid=link-candidate]").first.check()
    page.click("[data-testid=link-submit]")
    page.wait_for_load_state("load")
    assert "杭州云帆科技有限公司" in page.locator("[data-testid=matched-account]").inner_text()
    # A complaint from a customer, now that it is known: recorded on linking.
    assert page.locator("[data-testid=complaint-link]").is_visible()

    page.fill("#id_body", "您好，工程师明天上午到现场。")
    page.click("[data-testid=reply-submit]")
    page.wait_for_load_state("load")
    assert "工程师明天上午到现场" in page.locator("[data-testid=thread]").inner_text()

    unmatched.refresh_from_db()
    assert unmatched.account.name == "杭州云帆科技有限公司"
    assert unmatched.complaint is not None
    reply = Message.objects.get(direction=Direction.OUT)
    assert reply.delivery_error == ""
    assert mail.outbox[-1].to == ["zhoumin@private.example"]
    assert mail.outbox[-1].extra_headers["In-Reply-To"] == "<q1@private.example>"
