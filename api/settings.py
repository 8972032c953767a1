"""Django settings. Casetrack's own values come from `api.config` (the environment)."""

from __future__ import annotations

import os

from csp import constants as csp

from api.config import ROOT, get_config

# A bad value stops the process here, naming its variable; in production a missing or
# development value stops it when Django sets up (api/apps.py, docs/design.md).
CONFIG = get_config()

DEBUG = CONFIG.django_debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "ninja",
    "api",
    "api.portal",
    "csp",
]
MIDDLEWARE = [
    "api.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The portal's headers on every answer, API and probes included (docs/design.md, "The
    # portal's headers"): Content-Security-Policy and X-Frame-Options.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Rate limits, counted once the route is known and before any view runs (api/throttle.py).
    "api.throttle.RateLimitMiddleware",
]
# Scripts and styles from the portal's own static files only: no inline script, event handler
# or style attribute, nothing from another origin, no framing (docs/design.md). SecurityMiddleware
# adds `X-Content-Type-Options: nosniff` and the Referrer-Policy: `same-origin`, because the
# portal's URLs carry case ids, licence numbers and search text that no other site may see.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.NONE],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "form-action": [csp.SELF],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
ROOT_URLCONF = "api.urls"
WSGI_APPLICATION = "api.wsgi.application"
# The event store is the system of record; Django's ORM keeps nothing.
DATABASES: dict = {}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
LANGUAGE_CODE = "zh-hans"
# The portal: Chinese by default, English on request (api/portal/locale).
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = ROOT / "var" / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CASETRACK_LOG_LEVEL", "INFO")},
    "loggers": {
        # CASETRACK_KAFKA_LOG_LEVEL=DEBUG shows the consumer groups' joins, assignments and
        # metadata refreshes (docs/operations.md, "When a node dies").
        "kafka": {"level": os.environ.get("CASETRACK_KAFKA_LOG_LEVEL", "WARNING")},
        "kafka.net.selector": {"level": "ERROR"},
        "elastic_transport": {"level": "WARNING"},
    },
}
