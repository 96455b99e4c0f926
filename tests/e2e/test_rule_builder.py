"""A sales-ops admin builds a timer rule in the rule builder and sees it fire after
``salesops tick``."""

import datetime as dt
import re

from django.core.management import call_command
from playwright.sync_api import expect

from salesops.automation.models import Rule, RuleFiring
from salesops.core import clock
from salesops.customers.tests.factories import make_account
from tests.e2e.conftest import login


def test_admin_builds_a_timer_rule_and_sees_it_fire_after_tick(desktop_page, org):
    page = desktop_page
    login(page, "admin", org.password)

    # Automation is in the navigation's Settings section for the admin.
    page.click("[data-testid=nav-settings] > a")
    page.locator("[data-testid=nav-settings]").get_by_role("link", name="Automation rules").click()
    expect(page).to_have_url(re.compile(r"/automation/rules/$"))
    page.click("[data-testid=new-rule]")
    # The builder is Alpine: a choice made before Alpine has started is reset by its
    # x-model when it starts (a race only a loaded machine showed). Wait for the page's
    # scripts, then choose.
    page.wait_for_url(re.compile(r"/automation/rules/new/$"))
    page.wait_for_load_state("load")

    # A timer on accounts: 1 calendar minute after created_at, only for A-level accounts.
    page.fill("[data-testid=rule-name]", "Call new A accounts")
    page.select_option("[data-testid=trigger-type]", "timer")
    expect(page.locator("[data-testid=timer-fields]")).to_be_visible()
    expect(page.locator("[data-testid=event-fields]")).to_be_hidden()
    page.select_option("[data-testid=entity]", "account")
    page.select_option("[data-testid=timer-field]", "created_at")
    page.fill("[data-testid=timer-minutes]", "1")
    page.select_option("[data-testid=timer-unit]", "calendar")

    # Live validation while typing: first a mistake with its position, then OK.
    # The expert's text (the builder's rows are the default).
    page.click("[data-testid=to-expert]")
    check = page.locator("[data-testid=condition-check]")
    page.locator("[data-testid=condition]").press_sequentially('levle == "A"')
    expect(check).to_contain_text("Position 1")
    expect(check).to_contain_text("levle")
    expect(check.locator("[data-testid=check-names]")).to_contain_text("province")
    page.fill("[data-testid=condition]", "")
    page.locator("[data-testid=condition]").press_sequentially('level == "A"')
    expect(check.locator("[data-testid=check-ok]")).to_contain_text("OK")

    # One action: notify the owner.
    page.select_option("[data-testid=add-action-kind]", "notify")
    page.click("[data-testid=add-action]")
    card = page.locator("[data-testid=action-card]")
    expect(card).to_have_count(1)
    expect(card.locator("[data-testid=action-to]")).to_have_value("owner")
    card.locator("[data-testid=action-title]").fill("Call {name} today")
    page.click("[data-testid=submit]")

    expect(page.locator("[data-testid=rule-title]")).to_have_text("Call new A accounts")
    expect(page.locator("[data-testid=definition-condition]")).to_contain_text('level == "A"')
    rule = Rule.objects.get(name="Call new A accounts")
    version = rule.current_version
    assert version.number == 1
    assert version.trigger["minutes"] == 1 and version.trigger["unit"] == "calendar"
    assert version.actions[0]["to"] == ["owner"]

    # rep_a's new A account; the sweep runs a few minutes later.
    account = make_account(org.rep_a, name="杭州甲级科技有限公司", level="A")

    # "Try it on record #N" on the rule page: the condition holds, nothing is sent yet.
    page.fill("[data-testid=preview-object-id]", str(account.pk))
    page.click("[data-testid=preview-button]")
    expect(page.locator("[data-testid=preview-verdict]")).to_have_attribute("data-result", "true")
    expect(page.locator("[data-testid=preview-actions]")).to_contain_text("Rep A")
    assert not RuleFiring.objects.exists()

    call_command("tick", "--now", (clock.now() + dt.timedelta(minutes=5)).isoformat())
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.object_id == account.pk and firing.status == "done", firing.results

    # The firings page shows it, for that account, with why it fired.
    page.click("[data-testid=tab-firings]")
    row = page.locator("[data-testid=firing-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=firing-record]")).to_have_text("杭州甲级科技有限公司")
    expect(row.locator("[data-testid=firing-status]")).to_have_text("Done")
    row.locator("[data-testid=firing-why]").click()
    expect(row.locator("[data-testid=firing-values]")).to_contain_text("level")
    expect(row.locator("[data-testid=firing-results]")).to_contain_text(
        "Call 杭州甲级科技有限公司 today"
    )
    row.locator("[data-testid=firing-record]").click()
    expect(page).to_have_url(re.compile(rf"/customers/accounts/{account.pk}/$"))
