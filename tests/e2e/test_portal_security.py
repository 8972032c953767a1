"""The portal's headers hold in a real browser (docs/design.md, "The portal's headers"): the
Content-Security-Policy blocks what an injection would add, no other site can frame a page, and
the sign-in follows its `next` only to a path of this site."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.integration


def test_the_policy_blocks_an_injected_inline_script_and_style_and_the_test_sees_it(
    page, csp_violations
):
    page.goto("/verify")
    expect(page.locator("h1")).to_be_visible()
    with page.expect_console_message(lambda m: "inline script" in m.text):
        with page.expect_console_message(lambda m: "inline style" in m.text):
            page.evaluate(
                """() => {
                     window.__injected = false;
                     const script = document.createElement("script");
                     script.textContent = "window.__injected = true";
                     document.body.append(script);
                     document.querySelector("h1").setAttribute("style", "color: rgb(255, 0, 0)");
                   }"""
            )
    assert page.evaluate("window.__injected") is False
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") != "rgb(255, 0, 0)"
    assert len(csp_violations) == 2, csp_violations
    csp_violations.clear()  # provoked on purpose: the watch works


def test_another_site_cannot_frame_a_portal_page(page, system, csp_violations):
    with page.expect_console_message(lambda m: "frame-ancestors 'none'" in m.text):
        page.set_content(f'<iframe id="framed" src="{system.base_url}/verify"></iframe>')
    # Chromium shows its own error page in the frame, never the portal's.
    expect(page.frame_locator("#framed").locator("body[data-page]")).to_have_count(0)
    assert len(csp_violations) == 1, csp_violations
    csp_violations.clear()  # the refusal is the point


@pytest.mark.parametrize(
    "hostile",
    ["/\\evil.example", "//evil.example", "https://evil.example/", "/%5Cevil.example"],
    ids=["backslash", "protocol-relative", "absolute", "encoded-backslash"],
)
def test_the_sign_in_ignores_a_next_outside_the_site(page, hostile):
    page.goto("/signin?next=" + hostile)  # as typed into the address bar
    page.locator("form[data-role='auditor']").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/audit$"))


def test_the_sign_in_follows_a_next_on_the_site(page):
    page.goto("/signin?next=" + quote("/verify?from=signin"))
    page.locator("form[data-role='analyst']").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/verify\?from=signin$"))
