"""The WSGI application (`gunicorn api.wsgi:application`).

A configuration that may not run (api/config.py: a bad value, or production with a missing or
development value) stops the start with its message on stderr and exit status 4, gunicorn's
"App failed to load": the arbiter halts instead of booting workers that would fail again.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from api.config import refusal

APP_LOAD_ERROR = 4

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")
try:
    application = get_wsgi_application()
    # Load the URLconf now, so that what it checks fails the start, not the first request.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
except ImproperlyConfigured as exc:
    sys.stderr.write(f"{refusal(exc)}\n")
    sys.stderr.flush()
    raise SystemExit(APP_LOAD_ERROR) from None
