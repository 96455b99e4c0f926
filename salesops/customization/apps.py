from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomizationConfig(AppConfig):
    name = "salesops.customization"
    label = "customization"
    verbose_name = _("Customization")

    def ready(self):
        from salesops.core import entities

        from .models import CustomFieldDefinition
        from .selectors import definitions_cache
        from .variables import provider

        entities.add_variable_provider(provider)
        definitions_cache.invalidate_on(CustomFieldDefinition)
