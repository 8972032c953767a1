from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from api.config import get_config
from loadtests.limits import RAISED

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")
# Rate limits are on by default (docs/api.md, "Rate limits"). The suites raise them here
# (servers the tests start inherit them); the throttle tests set low ones of their own.
# pytest-django has set Django up, and so read the configuration, before this file runs.
for _name, _rate in RAISED.items():
    os.environ.setdefault(_name, _rate)
get_config.cache_clear()


_UNIQUES: set[str] = set()


@pytest.fixture
def unique() -> str:
    """A short unique suffix so concurrent or repeated runs never share topics or indices.
    Whatever a test names with it is removed when the session ends (`_remove_what_tests_made`)."""
    value = uuid.uuid4().hex[:10]
    _UNIQUES.add(value)
    return value


@pytest.fixture(scope="session", autouse=True)
def _remove_what_tests_made(kafka_bootstrap: str, es_url: str) -> Iterator[None]:
    """Topics, consumer groups and indices whose names carry a `unique` of this session.

    Tests that fail half-way, or that only clean their indices, would otherwise leave their
    topics behind: hundreds of runs leave thousands of idle partitions on the one local broker.
    """
    yield
    if _UNIQUES:  # a unit-only run made none, and may have no servers to clean
        from loadtests.cleanup import remove_named

        remove_named(
            lambda name: any(u in name for u in _UNIQUES),
            kafka=kafka_bootstrap,
            es=es_url,
            timeout_s=10,
        )


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("CASETRACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")


@pytest.fixture(scope="session")
def es_url() -> str:
    return os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get(
        "CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
    )
