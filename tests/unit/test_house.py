"""The house rules a reader relies on: small modules, and a code base that cites its own docs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "consumers", "domain", "eventstore", "loadtests", "projections", "search")
MAX_LINES = 600
# The repository's own docs are the reference; issue numbers and the shared files are not
# part of a clone.
FOREIGN_REFERENCE = re.compile(r"\bAPI\.md\b|\bDESIGN\.md\b|\bshared/|\b[Ii]ssue \d+\b")


def product_modules() -> list[Path]:
    return sorted(p for folder in PRODUCT for p in (ROOT / folder).rglob("*.py"))


def test_the_product_has_modules_to_check():
    assert len(product_modules()) > 50


def test_no_module_of_the_product_or_its_tooling_is_longer_than_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in product_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_code_and_tests_cite_the_repositorys_docs_not_issues_or_shared_files():
    sources = product_modules() + sorted((ROOT / "tests").rglob("*.py"))
    sources = [p for p in sources if p != Path(__file__).resolve()]
    citing = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sources
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if FOREIGN_REFERENCE.search(line)
    ]
    assert citing == []


def test_the_docs_the_code_cites_are_in_the_repository():
    assert (ROOT / "docs" / "design.md").is_file()
    assert (ROOT / "docs" / "api.md").is_file()
