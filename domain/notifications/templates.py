"""The words of every notification, in zh-Hans and English, from editable files.

`templates/<language>.toml` holds, per kind, the inbox title, the body (inbox and e-mail),
the SMS text and the SMS provider's id of that registered template, and a `[labels]` table
(amounts, outcomes, payment kinds). Placeholders are `{name}`; an unknown one fails the
rendering test (tests/unit/notifications/test_templates.py), never a send.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.model.preferences import DEFAULT_LANGUAGE, LANGUAGES
from domain.notifications.kinds import KINDS

TEMPLATES = Path(__file__).with_name("templates")
PLACEHOLDERS = (
    "case_number",
    "item",
    "amount",
    "deadline",
    "outcome",
    "licence_number",
    "materials",
    "reason",
)
MAX_REASON_CHARS = 200


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str
    sms_template: str
    sms_params: dict[str, str]  # what a template-SMS provider fills its registered template with


@functools.cache
def load(language: str) -> dict[str, Any]:
    with (TEMPLATES / f"{language}.toml").open("rb") as f:
        return tomllib.load(f)


def _values(labels: dict[str, str], params: dict[str, Any]) -> dict[str, str]:
    amount = params.get("amount_fen")
    label = params.get("item_label")
    reason = str(params.get("reason") or "")
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1] + "…"
    return {
        "case_number": str(params.get("case_number") or ""),
        "item": labels.get(label, "") if label else str(params.get("item") or ""),
        "amount": labels["amount"].format(yuan=f"{amount / 100:.2f}") if amount else "",
        "deadline": str(params.get("deadline") or ""),
        "outcome": labels.get(params.get("outcome_label") or "", ""),
        "licence_number": str(params.get("licence_number") or ""),
        "materials": str(params.get("materials") or ""),
        "reason": reason,
    }


def render(kind: str, language: str, params: dict[str, Any]) -> Rendered:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    texts = load(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    values = _values(texts["labels"], params)
    section = texts[kind]
    used = [name for name in PLACEHOLDERS if f"{{{name}}}" in section["sms"]]
    return Rendered(
        title=section["title"].format_map(values),
        body=section["body"].format_map(values),
        sms=section["sms"].format_map(values),
        sms_template=section["sms_template"],
        sms_params={name: values[name] for name in used},
    )
