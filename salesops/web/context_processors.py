"""Navigation for the page shell: the menu entries a user may open."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesops.automation.services import can_manage_rules
from salesops.leads.models import Lead, LeadStatus
from salesops.todos.selectors import nav_count


def _can_manage_rules(user) -> bool:
    return can_manage_rules(user)


MENU = [
    ("home", _("Dashboard"), "ti-layout-dashboard", None),
    ("leads:lead_list", _("Leads"), "ti-target-arrow", None),
    ("activities:activity_list", _("Activities"), "ti-phone-call", None),
    ("customers:account_list", _("Accounts"), "ti-building", None),
    ("customers:contact_list", _("Contacts"), "ti-address-book", None),
    ("aftersales:complaint_list", _("After-sales"), "ti-lifebuoy", None),
    ("revenue:contract_list", _("Contracts"), "ti-file-certificate", None),
    ("customers:rep_ltv", _("LTV by rep"), "ti-chart-bar", None),
    ("todos:task_list", _("My tasks"), "ti-checklist", None),
    ("automation:rule_list", _("Automation"), "ti-robot", _can_manage_rules),
    (
        "notifications:channel_list",
        _("Settings · Notification channels"),
        "ti-broadcast",
        lambda user: user.is_admin_role,
    ),
    (
        "revenue:policy",
        _("Settings · Revenue policy"),
        "ti-cash",
        lambda user: user.is_admin_role,
    ),
    (
        "leads:channel_list",
        _("Settings · Lead channels"),
        "ti-plug-connected",
        lambda user: user.is_admin_role or user.edits_everything,
    ),
    (
        "leads:routing_list",
        _("Settings · Lead routing"),
        "ti-route",
        lambda user: user.is_admin_role or user.edits_everything,
    ),
    (
        "activities:tag_list",
        _("Settings · Check-in results"),
        "ti-tags",
        lambda user: user.is_admin_role or user.edits_everything,
    ),
    (
        "org:user_change_list",
        _("Settings · User changes"),
        "ti-user-cog",
        lambda user: user.is_admin_role or user.edits_everything or user.is_manager_role,
    ),
    (
        "customization:definition_list",
        _("Settings · Custom fields"),
        "ti-adjustments",
        lambda user: user.is_admin_role,
    ),
    ("locked_logins", _("Settings · Locked logins"), "ti-lock", lambda user: user.is_admin_role),
    ("org:settings", _("Settings · Organisation"), "ti-building-cog", lambda u: u.is_admin_role),
]


SETTINGS_SEPARATOR = " · "


def _task_badge(user):
    return nav_count(user)


def _lead_badge(user):
    """New leads waiting for the user's first contact (index: owner, status)."""
    return Lead.objects.filter(owner=user, status=LeadStatus.NEW).count()


# A count shown beside a menu entry: ``fn(user) -> int``, one cheap indexed query each.
BADGES = {"todos:task_list": _task_badge, "leads:lead_list": _lead_badge}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request.resolver_match, "view_name", "") if request.resolver_match else ""
    items, settings_items = [], []
    for name, label, icon, check in MENU:
        if check and not check(user):
            continue
        section = name.split(":")[0]
        item = {
            "url": reverse(name),
            "label": label,
            "icon": icon,
            "active": current == name or (":" in name and current.startswith(section + ":")),
            "badge": BADGES[name](user) if name in BADGES else None,
        }
        # "Settings · …" entries go into one Settings menu: a flat bar of fourteen
        # entries wrapped every label on a laptop screen.
        head, _sep, rest = str(label).partition(SETTINGS_SEPARATOR)
        if rest:
            item.update(label=rest, title=str(label))
            settings_items.append(item)
        else:
            items.append(item)
    return {
        "nav_items": items,
        "nav_settings": settings_items,
        "nav_settings_active": any(i["active"] for i in settings_items),
    }
