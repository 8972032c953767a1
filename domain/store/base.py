"""What both recorders add to the library's application recorders.

Each backend supplies a few hooks (placeholders, id and time conversions, how to open a
write transaction, how to insert rows); the SQL and the rules live here once:

- the hash chain, computed inside the write transaction from the stored head of each
  aggregate, so every path that appends (``commit`` and the library's ``save``) chains;
- counters ``(series, year, region_code) -> value``;
- idempotency keys ``(scope, key) -> request hash, in_flight|complete, answer``;
- stream heads for the signed checkpoints (their tables: ``domain/store/checkpoints.py``);
- the archive schedule ``aggregate id -> action date`` of closed cases under a destroy rule
  (docs/design.md, "Retention"; the keys the run destroys are in ``domain/store/data_keys.py``).
"""

from __future__ import annotations

import contextlib
import logging
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from domain.store.hashing import HashAlgorithm, event_hash
from domain.store.records import IdempotencyRequest, LoggedEvent, StoredAnswer
from domain.store.stream_reads import StreamReadsMixin

logger = logging.getLogger(__name__)

IN_FLIGHT = "in_flight"
COMPLETE = "complete"

EVENT_COLUMNS = "originator_id, originator_version, topic, state, prev_hash, hash"


class ChainedRow:
    """A stored event with its place in the hash chain, ready to insert."""

    __slots__ = ("event", "hash", "prev_hash")

    def __init__(self, event: StoredEvent, prev_hash: str | None, hash_: str) -> None:
        self.event = event
        self.prev_hash = prev_hash
        self.hash = hash_


class CasetrackRecorderMixin(StreamReadsMixin):
    """Mixed into the SQLite and PostgreSQL application recorders."""

    hash_algorithm: HashAlgorithm
    events_table: str
    counters_table: str
    idempotency_table: str
    archive_table: str
    for_update: str = ""
    # Whether the append checks, under its lock, the heads of what the command read with
    # `Tx.reference`: PostgreSQL takes its table lock only at the append; SQLite's write
    # transaction holds the file's lock from `BEGIN IMMEDIATE`, before any read.
    recheck_references: bool = True

    # ------------------------------------------------------------------ backend hooks

    @abstractmethod
    def q(self, statement: str) -> str:
        """Statement written with ``%s`` placeholders, in the backend's paramstyle."""

    @abstractmethod
    def write_cursor(self) -> contextlib.AbstractContextManager[Any]:
        """A cursor in a write transaction that commits on success."""

    @abstractmethod
    def read_cursor(self) -> contextlib.AbstractContextManager[Any]:
        """A cursor in a read-only transaction (one consistent snapshot)."""

    @abstractmethod
    def id_param(self, originator_id: UUID) -> Any: ...

    @abstractmethod
    def id_value(self, value: Any) -> UUID: ...

    @abstractmethod
    def ts_param(self, moment: datetime) -> Any: ...

    @abstractmethod
    def ts_value(self, value: Any) -> datetime: ...

    def before_append(self, cursor: Any) -> None:
        """Serialise appends (PostgreSQL: the library's table lock)."""

    @abstractmethod
    def insert_chained(self, cursor: Any, rows: Sequence[ChainedRow]) -> list[int]:
        """Insert rows in the given order; return their positions."""

    def insert_chained_if_unchanged(
        self, cursor: Any, rows: Sequence[ChainedRow], references: Mapping[UUID, int]
    ) -> list[int]:
        """`insert_chained` while every aggregate of `references` is still at its version
        (0: none stored), IntegrityError otherwise (PostgreSQL: checked by the INSERT)."""
        self._check_references(references, self._stored_heads(cursor, list(references)))
        return self.insert_chained(cursor, rows)

    # ------------------------------------------------------------------ appending

    def append_chained(
        self,
        cursor: Any,
        stored_events: Sequence[StoredEvent],
        references: Mapping[UUID, int] | None = None,
    ) -> list[int]:
        """Insert with the hash chain. `references`: aggregate id -> the version the command
        decided against, for aggregates it read but does not append to; when one has moved
        since (another transaction appended to it), nothing is inserted (IntegrityError)."""
        if not stored_events:
            return []
        self.before_append(cursor)
        # The stored head of each aggregate whose first pending event is not its first: a new
        # aggregate has none to read (a stream that exists after all refuses version 1 by its
        # unique key, which is the same IntegrityError).
        heads: dict[UUID, tuple[int, str | None]] = {}
        existing: list[UUID] = []
        for event in stored_events:
            originator_id = self._as_uuid(event.originator_id)
            if originator_id not in heads:
                heads[originator_id] = (0, None)
                if event.originator_version != 1:
                    existing.append(originator_id)
        read = {
            i: version
            for i, version in (references or {}).items()
            if self.recheck_references and i not in heads
        }
        if existing:
            # One query for both on PostgreSQL, in the append's lock.
            found = self._stored_heads(cursor, existing + list(read))
            heads.update((i, found[i]) for i in existing if i in found)
            self._check_references(read, found)
            read = {}
        rows: list[ChainedRow] = []
        algorithm = self.hash_algorithm
        for event in stored_events:
            originator_id = self._as_uuid(event.originator_id)
            head_version, prev_hash = heads[originator_id]
            if event.originator_version != head_version + 1:
                msg = (
                    f"Aggregate {originator_id}: cannot append version "
                    f"{event.originator_version} after stored version {head_version}"
                )
                raise IntegrityError(msg)
            digest = event_hash(
                algorithm,
                prev_hash=prev_hash,
                originator_id=originator_id,
                originator_version=event.originator_version,
                topic=event.topic,
                state=event.state,
            )
            rows.append(ChainedRow(event, prev_hash, digest))
            heads[originator_id] = (event.originator_version, digest)
        if read:  # no head was read before hashing
            return self.insert_chained_if_unchanged(cursor, rows, read)
        return self.insert_chained(cursor, rows)

    @staticmethod
    def _check_references(
        references: Mapping[UUID, int], found: Mapping[UUID, tuple[int, str | None]]
    ) -> None:
        moved = {i: (found[i][0] if i in found else 0, v) for i, v in references.items()}
        if any(now != read for now, read in moved.values()):
            raise IntegrityError(
                "; ".join(
                    f"Aggregate {i}: read at version {read}, stored version now {now}"
                    for i, (now, read) in moved.items()
                    if now != read
                )
            )

    def _stored_heads(
        self, cursor: Any, originator_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[int, str | None]]:
        """(version, hash) of the last stored event of each aggregate that has one."""
        heads = {}
        for originator_id in originator_ids:
            head = self.stream_head(cursor, originator_id)
            if head is not None:
                heads[originator_id] = head
        return heads

    @staticmethod
    def _as_uuid(originator_id: UUID | str) -> UUID:
        return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)

    # ------------------------------------------------------------------ counters

    def next_number(self, cursor: Any, series: str, year: int, region_code: str) -> int:
        cursor.execute(
            self.q(
                f"INSERT INTO {self.counters_table} AS c "
                "(series, year, region_code, value) VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (series, year, region_code) "
                "DO UPDATE SET value = c.value + 1 RETURNING value"
            ),
            (series, int(year), region_code),
        )
        return int(cursor.fetchone()["value"])

    # ------------------------------------------------------------------ retention

    def schedule_destruction(self, cursor: Any, aggregate_id: UUID, action_date: date) -> None:
        """In the closing command's transaction: the case is due on ``action_date``."""
        cursor.execute(
            self.q(
                f"INSERT INTO {self.archive_table} (aggregate_id, action_date) VALUES (%s, %s) "
                "ON CONFLICT (aggregate_id) DO UPDATE SET action_date = excluded.action_date"
            ),
            (self.id_param(aggregate_id), action_date.isoformat()),
        )

    def due_destructions(
        self, as_of: date, *, after: tuple[UUID, date] | None = None, limit: int = 1000
    ) -> list[tuple[UUID, date]]:
        """``(aggregate id, action date)`` of what is due on ``as_of``, soonest first, a page
        at a time: pass the last one as ``after`` for the next page."""
        where, params = "action_date <= %s", [as_of.isoformat()]
        if after is not None:
            where += " AND (action_date, aggregate_id) > (%s, %s)"
            params += [after[1].isoformat(), self.id_param(after[0])]
        with self.read_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"SELECT aggregate_id, action_date FROM {self.archive_table} WHERE {where} "
                    "ORDER BY action_date, aggregate_id LIMIT %s"
                ),
                (*params, limit),
            )
            return [
                (self.id_value(row["aggregate_id"]), date.fromisoformat(row["action_date"]))
                for row in cursor.fetchall()
            ]

    def unschedule_destruction(self, aggregate_ids: Sequence[UUID]) -> None:
        """Once the aggregates are destroyed and their keys are gone."""
        with self.write_cursor() as cursor:
            for aggregate_id in aggregate_ids:
                cursor.execute(
                    self.q(f"DELETE FROM {self.archive_table} WHERE aggregate_id = %s"),
                    (self.id_param(aggregate_id),),
                )

    # ------------------------------------------------------------------ idempotency

    def reserve_idempotency(
        self,
        request: IdempotencyRequest,
        *,
        token: str,
        now: datetime,
        stale_before: datetime,
    ) -> StoredAnswer | None:
        """Reserve the key in a short transaction of its own.

        Returns None when reserved (new, or a stale reservation taken over) and the
        stored answer when completed with the same body; raises ``IdempotencyKeyReused``
        for another body and ``IdempotencyKeyInFlight`` while another request holds it.
        The first look is a plain read, so a duplicate does not wait for the write lock
        held by the request it duplicates.
        """
        with self.read_cursor() as cursor:
            row = self._idempotency_row(cursor, request)
        if row is not None:
            stored = self._decide(row, request, stale_before)
            if stored is not None:
                return stored
        with self.write_cursor() as cursor:
            if row is None:
                cursor.execute(
                    self.q(
                        f"INSERT INTO {self.idempotency_table} "
                        "(scope, idem_key, request_hash, status, token, created_at, "
                        "reserved_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (scope, idem_key) DO NOTHING RETURNING token"
                    ),
                    (
                        request.scope,
                        request.key,
                        request.request_hash,
                        IN_FLIGHT,
                        token,
                        self.ts_param(now),
                        self.ts_param(now),
                    ),
                )
                if cursor.fetchone() is not None:
                    return None
                # Another request inserted it since our read.
                row = self._idempotency_row(cursor, request)
                if row is None:
                    raise IdempotencyKeyInFlight
                stored = self._decide(row, request, stale_before)
                if stored is not None:
                    return stored
            logger.warning(
                "Taking over a stale in-flight idempotency key",
                extra={"scope": request.scope, "key": request.key},
            )
            cursor.execute(
                self.q(
                    f"UPDATE {self.idempotency_table} SET token = %s, reserved_at = %s "
                    "WHERE scope = %s AND idem_key = %s AND token = %s AND status = %s "
                    "RETURNING token"
                ),
                (token, self.ts_param(now), request.scope, request.key, row["token"], IN_FLIGHT),
            )
            if cursor.fetchone() is None:
                raise IdempotencyKeyInFlight
            return None

    def _decide(
        self, row: Any, request: IdempotencyRequest, stale_before: datetime
    ) -> StoredAnswer | None:
        """The stored answer, None for a stale reservation; raises otherwise."""
        if row["request_hash"] != request.request_hash:
            raise IdempotencyKeyReused
        if row["status"] == COMPLETE:
            body = row["response_body"]
            return StoredAnswer(
                status=row["response_status"],
                body=orjson.loads(bytes(body)) if body is not None else None,
                position=row["position"],
            )
        if self.ts_value(row["reserved_at"]) > stale_before:
            raise IdempotencyKeyInFlight
        return None

    def _idempotency_row(
        self, cursor: Any, request: IdempotencyRequest, *, lock: bool = False
    ) -> Any:
        cursor.execute(
            self.q(
                "SELECT request_hash, status, token, reserved_at, response_status, "
                f"response_body, position FROM {self.idempotency_table} "
                "WHERE scope = %s AND idem_key = %s" + (self.for_update if lock else "")
            ),
            (request.scope, request.key),
        )
        return cursor.fetchone()

    def hold_idempotency(self, cursor: Any, request: IdempotencyRequest, token: str) -> None:
        """Inside the commit transaction: the reservation must still be ours."""
        row = self._idempotency_row(cursor, request, lock=True)
        if row is None or row["status"] != IN_FLIGHT or row["token"] != token:
            msg = "The reservation of this Idempotency-Key expired and was taken over."
            raise IdempotencyKeyInFlight(msg)

    def complete_idempotency(
        self,
        cursor: Any,
        request: IdempotencyRequest,
        *,
        token: str,
        status: int | None,
        body: dict[str, Any] | None,
        position: int | None,
        now: datetime,
    ) -> None:
        cursor.execute(
            self.q(
                f"UPDATE {self.idempotency_table} SET status = %s, response_status = %s, "
                "response_body = %s, position = %s, completed_at = %s "
                "WHERE scope = %s AND idem_key = %s AND token = %s"
            ),
            (
                COMPLETE,
                status,
                orjson.dumps(body) if body is not None else None,
                position,
                self.ts_param(now),
                request.scope,
                request.key,
                token,
            ),
        )

    def release_idempotency(self, request: IdempotencyRequest, token: str) -> None:
        """After a failed command: free the key so the client can retry it."""
        with self.write_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"DELETE FROM {self.idempotency_table} "
                    "WHERE scope = %s AND idem_key = %s AND token = %s AND status = %s"
                ),
                (request.scope, request.key, token, IN_FLIGHT),
            )

    def purge_idempotency(self, created_before: datetime) -> int:
        with self.write_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"DELETE FROM {self.idempotency_table} WHERE created_at < %s RETURNING scope"
                ),
                (self.ts_param(created_before),),
            )
            return len(cursor.fetchall())

    # ------------------------------------------------------------------ reading

    def read_log(self, after: int = 0, limit: int = 1000) -> list[LoggedEvent]:
        with self.read_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"SELECT notification_id, {EVENT_COLUMNS} FROM {self.events_table} "
                    "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ),
                (after, limit),
            )
            return [self._logged(row) for row in cursor.fetchall()]

    def _logged(self, row: Any) -> LoggedEvent:
        return LoggedEvent(
            position=row["notification_id"],
            originator_id=self.id_value(row["originator_id"]),
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )

    def read_stream(self, aggregate_id: UUID) -> list[LoggedEvent]:
        """One aggregate's events in version order, with their positions and hashes."""
        with self.read_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"SELECT notification_id, {EVENT_COLUMNS} FROM {self.events_table} "
                    "WHERE originator_id = %s ORDER BY originator_version"
                ),
                (self.id_param(aggregate_id),),
            )
            return [self._logged(row) for row in cursor.fetchall()]

    def read_streams(self, aggregate_ids: Sequence[UUID]) -> list[LoggedEvent]:
        """The events of several aggregates in one query, each stream in version order."""
        if not aggregate_ids:
            return []
        with self.read_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"SELECT notification_id, {EVENT_COLUMNS} FROM {self.events_table} "
                    f"WHERE originator_id IN ({', '.join(['%s'] * len(aggregate_ids))}) "
                    "ORDER BY originator_id, originator_version"
                ),
                tuple(self.id_param(i) for i in aggregate_ids),
            )
            return [self._logged(row) for row in cursor.fetchall()]

    def max_position(self) -> int:
        with self.read_cursor() as cursor:
            cursor.execute(self.q(f"SELECT MAX(notification_id) AS m FROM {self.events_table}"))
            return cursor.fetchone()["m"] or 0

    def iter_chain_rows(
        self, aggregate_id: UUID | None = None, batch: int = 2000
    ) -> Iterator[dict[str, Any]]:
        """Events in (aggregate id, version) order, paged by keyset."""
        last: tuple[Any, int] | None = None
        while True:
            params: tuple[Any, ...]
            if aggregate_id is not None:
                where = "WHERE originator_id = %s AND originator_version > %s"
                params = (self.id_param(aggregate_id), last[1] if last else 0)
            elif last is None:
                where, params = "", ()
            else:
                where = "WHERE (originator_id, originator_version) > (%s, %s)"
                params = last
            with self.read_cursor() as cursor:
                cursor.execute(
                    self.q(
                        f"SELECT {EVENT_COLUMNS} FROM {self.events_table} {where} "
                        "ORDER BY originator_id, originator_version LIMIT %s"
                    ),
                    (*params, batch),
                )
                rows = cursor.fetchall()
            for row in rows:
                yield {
                    "originator_id": self.id_value(row["originator_id"]),
                    "originator_version": row["originator_version"],
                    "topic": row["topic"],
                    "state": bytes(row["state"]),
                    "prev_hash": row["prev_hash"],
                    "hash": row["hash"],
                }
            if len(rows) < batch:
                return
            last = (rows[-1]["originator_id"], rows[-1]["originator_version"])

    def heads_at(
        self,
        cursor: Any,
        position: int,
        *,
        batch: int = 10_000,
        ids: tuple[UUID, UUID] | None = None,
    ) -> Iterator[tuple[UUID, int, str]]:
        """Every stream's head at `position` (only ids from `ids[0]` to `ids[1]` if given),
        in id order, `batch` streams per query in the caller's snapshot: a store of millions
        of streams never has them all in memory."""
        bounds = tuple(self.id_param(i) for i in ids) if ids else ()
        after: tuple = ()
        while True:
            cursor.execute(
                self.q(
                    f"SELECT e.originator_id, e.originator_version, e.hash "
                    f"FROM {self.events_table} e JOIN ("
                    f"SELECT originator_id, MAX(originator_version) AS v "
                    f"FROM {self.events_table} WHERE notification_id <= %s "
                    f"{'AND originator_id BETWEEN %s AND %s ' if bounds else ''}"
                    f"{'AND originator_id > %s ' if after else ''}"
                    "GROUP BY originator_id ORDER BY originator_id LIMIT %s) m "
                    "ON e.originator_id = m.originator_id AND e.originator_version = m.v "
                    "ORDER BY e.originator_id"
                ),
                (position, *bounds, *after, batch),
            )
            rows = cursor.fetchall()
            for row in rows:
                yield self.id_value(row["originator_id"]), row["originator_version"], row["hash"]
            if len(rows) < batch:
                return
            after = (rows[-1]["originator_id"],)

    def heads_in(
        self, cursor: Any, position: int, ranges: Sequence[tuple[UUID, UUID]], *, chunk: int = 500
    ) -> Iterator[tuple[UUID, int, str]]:
        """The heads at `position` of the streams whose ids fall in the given sorted,
        disjoint `ranges`, in id order: one statement for `chunk` ranges (an index range
        scan each), so thousands of small ranges cost a few round trips, not thousands."""
        for start in range(0, len(ranges), chunk):
            part = ranges[start : start + chunk]
            cursor.execute(
                self.q(
                    f"WITH r (lo, hi) AS (VALUES {', '.join(['(%s, %s)'] * len(part))}) "
                    f"SELECT e.originator_id, e.originator_version, e.hash "
                    f"FROM {self.events_table} e JOIN ("
                    f"SELECT m.originator_id, MAX(m.originator_version) AS v "
                    f"FROM r JOIN {self.events_table} m "
                    "ON m.originator_id BETWEEN r.lo AND r.hi "
                    "WHERE m.notification_id <= %s GROUP BY m.originator_id) h "
                    "ON e.originator_id = h.originator_id AND e.originator_version = h.v "
                    "ORDER BY e.originator_id"
                ),
                (*(self.id_param(i) for pair in part for i in pair), position),
            )
            for row in cursor.fetchall():
                yield self.id_value(row["originator_id"]), row["originator_version"], row["hash"]

    def count_events(self, cursor: Any, position: int) -> int:
        cursor.execute(
            self.q(f"SELECT COUNT(*) AS n FROM {self.events_table} WHERE notification_id <= %s"),
            (position,),
        )
        return int(cursor.fetchone()["n"])

    def max_position_in(self, cursor: Any) -> int:
        cursor.execute(self.q(f"SELECT MAX(notification_id) AS m FROM {self.events_table}"))
        return cursor.fetchone()["m"] or 0
