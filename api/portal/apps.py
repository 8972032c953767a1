from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "api.portal"
    label = "portal"
    verbose_name = "Casetrack portal"
