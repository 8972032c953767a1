"""Every kind renders in both languages from the template files, naming what it is about;
an edit that breaks a placeholder fails here, never at a send."""

from __future__ import annotations

import string

import pytest

from domain.notifications.kinds import KINDS
from domain.notifications.templates import PLACEHOLDERS, load, render

PARAMS = {
    "case_number": "SC-2026-510100-00000042",
    "item": "食品经营许可",
    "licence_number": "SCL-2026-510100-00000007",
    "deadline": "2026-12-04",
    "amount_fen": 123450,
    "materials": "ID-COPY",
    "reason": "材料不全",
    "outcome_label": "approved",
}


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_in_every_language(kind: str, language: str) -> None:
    words = render(kind, language, PARAMS)
    for text in (words.title, words.body, words.sms):
        assert text and "{" not in text and "}" not in text
    named = words.title + words.body
    if kind.startswith("case_"):
        assert PARAMS["case_number"] in named
    if kind.startswith("licence_"):
        assert PARAMS["licence_number"] in named
    if kind in ("payment_requested", "fine_imposed", "fine_due_soon", "payment_settled"):
        assert ("1234.50" in named) and (kind == "payment_settled" or "2026-12-04" in named)
    assert words.sms_template.startswith("SMS_")
    assert set(words.sms_params) <= set(PLACEHOLDERS)


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
def test_the_files_use_only_the_documented_placeholders(language: str) -> None:
    texts = load(language)
    assert set(KINDS) <= set(texts)
    for kind in KINDS:
        for field in ("title", "body", "sms"):
            names = {n for _, n, _, _ in string.Formatter().parse(texts[kind][field]) if n}
            assert names <= set(PLACEHOLDERS), (kind, field, names)


def test_language_and_labels() -> None:
    assert render("case_decided", "zh-Hans", PARAMS).title.endswith("准予许可")
    assert render("case_decided", "en", PARAMS).title.endswith("approved")
    assert "1234.50元" in render("fine_imposed", "zh-Hans", PARAMS).body
    assert "CNY 1234.50" in render("fine_imposed", "en", PARAMS).body
    # A language nobody offers falls back to zh-Hans.
    assert render("case_submitted", "fr", PARAMS).title.startswith("已收到")
