from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "salesops.outcomes"
    label = "outcomes"
    verbose_name = _("Outcomes since go-live")

    def ready(self):
        # Imported for what they register: the weekly snapshot sweep and the director's
        # home card with the board's headline.
        from django.contrib.auth.signals import user_logged_in

        from . import home, middleware, tasks  # noqa: F401

        home.register()
        user_logged_in.connect(middleware.note_login, dispatch_uid="outcomes.note_login")
