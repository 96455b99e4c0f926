from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicenceConfig(AppConfig):
    name = "salesops.licence"
    label = "licence"
    verbose_name = _("Business licence reading")
