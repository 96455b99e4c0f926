from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "salesops.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        # Imported here, not at the top: the kinds import the apps' models, which Django
        # loads only once every app's config is set up.
        from . import kinds

        kinds.register_all()
