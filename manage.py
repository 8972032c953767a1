#!/usr/bin/env python
"""Django's command-line entry point for Casetrack."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from api.config import refusal

    try:
        # Reading the settings validates the configuration (api/config.py); Django itself
        # would defer this error and then show it inside a traceback or as an unknown command.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"{refusal(exc)}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
