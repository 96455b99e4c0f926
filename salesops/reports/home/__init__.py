"""The home page per role (issue 13 item 1): what each person should do next.

* rep: today's list (:mod:`.rep`);
* manager: the team board (:mod:`.board`);
* director: the organisation's figures by team (:mod:`.director`);
* the deal sections of those three (:mod:`.deals`);
* finance, customer success, sales-ops admin: their queues (:mod:`.queues`).

Each builder takes the user and returns the template's context; every section reads
through the owning app's visibility, and every count is one aggregate query (no query
per rep or per team)."""

from __future__ import annotations

from salesops.kpi import selectors as kpi_selectors
from salesops.org.models import Role

from . import board, cards, deals, director, queues, rep

TEMPLATES = {
    Role.REP: "reports/home/rep.html",
    Role.MANAGER: "reports/home/manager.html",
    Role.DIRECTOR: "reports/home/director.html",
    Role.FINANCE: "reports/home/finance.html",
    Role.CUSTOMER_SUCCESS: "reports/home/cs.html",
    Role.ADMIN: "reports/home/admin.html",
}


def home_page(user, params=None) -> tuple[str, dict]:
    """The template and context of ``user``'s home page (``params``: the query string,
    for the team board's filter and page)."""
    role = Role.ADMIN if user.is_superuser and user.role not in TEMPLATES else user.role
    template, context = _page(user, role, params)
    return template, {**context, "extra_cards": cards.for_user(user, role)}


def _page(user, role, params) -> tuple[str, dict]:
    if role == Role.REP:
        return TEMPLATES[role], {
            **rep.today(user),
            "deals": deals.for_rep(user),
            "kpi_card": kpi_selectors.home_card(user),
        }
    if role == Role.MANAGER:
        context = board.team_board(user, params or {})
        return TEMPLATES[role], {**context, "deals": deals.for_board(user, context["reps"])}
    if role == Role.DIRECTOR:
        return TEMPLATES[role], {**director.by_team(user), "deals": deals.for_director(user)}
    if role == Role.FINANCE:
        return TEMPLATES[role], queues.finance(user)
    if role == Role.CUSTOMER_SUCCESS:
        return TEMPLATES[role], queues.customer_success(user)
    return TEMPLATES[Role.ADMIN], queues.admin(user)
