"""The home page per role (issue 13 item 1): what each person should do next.

* rep: today's list (:mod:`.rep`);
* manager: the team board (:mod:`.board`);
* director: the organisation's figures by team (:mod:`.director`);
* finance, customer success, sales-ops admin: their queues (:mod:`.queues`).

Each builder takes the user and returns the template's context; every section reads
through the owning app's visibility, and every count is one aggregate query (no query
per rep or per team)."""

from __future__ import annotations

from salesops.org.models import Role

from . import board, director, queues, rep

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
    if role == Role.REP:
        return TEMPLATES[role], rep.today(user)
    if role == Role.MANAGER:
        return TEMPLATES[role], board.team_board(user, params or {})
    if role == Role.DIRECTOR:
        return TEMPLATES[role], director.by_team(user)
    if role == Role.FINANCE:
        return TEMPLATES[role], queues.finance(user)
    if role == Role.CUSTOMER_SUCCESS:
        return TEMPLATES[role], queues.customer_success(user)
    return TEMPLATES[Role.ADMIN], queues.admin(user)
