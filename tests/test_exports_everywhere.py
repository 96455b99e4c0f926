"""Export everywhere (X5): every list page and report in the menu offers the download of
what it shows, or is listed here with the reason it has none. A new menu entry fails this
test until someone decides which."""

import pytest
from django.urls import reverse

from salesops.org.tests.factories import TeamFactory, UserFactory
from salesops.web.context_processors import MENU

pytestmark = pytest.mark.django_db

NO_EXPORT = {
    "home": "the home page: cards that link to the lists",
    "dashboard": "a dashboard of charts that link to the lists and reports",
    "leads:quick_entry": "a form",
    "pipeline:kanban": "a board of the deals the deal list exports",
    "activities:daily_report": "today's report form (the daily reports list exports)",
    "targets:plan_list": "each plan's page exports its decomposition",
    "targets:my_target": "one person's target card",
    "kpi:my_score": "one person's scorecard (rankings export the team's)",
    "kpi:comparison": "one person's chart",
    "kpi:radar": "one person's chart",
    "incentives:my_statement": "one person's statement (payout months export for payroll)",
    "incentives:periods": "twelve months with their state; each month exports for payroll",
    "pushes:mine": "one person's inbox",
    "kpi:voice_rounds": "survey rounds; their answers are on the NPS list, which exports",
    "kpi:coaching": "a few coaching plans per rep, each a page",
    "kpi:points_mine": "one person's points account",
    "pipeline:approvals": "a queue of requests to decide (the deal list exports the deals)",
    "kpi:points_approvals": "a queue of requests to decide",
    "kpi:compliance": "a queue of reviews to decide",
    "customization:definition_list": "configuration (app template)",
    # Settings: configuration, exported whole as an app template (Settings · App templates).
    "automation:rule_list": "configuration (app template)",
    "notifications:channel_list": "configuration (app template)",
    "revenue:policy": "a settings form",
    "knowledge:policy": "a settings form",
    "targets:policy": "a settings form",
    "kpi:scheme_list": "configuration (app template)",
    "incentives:plan_list": "configuration (app template)",
    "pipeline:configure": "configuration (app template)",
    "leads:channel_list": "configuration (app template)",
    "leads:routing_list": "configuration (app template)",
    "leads:routing_caps": "a settings form",
    "inbox:source_list": "configuration: the inbox's sources and scenario rules",
    "activities:tag_list": "configuration (app template)",
    "locked_logins": "a handful of locked accounts to unlock",
    "org:settings": "a settings form",
    "exchange:home": "the import page itself",
    "exchange:policy": "a settings form",
    "licence:policy": "a settings form",
    "field:policy": "a settings form",
    "outcomes:policy": "a settings form (the board exports the figures)",
    "field:workbench": "the device's own offline copy, drawn from IndexedDB",
    "exchange:app_template": "the app-template page itself",
    "diagnosis:index": "twelve tiles; each check's records page exports its records",
    "diagnosis:policy": "a settings form",
}
# Pages another role opens than the superuser the test uses.
ROLE: dict[str, str] = {}


def _exports(html: str) -> bool:
    return 'data-testid="export-xlsx"' in html or "format=xlsx" in html or "/export" in html


@pytest.mark.parametrize("entry", [e for e in MENU], ids=lambda e: e.url_name)
def test_every_list_page_offers_an_export(client, entry):
    if entry.url_name in NO_EXPORT:
        return
    TeamFactory()  # the heatmap shows a team
    role = ROLE.get(entry.url_name, "admin")
    user = UserFactory(role=role, is_superuser=role == "admin", is_staff=role == "admin")
    client.force_login(user)
    response = client.get(reverse(entry.url_name))
    assert response.status_code == 200, entry.url_name
    assert _exports(response.content.decode()), f"{entry.url_name} offers no export"
