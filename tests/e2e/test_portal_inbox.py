"""The portal's messages page in headless Chromium: the notifications consumer runs on the
system's topic, the citizen sees the unread badge, reads the messages and marks one read."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from domain.store import notifications as records
from tests.e2e.conftest import shot, sign_in
from tests.support.processes import kill, manage
from tests.support.scenarios import PERSON_ID
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def test_a_citizen_reads_their_messages_and_the_badge_counts_down(page, system, tmp_path):
    person = system.app.keyring.party_ref(PERSON_ID)
    notify = manage("notify", env=system.env, log=tmp_path / "notify.log")
    try:
        wait_until(
            lambda: records.inbox(system.app.store, person)[0] >= 3,
            timeout_s=90,
            what="the citizen's notifications",
        )
    finally:
        kill(notify)
    total, unread, items = records.inbox(system.app.store, person, limit=50)
    sign_in(page, "citizen", option_text=PERSON_ID[-4:])
    badge = page.locator("#inbox-badge")
    expect(badge).to_have_text(str(unread))
    page.locator("#inbox-link").click()
    expect(page.locator("h1")).to_have_text("消息")
    messages = page.locator("article.message")
    expect(messages).to_have_count(min(total, 50))
    newest = items[0]
    first = page.locator(f"article[data-notification='{newest['notification_id']}']")
    expect(first.locator("h2")).to_contain_text(newest["title"])
    expect(first.locator(".delivery[data-channel='inbox']")).to_have_text(re.compile("已送达"))
    shot(page, "e2e-inbox")
    first.get_by_role("button", name="标为已读").click()
    expect(badge).to_have_text(str(unread - 1))
    expect(first.get_by_role("button", name="标为已读")).to_have_count(0)
    assert records.inbox(system.app.store, person)[1] == unread - 1
