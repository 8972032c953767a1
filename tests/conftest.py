from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")


@pytest.fixture
def unique() -> str:
    """A short unique suffix so concurrent or repeated runs never share topics or indices."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("CASETRACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")


@pytest.fixture(scope="session")
def es_url() -> str:
    return os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get("CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack")
