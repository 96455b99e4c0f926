"""An admin builds a rule from dropdowns only — the event, a condition row on an
enumerated field by its label, "owner's manager, 1 level up" as the recipient — tries it on
a record (condition true), saves it, and when the event happens on that same record the
rule fires (the firing log shows it, in the organisation's time zone)."""

import re

from django.db import transaction
from playwright.sync_api import expect

from salesops.automation.models import Rule, RuleFiring
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account
from tests.e2e.conftest import login


def test_admin_builds_a_rule_from_dropdowns_and_it_fires_on_the_tried_record(desktop_page, org):
    page = desktop_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    account = make_account(org.rep_a, name="宁波甲级制造有限公司", level="A")
    login(page, "admin", org.password)
    page.goto("/automation/rules/new/")

    page.fill("[data-testid=rule-name]", "A accounts changed: tell the manager")
    page.select_option("[data-testid=entity]", "account")
    page.select_option("[data-testid=event]", "account.updated")

    # One condition row: Level → is → A, picked by labels.
    page.click("[data-testid=add-condition]")
    row = page.locator("[data-testid=condition-row]")
    expect(row).to_have_count(1)
    row.locator("[data-testid=row-field]").select_option(label="Level")
    row.locator("[data-testid=row-op]").select_option(label="is")
    row.locator("[data-testid=row-value]").select_option(label="A – key account")
    check = page.locator("[data-testid=condition-check]")
    expect(check.locator("[data-testid=check-ok]")).to_be_visible()
    expect(check.locator("[data-testid=check-compiled]")).to_contain_text("level == 'A'")

    # Notify: the owner (offered first) is replaced by the owner's manager, 1 level up.
    page.select_option("[data-testid=add-action-kind]", "notify")
    page.click("[data-testid=add-action]")
    card = page.locator("[data-testid=action-card]")
    chips = card.locator("[data-testid=recipient-chip]")
    expect(chips).to_have_count(1)
    chips.first.locator("button").click()
    expect(chips).to_have_count(0)
    card.locator("[data-testid=recipient-kind]").select_option("manager")
    card.locator("[data-testid=recipient-level]").fill("1")
    card.locator("[data-testid=add-recipient-to]").click()
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("1")
    card.locator("[data-testid=action-title]").fill("{name} changed")

    # Dry run on the account: the condition holds, the manager would be told.
    page.fill("[data-testid=preview-object-id]", str(account.pk))
    page.click("[data-testid=preview-button]")
    expect(page.locator("[data-testid=preview-verdict]")).to_have_attribute("data-result", "true")
    expect(page.locator("[data-testid=preview-actions]")).to_contain_text(org.manager_east.label)
    assert not RuleFiring.objects.exists()

    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=rule-title]")).to_have_text(
        "A accounts changed: tell the manager"
    )
    rule = Rule.objects.get()
    version = rule.current_version
    assert version.condition == "level == 'A'"
    assert version.actions[0]["to"] == ["manager:1"]

    # The event happens on the same record: the rule fires for it.
    with transaction.atomic():
        customer_services.account_update(actor=org.rep_a, account=account, notes="回访")
    firing = RuleFiring.objects.get(rule=rule)
    assert (firing.object_id, firing.status) == (account.pk, "done"), firing.results

    page.reload()
    row = page.locator("[data-testid=firing-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=firing-record]")).to_have_text("宁波甲级制造有限公司")

    # Reopened, the rule shows its row again (parsed back from the text).
    page.goto(f"/automation/rules/{rule.pk}/edit/")
    row = page.locator("[data-testid=condition-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=row-field]")).to_have_value("level")
    expect(row.locator("[data-testid=row-value]")).to_have_value("A")

    # As text for experts: the same condition, with completion of variable names.
    page.click("[data-testid=to-expert]")
    condition = page.locator("[data-testid=condition]")
    expect(condition).to_have_value("level == 'A'")
    condition.press("End")
    condition.press_sequentially(" and provi")
    suggestion = page.locator("[data-testid=suggestion]").first
    expect(suggestion).to_contain_text("province")
    suggestion.click()
    expect(condition).to_have_value("level == 'A' and province")
    # A text the builder does not write stays text; one it writes goes back to rows.
    condition.fill("not level")
    expect(page.locator("[data-testid=condition-check] [data-source='not level']")).to_have_count(1)
    page.click("[data-testid=to-builder]")
    expect(page.locator("[data-testid=mode-problem]")).to_be_visible()
    condition.fill("level == 'B'")
    expect(page.locator("[data-testid=condition-check] [data-rows]")).to_have_attribute(
        "data-source", "level == 'B'"
    )
    page.click("[data-testid=to-builder]")
    row = page.locator("[data-testid=condition-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=row-value]")).to_have_value("B")
    assert [e for e in errors if "Content Security Policy" in e or "Alpine" in e] == []
    expect(page).to_have_url(re.compile(rf"/automation/rules/{rule.pk}/edit/$"))
