from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import suppress

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")


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
    if not _UNIQUES:
        return
    def ours(name: str) -> bool:
        return any(u in name for u in _UNIQUES)
    with suppress(Exception):  # a unit-only run has no servers to clean
        from consumers import kafka_admin
        admin = kafka_admin.admin_client(kafka_bootstrap, timeout_s=5)
        try:
            topics = [t for t in admin.list_topics() if ours(t)]
            if topics:
                admin.delete_topics(topics)
            groups = [g["group_id"] for g in admin.list_groups() if ours(g["group_id"])]
            if groups:
                admin.delete_groups(groups)
        finally:
            admin.close()
    with suppress(Exception):
        from search.client import make_client
        client = make_client(es_url, timeout_s=10)
        indices = [i for i in client.indices.get(index="*", expand_wildcards="all") if ours(i)]
        for chunk in range(0, len(indices), 50):
            client.indices.delete(index=",".join(indices[chunk:chunk + 50]))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("CASETRACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")


@pytest.fixture(scope="session")
def es_url() -> str:
    return os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get("CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack")
