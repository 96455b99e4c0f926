"""Navigation for the page shell: the menu sections a user may open, and the one that is
current.

The menu is declarative. :data:`SECTIONS` fixes the sections and their order; :data:`MENU`
holds one line per page::

    entry(url name, label, icon, section, who may see it, url names it also owns)

A section appears when at least one of its entries is visible to the user and the entry's
URL exists, so a later app adds its page with one line, e.g.
``entry("deals:deal_list", _("Deals"), "ti-briefcase", DEALS)``. A section with a single
entry in MENU is a plain link (labelled by that entry); the others are dropdowns.

Exactly one section is highlighted: the one whose entry owns the current view name most
specifically. An entry owns its own url name and the patterns in ``owns``: an exact view
name (``customers:account_360``), a prefix ending in ``*`` (``customers:account_*``), or a
namespace (``automation``, short for ``automation:*``). An exact name beats a prefix, a
longer prefix beats a shorter one, so ``leads:routing_*`` (Settings) wins over the
``leads`` namespace (Leads) on the routing pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from salesops.automation.services import can_manage_rules
from salesops.exchange import permissions as exchange_permissions
from salesops.exchange import registry as exchange_registry
from salesops.incentives import permissions as incentive_permissions
from salesops.knowledge import push_selectors
from salesops.kpi import coaching as kpi_coaching
from salesops.kpi import permissions as kpi_permissions
from salesops.leads.models import Lead, LeadStatus
from salesops.pipeline import approvals as pipeline_approvals
from salesops.reports import heatmap
from salesops.reports import pipeline_common as pipeline_reports
from salesops.targets import permissions as target_permissions
from salesops.todos.selectors import nav_count


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    icon: str


HOME = Section("home", _("Home"), "ti-home")
LEADS = Section("leads", _("Leads"), "ti-target-arrow")
CUSTOMERS = Section("customers", _("Customers"), "ti-building")
DEALS = Section("deals", _("Deals"), "ti-briefcase")
REVENUE = Section("revenue", _("Revenue"), "ti-coin-yuan")
AFTERSALES = Section("aftersales", _("After-sales"), "ti-lifebuoy")
TARGETS = Section("targets", _("Targets"), "ti-target")
KPI = Section("kpi", _("KPI"), "ti-award")
INCENTIVES = Section("incentives", _("Incentives"), "ti-gift")
PERFORMANCE = Section("performance", _("Performance"), "ti-chart-line")
KNOWLEDGE = Section("knowledge", _("Knowledge"), "ti-book")
TASKS = Section("tasks", _("Tasks"), "ti-checklist")
# Imports are for everyone who may import something (reps their own activities and deals),
# not only for those who configure: a section of its own, not under Settings.
DATA = Section("data", _("Data"), "ti-database")
SETTINGS = Section("settings", _("Settings"), "ti-settings")

SECTIONS = [
    HOME,
    LEADS,
    CUSTOMERS,
    DEALS,
    REVENUE,
    AFTERSALES,
    TARGETS,
    KPI,
    INCENTIVES,
    PERFORMANCE,
    KNOWLEDGE,
    TASKS,
    DATA,
    SETTINGS,
]


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Any
    icon: str
    section: Section
    visible: Callable[[Any], bool] | None = None
    owns: tuple[str, ...] = field(default=())


def entry(url_name, label, icon, section, visible=None, owns: Iterable[str] | str = ()) -> Entry:
    owns = (owns,) if isinstance(owns, str) else tuple(owns)
    return Entry(url_name, label, icon, section, visible, owns)


# --- who may see an entry (the pages check again; these only keep the menu honest) ---


def admins(user) -> bool:
    return user.is_admin_role


def configurers(user) -> bool:
    return user.is_admin_role or user.edits_everything


def user_change_readers(user) -> bool:
    return user.is_admin_role or user.edits_everything or user.is_manager_role


def cap_editors(user) -> bool:
    """Admins and directors set caps on the routing page too; managers for their team."""
    return configurers(user) or user.is_manager_role


def rule_managers(user) -> bool:
    return can_manage_rules(user)


def approvers(user) -> bool:
    """Who approves stage changes: managers, directors and admins (see pipeline.stages)."""
    return pipeline_approvals.may_approve_any(user)


def lead_enterers(user) -> bool:
    """Who may register a lead (quick entry refuses read-only roles)."""
    return not user.is_read_only_role


def target_users(user) -> bool:
    """Everyone but customer success (see targets.permissions)."""
    return target_permissions.has_targets(user)


def statement_readers(user) -> bool:
    """Managers (their team) and the roles that see everyone (incentives.permissions)."""
    return incentive_permissions.sees_statements(user) and (
        user.is_manager_role or user.sees_everything
    )


def mentor_readers(user) -> bool:
    return incentive_permissions.can_configure(user) or user.is_manager_role


def kpi_users(user) -> bool:
    """Everyone with KPI pages but customer success (see kpi.permissions)."""
    return kpi_permissions.has_kpi(user) and not user.is_customer_success_role


def importers(user) -> bool:
    """Who may import at least one kind of record (exchange.registry)."""
    return any(i.can_import(user) for i in exchange_registry.all_importers())


def daily_writers(user) -> bool:
    """Who writes a daily report (read-only roles only read them)."""
    return not user.is_read_only_role


MENU = [
    entry("home", _("Home"), "ti-home", HOME),
    entry("dashboard", _("Dashboard"), "ti-layout-dashboard", HOME),
    entry("leads:lead_list", _("Leads"), "ti-target-arrow", LEADS, owns=("leads", "leads:lead_*")),
    entry("leads:quick_entry", _("Quick entry"), "ti-plus", LEADS, lead_enterers),
    entry("activities:activity_list", _("Activities"), "ti-phone-call", LEADS, owns="activities"),
    entry("leads:dwell_report", _("Dwell TOP10"), "ti-hourglass", LEADS),
    entry("customers:account_list", _("Accounts"), "ti-building", CUSTOMERS, owns=("customers", "customers:account_*")),
    entry("customers:contact_list", _("Contacts"), "ti-address-book", CUSTOMERS, owns="customers:contact_*"),
    entry("customers:rep_ltv", _("LTV by rep"), "ti-chart-bar", CUSTOMERS),
    entry("inbox:message_list", _("Inbox"), "ti-inbox", CUSTOMERS, owns="inbox:message_*"),
    entry("pipeline:deal_list", _("Deals"), "ti-briefcase", DEALS, owns=("pipeline", "pipeline:deal_*", "pipeline:evidence_*")),
    entry("pipeline:kanban", _("Kanban"), "ti-layout-kanban", DEALS, owns="pipeline:deal_move"),
    entry("pipeline:approvals", _("Stage approvals"), "ti-checkbox", DEALS, approvers, owns="pipeline:change_*"),
    entry("reports:pipeline_conversion", _("Stage conversion"), "ti-filter", DEALS, pipeline_reports.can_read),
    entry("reports:pipeline_forecast", _("Forecast"), "ti-chart-arrows-vertical", DEALS, pipeline_reports.can_read_forecast),
    entry("reports:pipeline_qualified", _("Qualified pipeline"), "ti-rosette-discount-check", DEALS, pipeline_reports.can_read),
    entry("reports:deal_health", _("Deal health"), "ti-heart-rate-monitor", DEALS),
    entry("activities:daily_report", _("Daily report"), "ti-notebook", PERFORMANCE, daily_writers, owns=("activities:daily_*",)),
    entry("activities:daily_report_list", _("Daily reports"), "ti-notes", PERFORMANCE),
    entry("reports:weekly_report", _("Weekly report"), "ti-calendar-stats", PERFORMANCE, pipeline_reports.can_read),
    entry("revenue:contract_list", _("Contracts"), "ti-file-certificate", REVENUE, owns=("revenue", "revenue:contract_*")),
    entry("revenue:payment_list", _("Payments"), "ti-cash", REVENUE, owns="revenue:payment_*"),
    entry("revenue:invoice_list", _("Invoices"), "ti-receipt", REVENUE, owns="revenue:invoice_*"),
    entry("aftersales:complaint_list", _("Complaints"), "ti-message-report", AFTERSALES, owns=("aftersales", "aftersales:complaint_*")),
    entry("aftersales:ticket_list", _("Service tickets"), "ti-ticket", AFTERSALES, owns="aftersales:ticket_*"),
    entry("aftersales:nps_list", _("NPS responses"), "ti-mood-smile", AFTERSALES, owns="aftersales:nps_*"),
    entry("aftersales:renewal_list", _("Renewals"), "ti-refresh", AFTERSALES, owns="aftersales:renewal_*"),
    entry("targets:plan_list", _("Target plans"), "ti-target", TARGETS, target_users, owns="targets"),
    entry("targets:my_target", _("My target"), "ti-user-check", TARGETS, target_users),
    entry("kpi:my_score", _("My KPI"), "ti-award", KPI, kpi_permissions.is_scored, owns=("kpi:rep_score", "kpi:drill*")),
    entry("kpi:rankings", _("Rankings"), "ti-trophy", KPI, kpi_users, owns="kpi:rankings*"),
    entry("kpi:comparison", _("My comparison"), "ti-chart-bar", KPI, kpi_permissions.is_scored),
    entry("kpi:radar", _("Capability radar"), "ti-chart-radar", KPI, kpi_permissions.is_scored),
    entry("kpi:points_mine", _("Growth account"), "ti-coins", KPI, kpi_permissions.is_scored, owns="kpi:points_*"),
    entry("kpi:points_approvals", _("Points approvals"), "ti-checkbox", KPI, kpi_permissions.is_reviewer, owns="kpi:points_decide"),
    entry("kpi:voice_rounds", _("Customer voice"), "ti-speakerphone", KPI, kpi_users, owns="kpi:voice_*"),
    entry("kpi:coaching", _("Coaching plans"), "ti-school", KPI, kpi_coaching.may_see_plans, owns="kpi:coaching*"),
    entry("kpi:credibility", _("Data credibility"), "ti-shield-check", KPI, kpi_users, owns="kpi:credibility*"),
    entry("kpi:compliance", _("Compliance review"), "ti-file-search", KPI, kpi_users, owns="kpi:compliance*"),
    entry("incentives:my_statement", _("My bonus"), "ti-gift", INCENTIVES, incentive_permissions.has_statement, owns=("incentives:statement", "incentives:line")),
    entry("incentives:statements", _("Bonus statements"), "ti-file-dollar", INCENTIVES, statement_readers),
    entry("incentives:periods", _("Payout months"), "ti-calendar-dollar", INCENTIVES, incentive_permissions.is_finance, owns=("incentives:period*", "incentives:adjustment_*")),
    entry("incentives:ltv_board", _("LTV leaderboard"), "ti-trophy", INCENTIVES, kpi_users, owns="incentives:ltv_*"),
    entry("incentives:mentor_list", _("Mentors"), "ti-users-group", INCENTIVES, mentor_readers, owns="incentives:mentor_*"),
    entry("knowledge:list", _("Knowledge base"), "ti-books", KNOWLEDGE, owns="knowledge"),
    entry("pushes:mine", _("My pushes"), "ti-send", KNOWLEDGE, owns="pushes"),
    entry("pushes:team", _("Team pushes"), "ti-users", KNOWLEDGE, push_selectors.may_see_team),
    entry("reports:heatmap", _("Heatmap"), "ti-grid-dots", PERFORMANCE, heatmap.may_open),
    entry("outcomes:board", _("Outcome board"), "ti-chart-line", PERFORMANCE, owns="outcomes:board_export"),
    entry("diagnosis:index", _("Diagnosis"), "ti-stethoscope", PERFORMANCE, owns=("diagnosis:records*", "diagnosis:report")),
    entry("todos:task_list", _("My tasks"), "ti-checklist", TASKS, owns="todos"),
    entry("field:workbench", _("Offline workbench"), "ti-wifi-off", TASKS, owns="field:conflicts"),
    entry("exchange:home", _("Import"), "ti-file-import", DATA, importers, owns=("exchange:job*", "exchange:upload", "exchange:template*")),
    entry("automation:rule_list", _("Automation rules"), "ti-robot", SETTINGS, rule_managers, owns="automation"),
    entry("notifications:channel_list", _("Notification channels"), "ti-broadcast", SETTINGS, admins, owns=("notifications:channel_*", "notifications:delivery_*")),
    entry("revenue:policy", _("Revenue policy"), "ti-cash", SETTINGS, admins),
    entry("knowledge:policy", _("Knowledge settings"), "ti-books", SETTINGS, admins),
    entry("targets:policy", _("Target settings"), "ti-target", SETTINGS, configurers),
    entry("kpi:scheme_list", _("KPI schemes"), "ti-award", SETTINGS, configurers, owns=("kpi:scheme_*", "kpi:version_*", "kpi:metric_*", "kpi:run_*", "kpi:policy", "kpi:growth_policy", "kpi:review_policy")),
    entry("incentives:plan_list", _("Bonus plans"), "ti-gift", SETTINGS, configurers, owns=("incentives:plan_*", "incentives:version_*", "incentives:run_*", "incentives:policy")),
    entry("pipeline:configure", _("Pipelines"), "ti-columns", SETTINGS, configurers, owns=("pipeline:pipeline_*", "pipeline:stage_*", "pipeline:policy")),
    entry("inbox:source_list", _("Inbox sources"), "ti-mail-cog", SETTINGS, configurers, owns=("inbox:source_*", "inbox:rule_*")),
    entry("leads:channel_list", _("Lead channels"), "ti-plug-connected", SETTINGS, configurers, owns="leads:channel_*"),
    entry("leads:routing_list", _("Routing rules"), "ti-route", SETTINGS, configurers, owns="leads:routing_*"),
    entry("leads:routing_caps", _("Daily lead caps"), "ti-gauge", SETTINGS, cap_editors),
    entry("activities:tag_list", _("Check-in results"), "ti-tags", SETTINGS, configurers, owns="activities:tag_*"),
    entry("org:user_change_list", _("User changes"), "ti-user-cog", SETTINGS, user_change_readers, owns="org:user_change_*"),
    entry("customization:definition_list", _("Custom fields"), "ti-adjustments", SETTINGS, admins, owns="customization"),
    entry("locked_logins", _("Locked logins"), "ti-lock", SETTINGS, admins),
    entry("org:settings", _("Organisation"), "ti-building-cog", SETTINGS, admins, owns="org:choice_*"),
    entry("exchange:policy", _("Import and export"), "ti-file-settings", SETTINGS, exchange_permissions.can_configure),
    entry("licence:policy", _("Business licence"), "ti-license", SETTINGS, configurers),
    entry("field:policy", _("Offline field app"), "ti-device-mobile", SETTINGS, configurers),
    entry("outcomes:policy", _("Outcomes"), "ti-chart-dots", SETTINGS, configurers, owns="outcomes:backfill*"),
    entry("diagnosis:policy", _("Diagnosis"), "ti-stethoscope", SETTINGS, configurers),
    entry("exchange:app_template", _("App templates"), "ti-template", SETTINGS, exchange_permissions.can_configure, owns=("exchange:app_template*", "exchange:industry_templates")),
]  # fmt: skip


def _task_badge(user):
    return nav_count(user)


def _lead_badge(user):
    """New leads waiting for the user's first contact (index: owner, status)."""
    return Lead.objects.filter(owner=user, status=LeadStatus.NEW).count()


# A count shown beside a menu entry (and summed on its section): ``fn(user) -> int``,
# one cheap indexed query each.
BADGES = {
    "todos:task_list": _task_badge,
    "leads:lead_list": _lead_badge,
    "pipeline:approvals": pipeline_approvals.pending_count,
    "pushes:mine": push_selectors.open_count,
}


# --- which entry owns the current page ----------------------------------------------------


def _score(pattern: str, view_name: str) -> tuple[int, int] | None:
    """How specifically ``pattern`` owns ``view_name``: (2, len) for the exact name,
    (1, len of the prefix) for a prefix or namespace, None when it does not."""
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return (1, len(prefix)) if view_name.startswith(prefix) else None
    if ":" not in pattern and pattern != view_name:  # a namespace
        prefix = pattern + ":"
        return (1, len(prefix)) if view_name.startswith(prefix) else None
    return (2, len(pattern)) if view_name == pattern else None


def current_entry(entries: Iterable[Entry], view_name: str) -> Entry | None:
    """The entry that owns ``view_name`` most specifically (the first on a tie)."""
    best, best_score = None, None
    if not view_name:
        return None
    for item in entries:
        for pattern in (item.url_name, *item.owns):
            score = _score(pattern, view_name)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = item, score
    return best


def visible_entries(user, menu: Iterable[Entry] | None = None) -> list[tuple[Entry, str]]:
    """The entries of ``menu`` (default :data:`MENU`) that ``user`` may see and whose URL
    exists, with that URL."""
    found = []
    for item in MENU if menu is None else menu:
        if item.visible is not None and not item.visible(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # the app is not installed (yet)
            continue
        found.append((item, url))
    return found


def build_sections(user, view_name: str, menu: Iterable[Entry] | None = None) -> list[dict]:
    """The sections ``user`` sees, in order, each with its entries; the one holding the
    page named ``view_name`` is ``active`` (and, inside it, that page's entry)."""
    menu = MENU if menu is None else list(menu)
    entries = visible_entries(user, menu)
    current = current_entry((e for e, _url in entries), view_name)
    singles = {s.key for s in SECTIONS if sum(e.section is s for e in menu) == 1}
    sections = []
    for section in SECTIONS:
        items = []
        for item, url in entries:
            if item.section is not section:
                continue
            badge = BADGES[item.url_name](user) if item.url_name in BADGES else None
            items.append(
                {
                    "url": url,
                    "label": item.label,
                    "icon": item.icon,
                    "active": item is current,
                    "badge": badge,
                    "name": item.url_name,
                }
            )
        if not items:
            continue
        single = section.key in singles
        sections.append(
            {
                "key": section.key,
                "label": items[0]["label"] if single else section.label,
                "icon": items[0]["icon"] if single else section.icon,
                "url": items[0]["url"] if single else None,
                "items": items,
                "active": any(i["active"] for i in items),
                "badge": sum(i["badge"] or 0 for i in items) or None,
            }
        )
    return sections


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    return {
        "nav_sections": build_sections(user, view_name),
        "can_enter_leads": lead_enterers(user),
    }
