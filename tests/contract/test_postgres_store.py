from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from tests.contract.store_contract import EventStoreContract

pytestmark = pytest.mark.integration

DEFAULT_URL = "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"


def postgres_url() -> str:
    return os.environ.get("CASETRACK_POSTGRES_URL", DEFAULT_URL)


class TestPostgresEventStore(EventStoreContract):
    """Each test gets a schema of its own, dropped afterwards."""

    writers_wait_from_the_start = False

    @pytest.fixture
    def store_env(self) -> Iterator[dict[str, str]]:
        schema = f"ct_test_{uuid4().hex[:12]}"
        yield {
            "CASETRACK_EVENT_STORE": f"{postgres_url()}?schema={schema}&pool_size=4",
            "_SCHEMA": schema,
        }
        with psycopg.connect(postgres_url(), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )

    def execute(self, env: dict[str, str], statement: str, params: tuple = ()) -> list[Any]:
        tables = {
            name: f'"{env["_SCHEMA"]}"."casetrack_{table}"'
            for name, table in (
                ("events", "events"),
                ("checkpoints", "checkpoints"),
                ("buckets", "checkpoint_buckets"),
                ("nodes", "checkpoint_nodes"),
            )
        }
        with psycopg.connect(postgres_url(), autocommit=True) as connection:
            cursor = connection.execute(statement.format(**tables), params)
            return cursor.fetchall() if cursor.description else []

    def id_param(self, aggregate_id: UUID) -> UUID:
        return aggregate_id
