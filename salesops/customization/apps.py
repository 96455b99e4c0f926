from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from salesops.core import entities


class CustomizationConfig(AppConfig):
    name = "salesops.customization"
    label = "customization"
    verbose_name = _("Customization")

    def ready(self):
        # Imported here: these modules load the models, which needs a ready app registry.
        from . import models, validation
        from .selectors import definitions_cache
        from .variables import provider

        entities.add_variable_provider(provider)
        definitions_cache.invalidate_on(models.CustomFieldDefinition)
        models.register_check(models.CustomFieldDefinition, validation.check_definition)
        models.register_check(models.FormLayout, validation.check_layout)
