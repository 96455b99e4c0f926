from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "salesops.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self):
        # The mailbox poll registers itself with the worker's sweeps when this loads.
        from . import sweeps  # noqa: F401
