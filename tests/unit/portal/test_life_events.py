"""The landing page's grouping file (api/portal/life_events.toml): read and checked at start."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from api.portal.events import events, parse
from domain.demo.templates import TEMPLATES

ENTRY = """
[[event]]
key = "birth"
kind = "life"
zh = "出生"
en = "Having a baby"
items = ["出生医学证明办理"]
"""


def test_the_shipped_grouping_has_life_and_business_events_naming_demo_items():
    grouping = events()
    assert {e.kind for e in grouping} == {"life", "business"}
    assert {"birth", "schooling", "employment", "housing", "start-business"} <= {
        e.key for e in grouping
    }
    demo = {t.name for t in TEMPLATES}
    assert all(any(name in demo for name in e.items) for e in grouping if e.key != "schooling")


def test_an_event_reads_in_the_visitors_language():
    (birth,) = parse(ENTRY)
    assert birth.name("en") == "Having a baby" and birth.name("zh-hans") == "出生"
    assert birth.items == ("出生医学证明办理",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "life"', 'kind = "pet"'), "kind must be one of"),
        (('key = "birth"', 'key = "Birth Day"'), "unique lower-case slug"),
        (('items = ["出生医学证明办理"]', "items = []"), "at least one item name"),
        (('en = "Having a baby"', 'en = ""'), "at least one item name"),
        (('en = "Having a baby"\n', ""), "exactly key, kind, zh, en and items"),
        (("[[event]]", "[[event]"), "life_events.toml"),
    ],
)
def test_a_mistake_stops_the_portal_naming_the_entry(change, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse(ENTRY.replace(*change))


def test_a_key_used_twice_is_refused():
    with pytest.raises(ImproperlyConfigured, match="event 2 \\(birth\\)"):
        parse(ENTRY + ENTRY)
