"""SQLite: the library's recorder with ``BEGIN IMMEDIATE`` writes and the hash chain.

Several processes (API workers, the relay, ``seed_demo``) share one file. A deferred
transaction that reads and then writes fails at once with SQLITE_BUSY when another
process wrote in between, so every write transaction starts with ``BEGIN IMMEDIATE``
(take the write lock first, waiting up to the busy timeout), in WAL mode.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)
from eventsourcing.utils import Environment, EnvType

from domain.store.base import EVENT_COLUMNS, CasetrackRecorderMixin, ChainedRow
from domain.store.checkpoints import CheckpointStoreMixin
from domain.store.data_keys import DataKeyStoreMixin
from domain.store.hashing import SCHEME_HEADS, HashAlgorithm

DEFAULT_BUSY_TIMEOUT = 30.0
# Rows per INSERT statement: 6 parameters each, well under SQLite's 32,766 variables.
INSERT_CHUNK = 500
_ROW = "(?, ?, ?, ?, ?, ?)"


class ImmediateTransaction(SQLiteTransaction):
    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        except sqlite3.OperationalError as e:
            raise OperationalError(e) from e
        return cursor


class ImmediateConnection(SQLiteConnection):
    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with ImmediateTransaction(self, commit=commit) as curs, curs:
            yield curs


class ImmediateConnectionPool(SQLiteConnectionPool):
    def __init__(
        self, *, db_name: str, busy_timeout: float, synchronous: str, **kwargs: Any
    ) -> None:
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        super().__init__(db_name=db_name, **kwargs)

    def _create_connection(self) -> ImmediateConnection:
        try:
            c = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # we issue BEGIN ourselves
                cached_statements=True,
                timeout=self.busy_timeout,
            )
        except (sqlite3.Error, TypeError) as e:
            raise OperationalError(e) from e
        try:
            c.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not self.is_sqlite_memory_mode:
                mode = c.execute("PRAGMA journal_mode").fetchone()[0]
                if mode.lower() != "wal":
                    c.execute("PRAGMA journal_mode = WAL")
                self.is_journal_mode_wal = True
            c.execute(f"PRAGMA synchronous = {self.synchronous}")
            # Freed pages are zeroed: a deleted data key leaves no bytes behind.
            c.execute("PRAGMA secure_delete = ON")
        except sqlite3.Error as e:
            c.close()
            raise OperationalError(e) from e
        c.row_factory = sqlite3.Row
        return ImmediateConnection(sqlite_conn=c, max_age=self.max_age)


class ImmediateDatastore(SQLiteDatastore):
    def __init__(
        self,
        db_name: str,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        synchronous: str = "FULL",
        pool_size: int = 5,
        max_overflow: int = 10,
    ) -> None:
        super().__init__(db_name, pool_size=pool_size, max_overflow=max_overflow)
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            msg = f"Invalid SQLite synchronous setting {synchronous!r}"
            raise ValueError(msg)
        self.pool.close()
        self.pool = ImmediateConnectionPool(
            db_name=db_name,
            busy_timeout=busy_timeout,
            synchronous=synchronous.upper(),
            pool_size=pool_size,
            max_overflow=max_overflow,
            # A writer waits for this process's other writer as long as for another
            # process's (the busy timeout).
            pool_timeout=busy_timeout,
        )


class CasetrackSQLiteRecorder(
    CasetrackRecorderMixin, CheckpointStoreMixin, DataKeyStoreMixin, SQLiteApplicationRecorder
):
    counters_table = "casetrack_counters"
    data_keys_table = "casetrack_data_keys"
    snapshots_table = "stored_snapshots"
    idempotency_table = "casetrack_idempotency_keys"
    checkpoints_table = "casetrack_checkpoints"
    buckets_table = "casetrack_checkpoint_buckets"
    nodes_table = "casetrack_checkpoint_nodes"
    archive_table = "casetrack_archive_schedule"
    # A write transaction holds the file's write lock from BEGIN IMMEDIATE: what a command
    # read on its cursor cannot change before its commit.
    recheck_references = False

    def __init__(
        self,
        datastore: SQLiteDatastore,
        events_table_name: str = "stored_events",
        *,
        hash_algorithm: HashAlgorithm | None = None,
    ) -> None:
        self.hash_algorithm = hash_algorithm or HashAlgorithm()
        self.events_table = events_table_name
        super().__init__(datastore, events_table_name)
        self.insert_events_statement = (
            f"INSERT INTO {self.events_table_name} ({EVENT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING notification_id"
        )
        self.select_max_notification_id_statement = (
            f"SELECT MAX(notification_id) FROM {self.events_table_name}"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            # AUTOINCREMENT: a position is never reused, even after the tail is deleted.
            f"CREATE TABLE IF NOT EXISTS {self.events_table_name} ("
            "notification_id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "topic TEXT NOT NULL, "
            "state BLOB NOT NULL, "
            "prev_hash TEXT, "
            "hash TEXT NOT NULL, "
            "UNIQUE (originator_id, originator_version))",
            f"CREATE TABLE IF NOT EXISTS {self.counters_table} ("
            "series TEXT NOT NULL, year INTEGER NOT NULL, region_code TEXT NOT NULL, "
            "value INTEGER NOT NULL, PRIMARY KEY (series, year, region_code)) "
            "WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {self.idempotency_table} ("
            "scope TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL, "
            "status TEXT NOT NULL, token TEXT NOT NULL, response_status INTEGER, "
            "response_body BLOB, position INTEGER, created_at TEXT NOT NULL, "
            "reserved_at TEXT NOT NULL, completed_at TEXT, "
            "PRIMARY KEY (scope, idem_key)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {self.idempotency_table}_created_idx "
            f"ON {self.idempotency_table} (created_at)",
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table} ("
            "id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
            "position INTEGER NOT NULL, streams INTEGER NOT NULL, "
            "events INTEGER NOT NULL, heads_hash TEXT NOT NULL, "
            f"signature TEXT NOT NULL, scheme TEXT NOT NULL DEFAULT '{SCHEME_HEADS}')",
            *(
                f"CREATE TABLE IF NOT EXISTS {table} (number INTEGER PRIMARY KEY, "
                "streams INTEGER NOT NULL, events INTEGER NOT NULL, hash TEXT NOT NULL)"
                for table in (self.buckets_table, self.nodes_table)
            ),
            f"CREATE TABLE IF NOT EXISTS {self.archive_table} ("
            "aggregate_id TEXT PRIMARY KEY, action_date TEXT NOT NULL) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {self.archive_table}_due_idx "
            f"ON {self.archive_table} (action_date)",
            *self.data_keys_ddl("BLOB", "TEXT"),
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        # Checkpoints signed before schemes were named are heads-v1.
        c.execute(f"PRAGMA table_info({self.checkpoints_table})")
        if "scheme" not in {row["name"] for row in c.fetchall()}:
            c.execute(
                f"ALTER TABLE {self.checkpoints_table} "
                f"ADD COLUMN scheme TEXT NOT NULL DEFAULT '{SCHEME_HEADS}'"
            )

    def scrub_after_erasure(self) -> None:
        # secure_delete zeroed the freed pages; the WAL still holds the old page images
        # until a checkpoint copies them back and truncates it.
        with self.datastore.get_connection(commit=True) as connection:
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # hooks ----------------------------------------------------------------------------

    def q(self, statement: str) -> str:
        return statement.replace("%s", "?")

    def write_cursor(self) -> Any:
        return self.datastore.transaction(commit=True)

    def read_cursor(self) -> Any:
        return self.datastore.transaction(commit=False)

    def id_param(self, originator_id: UUID) -> str:
        return originator_id.hex

    def id_value(self, value: Any) -> UUID:
        return UUID(value)

    def ts_param(self, moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def ts_value(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def insert_chained(self, cursor: Any, rows: Sequence[ChainedRow]) -> list[int]:
        # One statement per INSERT_CHUNK rows (a command's few events: one). Under the write
        # lock the rows take increasing positions in VALUES order; RETURNING's order is not
        # promised, hence sorted.
        positions: list[int] = []
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            params: list[Any] = []
            for row in chunk:
                event = row.event
                params += (
                    self._as_uuid(event.originator_id).hex,
                    event.originator_version,
                    event.topic,
                    event.state,
                    row.prev_hash,
                    row.hash,
                )
            cursor.execute(
                f"INSERT INTO {self.events_table_name} ({EVENT_COLUMNS}) VALUES "
                + ",".join([_ROW] * len(chunk))
                + " RETURNING notification_id",
                params,
            )
            positions += sorted(row[0] for row in cursor.fetchall())
        return positions

    # the library's entry points -------------------------------------------------------

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        return self.append_chained(c, stored_events)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        clauses: list[str] = []
        params: list[Any] = []
        if start is not None:
            clauses.append("notification_id >= ?" if inclusive_of_start else "notification_id > ?")
            params.append(start)
        if stop is not None:
            clauses.append("notification_id <= ?")
            params.append(stop)
        if topics:
            clauses.append(f"topic IN ({','.join('?' * len(topics))})")
            params.extend(topics)
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        statement = (
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} {where}ORDER BY notification_id LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [*params, limit])
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]


class CasetrackSQLiteFactory(SQLiteFactory):
    """``SQLiteFactory`` with the immediate-transaction datastore and our recorder."""

    HASH_ALGORITHM = "CASETRACK_HASH_ALGORITHM"
    BUSY_TIMEOUT = "CASETRACK_SQLITE_BUSY_TIMEOUT"
    SYNCHRONOUS = "CASETRACK_SQLITE_SYNCHRONOUS"

    application_recorder_class = CasetrackSQLiteRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.datastore.close()
        self.datastore = ImmediateDatastore(
            db_name=self.env[self.SQLITE_DBNAME],
            busy_timeout=float(self.env.get(self.BUSY_TIMEOUT) or DEFAULT_BUSY_TIMEOUT),
            synchronous=self.env.get(self.SYNCHRONOUS) or "FULL",
        )

    def application_recorder(self) -> ApplicationRecorder:
        recorder = CasetrackSQLiteRecorder(
            datastore=self.datastore,
            hash_algorithm=HashAlgorithm(self.env.get(self.HASH_ALGORITHM) or "sha256"),
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder
