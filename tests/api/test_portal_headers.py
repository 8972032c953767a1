"""The portal's headers and the sign-in's `next` (docs/design.md, "The portal's headers"):
every page is served with a Content-Security-Policy that allows no inline script or style and no
framing, the templates need none, API answers are not sniffed or framed either, and the sign-in
page hands its script a `next` only when it is a path of this site."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

PAGES = [
    "/",
    "/cases/510100-20260101-000001",
    "/me",
    "/items",
    "/items?event=housing",
    "/items/510100-XK-0001",
    "/items/510100-XK-0001/apply",
    "/work",
    "/work/cases/510100-20260101-000001",
    "/verify",
    "/verify/510100-XK-2026-000001",
    "/audit",
    "/audit/3f2c4a8e-0000-4000-8000-000000000000",
    "/dashboard",
    "/signin",
]


def policy(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


class InlineCode(HTMLParser):
    """Whatever a Content-Security-Policy without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        self.found += [f"<{tag} {n}=...>" for n in names if n.startswith("on") or n == "style"]
        if tag == "style":
            self.found.append("<style>")
        self._in_script = (
            tag == "script" and "src" not in names and names.get("type") != "application/json"
        )

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        self._in_script = False


@pytest.mark.parametrize("path", PAGES)
def test_every_portal_page_forbids_inline_scripts_other_origins_and_framing(path):
    response = Client().get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_have_no_inline_script_event_handler_or_style(path):
    page = InlineCode()
    page.feed(Client().get(path).content.decode())
    assert page.found == []


@pytest.mark.parametrize(
    "path, status",
    [
        ("/healthz", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/search?q=x", 401),
        ("/api/v1/no-such-thing", 404),
    ],
)
def test_api_answers_are_not_sniffed_framed_or_referred(path, status):
    response = Client().get(path)
    assert response.status_code == status
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert policy(response)["frame-ancestors"] == ["'none'"]


def _next_given_to_the_script(query: str) -> str:
    page = Client().get("/signin?" + query).content.decode()
    return html.unescape(re.search(r'data-next="([^"]*)"', page).group(1))


@pytest.mark.parametrize(
    "query",
    [
        "next=/\\evil.example",
        "next=/%5Cevil.example",
        "next=/%5cevil.example",
        "next=//evil.example",
        "next=%2F%2Fevil.example",
        "next=///evil.example",
        "next=/\\/evil.example",
        "next=https://evil.example/",
        "next=https:/evil.example",
        "next=http:evil.example",
        "next=javascript:alert(1)",
        "next=/%09/evil.example",
        "next=%09//evil.example",
        "next=%20//evil.example",
        "next=evil.example",
        "next=",
        "",
    ],
)
def test_the_sign_in_refuses_a_next_outside_the_site(query):
    assert _next_given_to_the_script(query) == ""


@pytest.mark.parametrize(
    "query, target",
    [
        ("next=/audit", "/audit"),
        ("next=/", "/"),
        ("next=%2Fcases%2Fabc%3Ftab%3D1", "/cases/abc?tab=1"),
        ("next=/verify/510100-XK-2026-000001", "/verify/510100-XK-2026-000001"),
        ("next=/%255Cevil.example", "/%5Cevil.example"),  # a path of this site, as written
    ],
)
def test_the_sign_in_follows_a_path_of_this_site(query, target):
    assert _next_given_to_the_script(query) == target
