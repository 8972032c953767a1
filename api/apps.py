from django.apps import AppConfig


class CasetrackApiConfig(AppConfig):
    name = "api"
    verbose_name = "Casetrack API"
