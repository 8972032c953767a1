"""Server-rendered page shells. Every record on a page comes from the JSON API, called by the
page's script with the bearer token the visitor holds in sessionStorage; these views only
render the frame, the translated strings and whether the development helpers are on."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django.views.static import serve

from api.config import get_config
from api.portal import events
from api.portal.strings import department_names, js_strings
from domain.reference import DEPARTMENTS, regions

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}


def language_of(request: HttpRequest) -> str:
    """The visitor's choice from the language cookie; Chinese (zh-Hans) otherwise, whatever the browser says."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in LANGUAGE_CODES else settings.LANGUAGE_CODE


def next_path(request: HttpRequest) -> str:
    """The sign-in's `next` if it is a path on this site, else "" (the role's home page).

    Only a path with a single leading slash: `//evil.com`, `/\\evil.com` (browsers read a
    backslash as a slash), `/%5Cevil.com` (decoded to the same), `https://evil.com` and
    `javascript:` are refused; so is anything Django's own check refuses (control characters,
    a scheme or host hidden after them)."""
    target = request.GET.get("next", "")
    if not target.startswith("/") or target[1:2] in ("/", "\\"):
        return ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts=set(), require_https=request.is_secure()
    ):
        return ""
    return target


def page(template: str, active: str, extra=None):
    """A GET view rendering `template` in the visitor's language with the shared context
    (and `extra(request)`, when given)."""

    @require_GET
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        language = language_of(request)
        with translation.override(language):
            context = {
                "active": active,
                "language": language,
                "dev_enabled": not get_config().is_production,
                "strings": js_strings(),
                "departments": sorted(DEPARTMENTS.items()),
                "regions": regions(),
                **(extra(request) if extra else {}),
                **kwargs,
            }
            response = render(request, template, context)
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Cookie"
        return response

    return view


def _events(request: HttpRequest) -> dict:
    grouping = events.for_page(language_of(request))
    return {
        "life_events": [e for e in grouping if e["kind"] == "life"],
        "business_events": [e for e in grouping if e["kind"] == "business"],
        "events": grouping,
        "department_links": sorted(department_names().items()),
    }


search = page("portal/search.html", "search", _events)
items = page("portal/items.html", "search", _events)
item = page("portal/item.html", "search")
apply = page("portal/apply.html", "search")
case = page("portal/case.html", "search")
work = page("portal/work.html", "work")
work_case = page("portal/case.html", "work")
me = page("portal/me.html", "me")
notifications = page("portal/notifications.html", "notifications")
verify = page("portal/verify.html", "verify")
audit = page("portal/audit.html", "audit")
dashboard = page("portal/dashboard.html", "dashboard")
signin = page("portal/signin.html", "signin", lambda request: {"next": next_path(request)})


@require_GET
def static_file(request: HttpRequest, path: str) -> HttpResponse:
    """Static files of the installed apps (the portal's and the API docs'), found as
    `collectstatic` would find them; a front server may serve `STATIC_ROOT` instead."""
    try:
        found = finders.find(path)
    except SuspiciousFileOperation:
        found = None
    if not found or isinstance(found, list):
        raise Http404("No such file.")
    found_path = Path(found)
    response = serve(request, found_path.name, document_root=str(found_path.parent))
    response.headers["Cache-Control"] = (
        "no-cache" if re.search(r"\.(js|css)$", path) else "max-age=3600"
    )
    return response
