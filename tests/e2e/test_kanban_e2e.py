"""The kanban in a real browser (D2, D3): a rep drags a card to the next stage, whose exit
criteria need a proposal file and the manager's approval; the move page asks for the
file; the manager approves in the queue; the board shows the card in the new column. On a
phone, a finger drag opens the same move page, and cancelling it leaves the board as it
was."""

import datetime as dt
import re

from playwright.sync_api import expect

from salesops.pipeline.models import ChangeState, StageChange
from salesops.pipeline.tests.factories import default_pipeline, make_deal, stage
from tests.e2e.conftest import login

PDF = b"%PDF-1.4\n% proposal v2\n"
# Policy violations and script errors, recorded in every page (the CSP is strict).
WATCH = """
window.__problems = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__problems.push(e.violatedDirective + " blocked " + (e.blockedURI || "?"));
});
window.addEventListener("error", function (e) { window.__problems.push(String(e.message)); });
"""


def context_for(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.add_init_script(WATCH)
    return context


def no_problems(page):
    assert page.evaluate("window.__problems") == [], page.url


def column(page, code):
    return page.locator(f"[data-testid=kanban-column][data-stage-code={code}]")


def card(page, code, name):
    return column(page, code).locator("[data-testid=kanban-card]", has_text=name)


def drag(page, source, target):
    """Press on ``source``, move in small steps onto ``target`` and release (SortableJS's
    pointer-event mode, as a mouse or a pen does it)."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=20)
    page.mouse.up()


def test_rep_drags_a_card_uploads_evidence_and_the_manager_approves(
    browser, live_server, transactional_db, org
):
    pipeline = default_pipeline()
    deal = make_deal(
        owner=org.rep_a,
        name="杭州云帆 MES 二期",
        stage_code="proposal",
        expected_close_date=dt.date(2027, 3, 31),
    )
    demo = stage("demo", pipeline)

    rep = context_for(browser, live_server, viewport={"width": 1366, "height": 900})
    page = rep.new_page()
    page.set_default_timeout(15_000)
    login(page, "rep_a", org.password)
    page.goto("/deals/kanban/")
    expect(page.locator("[data-kanban]")).to_have_attribute("data-kanban-ready", "1")
    source = card(page, "proposal", "杭州云帆 MES 二期")
    expect(source).to_be_visible()
    no_problems(page)

    drag(page, source, column(page, "demo").locator("[data-testid=column-cards]"))
    page.wait_for_url(re.compile(rf"/deals/{deal.pk}/move/\?.*to={demo.pk}"))
    expect(page.locator("[data-testid=move-missing]")).to_contain_text("Proposal")
    expect(page.locator("[data-testid=move-needs-approval]")).to_contain_text("Manager East")
    no_problems(page)
    page.set_input_files(
        "[data-testid=evidence-proposal]",
        files=[{"name": "方案书-v2.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("[data-testid=move-submit]")
    page.wait_for_url(re.compile(r"/deals/kanban/"))
    expect(page.locator(".alert-success")).to_contain_text("Manager East")
    waiting = card(page, "proposal", "杭州云帆 MES 二期")
    expect(waiting.locator("[data-testid=card-pending]")).to_be_visible()
    change = StageChange.objects.get(deal=deal, state=ChangeState.PENDING)
    assert change.evidence.get().original_name == "方案书-v2.pdf"
    rep.close()

    manager = context_for(browser, live_server, viewport={"width": 1366, "height": 900})
    page = manager.new_page()
    page.set_default_timeout(15_000)
    login(page, "manager_east", org.password)
    page.goto("/deals/kanban/")
    expect(page.locator("[data-testid=approvals-count]")).to_have_text("1")
    page.click("[data-testid=approvals-link]")
    request = page.locator(f"[data-testid=approval][data-change='{change.pk}']")
    expect(request).to_contain_text("杭州云帆 MES 二期")
    expect(request.locator("[data-testid=approval-evidence]")).to_contain_text("方案书-v2.pdf")
    no_problems(page)
    request.locator("[data-testid=approve]").click()
    expect(page.locator(".alert-success")).to_contain_text("杭州云帆 MES 二期")
    expect(page.locator("[data-testid=approvals-empty]")).to_be_visible()

    page.goto("/deals/kanban/")
    moved = card(page, "demo", "杭州云帆 MES 二期")
    expect(moved).to_be_visible()
    expect(moved.locator("[data-testid=card-pending]")).to_have_count(0)
    expect(card(page, "proposal", "杭州云帆 MES 二期")).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage.code == "demo"
    manager.close()


def touch(session, kind, x, y):
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def test_on_a_phone_a_finger_drag_opens_the_move_page_and_cancel_leaves_the_board(phone_page, org):
    make_deal(owner=org.rep_a, name="烟台鑫昌 收银", stage_code="contact")
    page = phone_page
    login(page, "rep_a", org.password)
    page.goto("/deals/kanban/")
    expect(page.locator("[data-kanban]")).to_have_attribute("data-kanban-ready", "1")
    source = card(page, "contact", "烟台鑫昌 收银")
    target = column(page, "needs").locator("[data-testid=column-cards]")
    target.scroll_into_view_if_needed()
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    end = target.bounding_box()
    session = page.context.new_cdp_session(page)
    x, y = start["x"] + start["width"] / 2, start["y"] + 12
    touch(session, "touchStart", x, y)
    page.wait_for_timeout(300)  # a short press starts the drag (a swipe scrolls)
    for i in range(1, 21):
        touch(
            session,
            "touchMove",
            x + (min(end["x"] + 30, 360) - x) * i / 20,
            y + (end["y"] + 30 - y) * i / 20,
        )
    touch(session, "touchEnd", 0, 0)
    page.wait_for_url(re.compile(r"/move/\?.*to="))
    expect(page.locator("[data-testid=move-current-stage]")).to_be_visible()
    page.locator("[data-testid=move-cancel]").tap()
    page.wait_for_url(re.compile(r"/deals/kanban/"))
    expect(card(page, "contact", "烟台鑫昌 收银")).to_be_visible()
    # The Move button on the card does the same without dragging.
    card(page, "contact", "烟台鑫昌 收银").locator("[data-testid=card-move]").tap()
    page.wait_for_url(re.compile(r"/move/"))
    expect(page.locator("[data-testid=move-target]")).to_be_visible()
