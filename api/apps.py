from django.apps import AppConfig


class CasetrackApiConfig(AppConfig):
    name = "api"
    verbose_name = "Casetrack API"

    def ready(self) -> None:
        # Every entry point sets Django up first (each `manage.py` command: check, relay,
        # project, rebuild; the WSGI application under gunicorn), so an unsafe production
        # stops here, at start, listing every variable at fault (docs/design.md).
        from api.config import check_start

        check_start()
