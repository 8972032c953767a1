from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "api.portal"
    label = "portal"
    verbose_name = "Casetrack portal"

    def ready(self) -> None:
        # The landing page's grouping is read and checked at start: a mistake in the file stops
        # the process instead of breaking the page later.
        from api.portal.events import events

        events()
