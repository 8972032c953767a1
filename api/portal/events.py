"""The life and business events the landing page groups services by: `life_events.toml`
beside this module, an editable file (docs/design.md, "The portal's pages"). Read and checked
once; a mistake in it stops the portal with a message naming the entry, never a half-read
grouping."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE = Path(__file__).with_name("life_events.toml")
KEY = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
KINDS = ("life", "business")


@dataclass(frozen=True)
class Event:
    key: str
    kind: str
    zh: str
    en: str
    items: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.en if language == "en" else self.zh


def parse(text: str, source: str = "life_events.toml") -> list[Event]:
    try:
        entries = tomllib.loads(text).get("event", [])
    except tomllib.TOMLDecodeError as exc:
        raise ImproperlyConfigured(f"{source}: {exc}") from None
    events: list[Event] = []
    for n, entry in enumerate(entries, 1):
        where = f"{source}: event {n} ({entry.get('key', '?')})"
        if set(entry) != {"key", "kind", "zh", "en", "items"}:
            raise ImproperlyConfigured(f"{where}: needs exactly key, kind, zh, en and items")
        if not KEY.match(str(entry["key"])) or entry["key"] in {e.key for e in events}:
            raise ImproperlyConfigured(f"{where}: the key must be a unique lower-case slug")
        if entry["kind"] not in KINDS:
            raise ImproperlyConfigured(f"{where}: kind must be one of {', '.join(KINDS)}")
        names = entry["items"]
        texts = (entry["zh"], entry["en"], *names) if isinstance(names, list) else ()
        if not names or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ImproperlyConfigured(f"{where}: zh, en and at least one item name are needed")
        events.append(Event(entry["key"], entry["kind"], entry["zh"], entry["en"], tuple(names)))
    return events


@cache
def events() -> tuple[Event, ...]:
    return tuple(parse(FILE.read_text(encoding="utf-8"), FILE.name))


def for_page(language: str) -> list[dict]:
    """The grouping as the pages get it: {key, kind, name, items}."""
    return [
        {"key": e.key, "kind": e.kind, "name": e.name(language), "items": list(e.items)}
        for e in events()
    ]
