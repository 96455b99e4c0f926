from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosisConfig(AppConfig):
    name = "salesops.diagnosis"
    label = "diagnosis"
    verbose_name = _("Sales-process diagnosis")

    def ready(self):
        from . import tasks  # noqa: F401 - registers the weekly sweep and the Huey task
