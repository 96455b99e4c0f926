"""Navigation for the page shell: the menu entries a user may open."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MENU = [
    ("home", _("Dashboard"), "ti-layout-dashboard", None),
    ("customers:account_list", _("Accounts"), "ti-building", None),
    ("customers:contact_list", _("Contacts"), "ti-address-book", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request.resolver_match, "view_name", "") if request.resolver_match else ""
    items = []
    for name, label, icon, check in MENU:
        if check and not check(user):
            continue
        section = name.split(":")[0]
        items.append(
            {
                "url": reverse(name),
                "label": label,
                "icon": icon,
                "active": current == name or (":" in name and current.startswith(section + ":")),
            }
        )
    return {"nav_items": items}
