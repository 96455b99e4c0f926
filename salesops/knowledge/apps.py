from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "salesops.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self):
        # Pushes and nudges (SPEC N4, A5, A6): the push_content action, the people
        # entity and the variables the nudge rules read, and their default rules.
        from salesops.core import entities
        from salesops.notifications import kinds as notification_kinds

        from . import actions, defaults_pushes, variables

        # The "user" entity (people as rule records) is the activities app's.
        entities.add_variable_provider(variables.person_provider)
        entities.add_variable_provider(variables.activity_provider)
        actions.register_all()
        notification_kinds.register(actions.NOTIFICATION_KIND, _("Knowledge pushes"))
        post_migrate.connect(defaults_pushes.install, sender=self)
