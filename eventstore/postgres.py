"""PostgreSQL: the library's application recorder with the hash chain and our tables.

Appends keep the library's serialisation (``LOCK TABLE ... IN EXCLUSIVE MODE`` just
before the insert), so positions are assigned in commit order and a reader tailing the
log never passes a position that a slower transaction fills in later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.sql import SQL, Identifier

from domain.store.base import EVENT_COLUMNS, CasetrackRecorderMixin, ChainedRow
from domain.store.checkpoints import CheckpointStoreMixin
from domain.store.data_keys import DataKeyStoreMixin
from domain.store.hashing import SCHEME_HEADS, HashAlgorithm

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(name: str) -> str:
    if not _IDENTIFIER.match(name):
        msg = f"Not a safe PostgreSQL identifier: {name!r}"
        raise ValueError(msg)
    return name


class CasetrackPostgresRecorder(
    CasetrackRecorderMixin, CheckpointStoreMixin, DataKeyStoreMixin, PostgresApplicationRecorder
):
    for_update = " FOR UPDATE"
    # A LATERAL range read ~25 ms, a head of the scan ~0.06 ms (200,000 streams, RESULTS.md).
    heads_per_range_read = 400

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "casetrack_events",
        hash_algorithm: HashAlgorithm | None = None,
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.hash_algorithm = hash_algorithm or HashAlgorithm()
        schema = _checked(self.datastore.schema)
        prefix = _checked(events_table_name.removesuffix("_events"))

        def qualified(table: str) -> str:
            return f'"{schema}"."{_checked(table)}"'

        self.events_table = qualified(events_table_name)
        self.counters_table = qualified(f"{prefix}_counters")
        self.idempotency_table = qualified(f"{prefix}_idempotency_keys")
        self.checkpoints_table = qualified(f"{prefix}_checkpoints")
        self.buckets_table = qualified(f"{prefix}_checkpoint_buckets")
        self.nodes_table = qualified(f"{prefix}_checkpoint_nodes")
        self.archive_table = qualified(f"{prefix}_archive_schedule")
        self.data_keys_table = qualified(f"{prefix}_data_keys")
        self.snapshots_table = qualified(f"{prefix}_snapshots")

        self.sql_create_statements[self.create_table_statement_index] = SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
            "originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, "
            "topic text NOT NULL, "
            "state bytea NOT NULL, "
            "notification_id bigserial, "
            "prev_hash text, "
            "hash text NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version))"
        ).format(schema=Identifier(schema), table=Identifier(events_table_name))
        # Appends go through append_chained only, never the library's SQL function.
        del self.sql_create_statements[self.create_insert_function_statement_index]
        self.sql_create_statements.extend(
            SQL(statement)
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {self.counters_table} ("
                "series text NOT NULL, year integer NOT NULL, region_code text NOT NULL, "
                "value bigint NOT NULL, PRIMARY KEY (series, year, region_code))",
                f"CREATE TABLE IF NOT EXISTS {self.idempotency_table} ("
                "scope text NOT NULL, idem_key text NOT NULL, request_hash text NOT NULL, "
                "status text NOT NULL, token text NOT NULL, response_status integer, "
                "response_body bytea, position bigint, created_at timestamptz NOT NULL, "
                "reserved_at timestamptz NOT NULL, completed_at timestamptz, "
                "PRIMARY KEY (scope, idem_key))",
                f'CREATE INDEX IF NOT EXISTS "{prefix}_idempotency_created_idx" '
                f"ON {self.idempotency_table} (created_at)",
                f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table} ("
                "id bigserial PRIMARY KEY, created_at text NOT NULL, "
                "position bigint NOT NULL, streams bigint NOT NULL, events bigint NOT NULL, "
                "heads_hash text NOT NULL, signature text NOT NULL)",
                # Checkpoints signed before schemes were named are heads-v1.
                f"ALTER TABLE {self.checkpoints_table} "
                f"ADD COLUMN IF NOT EXISTS scheme text NOT NULL DEFAULT '{SCHEME_HEADS}'",
                *(
                    f"CREATE TABLE IF NOT EXISTS {table} (number integer PRIMARY KEY, "
                    "streams bigint NOT NULL, events bigint NOT NULL, hash text NOT NULL)"
                    for table in (self.buckets_table, self.nodes_table)
                ),
                f"CREATE TABLE IF NOT EXISTS {self.archive_table} ("
                "aggregate_id uuid PRIMARY KEY, action_date text NOT NULL)",
                f'CREATE INDEX IF NOT EXISTS "{prefix}_archive_due_idx" '
                f"ON {self.archive_table} (action_date)",
                *self.data_keys_ddl("bytea", "uuid"),
            )
        )
        self.insert_chained_statement = (
            f"INSERT INTO {self.events_table} ({EVENT_COLUMNS}) "
            "SELECT i, v, t, s, p, h FROM unnest("
            "%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::text[], %s::text[]"
            ") WITH ORDINALITY AS u(i, v, t, s, p, h, n) ORDER BY n "
            "RETURNING notification_id"
        )
        # The same, inserting nothing when an aggregate the command read has moved: its
        # snapshot is taken under the table lock, so no append can come between.
        self.insert_chained_if_unchanged_statement = (
            f"INSERT INTO {self.events_table} ({EVENT_COLUMNS}) "
            "SELECT i, v, t, s, p, h FROM unnest("
            "%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::text[], %s::text[]"
            ") WITH ORDINALITY AS u(i, v, t, s, p, h, n) "
            "WHERE NOT EXISTS (SELECT 1 FROM unnest(%s::uuid[], %s::bigint[]) AS r(id, version) "
            "WHERE r.version <> COALESCE((SELECT MAX(originator_version) "
            f"FROM {self.events_table} WHERE originator_id = r.id), 0)) "
            "ORDER BY n RETURNING notification_id"
        )

    # hooks ----------------------------------------------------------------------------

    def q(self, statement: str) -> str:
        return statement

    def write_cursor(self) -> Any:
        return self.datastore.transaction(commit=True)

    def read_cursor(self) -> Any:
        return self.datastore.transaction(commit=False)

    def id_param(self, originator_id: UUID) -> UUID:
        return originator_id

    def id_value(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(str(value))

    def ts_param(self, moment: datetime) -> datetime:
        return moment

    def ts_value(self, value: Any) -> datetime:
        return value

    @contextmanager
    def snapshot_cursor(self) -> Iterator[Any]:
        # READ COMMITTED would give each statement a snapshot of its own.
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cursor

    def lock_checkpoints(self, cursor: Any) -> None:
        cursor.execute(f"LOCK TABLE {self.checkpoints_table} IN SHARE ROW EXCLUSIVE MODE")

    def heads_in(
        self, cursor: Any, position: int, ranges: Sequence[tuple[UUID, UUID]], *, chunk: int = 500
    ) -> Iterator[tuple[UUID, int, str]]:
        # LATERAL: an index range scan per range (a plain join against VALUES was planned as
        # a parallel scan of the whole table per statement).
        for start in range(0, len(ranges), chunk):
            part = ranges[start : start + chunk]
            cursor.execute(
                "SELECT e.originator_id, e.originator_version, e.hash "
                "FROM unnest(%s::uuid[], %s::uuid[]) AS r (lo, hi) CROSS JOIN LATERAL ("
                "SELECT originator_id, MAX(originator_version) AS v "
                f"FROM {self.events_table} WHERE originator_id BETWEEN r.lo AND r.hi "
                "AND notification_id <= %s GROUP BY originator_id) h "
                f"JOIN {self.events_table} e "
                "ON e.originator_id = h.originator_id AND e.originator_version = h.v "
                "ORDER BY e.originator_id",
                ([lo for lo, _ in part], [hi for _, hi in part], position),
            )
            for row in cursor.fetchall():
                yield row["originator_id"], row["originator_version"], row["hash"]

    def before_append(self, cursor: Any) -> None:
        self._lock_table(cursor)
        self._notify_channel(cursor)

    def _stored_heads(
        self, cursor: Any, originator_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[int, str | None]]:
        # One round trip for every aggregate of the command (the table is locked already).
        cursor.execute(
            f"SELECT DISTINCT ON (originator_id) originator_id, originator_version, hash "
            f"FROM {self.events_table} WHERE originator_id = ANY(%s) "
            "ORDER BY originator_id, originator_version DESC",
            (list(originator_ids),),
        )
        return {
            row["originator_id"]: (row["originator_version"], row["hash"])
            for row in cursor.fetchall()
        }

    def insert_chained(self, cursor: Any, rows: Sequence[ChainedRow]) -> list[int]:
        cursor.execute(self.insert_chained_statement, self._columns(rows))
        # Positions come from the sequence in insertion order (table locked).
        return sorted(row["notification_id"] for row in cursor.fetchall())

    def insert_chained_if_unchanged(
        self, cursor: Any, rows: Sequence[ChainedRow], references: Mapping[UUID, int]
    ) -> list[int]:
        cursor.execute(
            self.insert_chained_if_unchanged_statement,
            (*self._columns(rows), list(references), list(references.values())),
        )
        positions = sorted(row["notification_id"] for row in cursor.fetchall())
        if len(positions) != len(rows):  # nothing inserted: say which one moved
            self._check_references(references, self._stored_heads(cursor, list(references)))
            msg = "An aggregate the command read has changed"
            raise IntegrityError(msg)
        return positions

    def _columns(self, rows: Sequence[ChainedRow]) -> tuple[list[Any], ...]:
        return (
            [self._as_uuid(r.event.originator_id) for r in rows],
            [r.event.originator_version for r in rows],
            [r.event.topic for r in rows],
            [bytes(r.event.state) for r in rows],
            [r.prev_hash for r in rows],
            [r.hash for r in rows],
        )

    def scrub_after_erasure(self) -> None:
        # A deleted row stays in its page until VACUUM, and a plain VACUUM only marks the
        # space free: VACUUM FULL writes the live rows into a new file and drops the old one.
        with self.datastore.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
            cursor.execute(f"VACUUM FULL {self.data_keys_table}")

    # the library's entry point --------------------------------------------------------

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        with self.datastore.transaction(commit=True) as cursor:
            return self.append_chained(cursor, stored_events)


class CasetrackPostgresFactory(PostgresFactory):
    HASH_ALGORITHM = "CASETRACK_HASH_ALGORITHM"

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        if self.env_create_table():
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(
                    SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        Identifier(_checked(self.datastore.schema))
                    )
                )

    def application_recorder(self) -> ApplicationRecorder:
        recorder = CasetrackPostgresRecorder(
            datastore=self.datastore,
            events_table_name=f"{self.env.name.lower() or 'casetrack'}_events",
            hash_algorithm=HashAlgorithm(self.env.get(self.HASH_ALGORITHM) or "sha256"),
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder
