"""Signed checkpoints whose cost grows with the streams written since the previous one.

A checkpoint signs the root of a fixed tree of bucket hashes (``hashing.py``, scheme
``buckets16-v2``). The store keeps the latest checkpoint's buckets in a table of its own,
``(bucket, streams, events, hash)``, written in the same transaction as the checkpoint row,
so a crash leaves the table and the latest checkpoint in step. The next checkpoint reads the
ids written in ``(previous position, position]`` from the log, recomputes only their
buckets from the events and takes the others from the table: the write path is untouched.

The table is a cache for the checkpointer, never evidence: it is used only when its root is
the previous checkpoint's signed root (with a valid signature, same algorithm); otherwise
one full pass over every stream head fills it again (the first checkpoint of a store, or of
one signed with ``heads-v1``). An auditor recomputes every bucket from the events, compares
the root with the signed one and, when they differ, names the buckets that differ from the
table, once the table itself is proved to be the signed one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import chain
from typing import Any, TypeVar
from uuid import UUID

from domain.store.hashing import (
    SCHEME_BUCKETS,
    SCHEME_HEADS,
    Bucket,
    HashAlgorithm,
    algorithm_of,
    bucket_bounds,
    bucket_of,
    bucket_prefix,
    buckets_of,
    checkpoint_message,
    heads_hash,
    root_hash,
    sign,
    signature_valid,
)
from domain.store.records import Checkpoint, CheckpointReport

logger = logging.getLogger(__name__)

T = TypeVar("T")
CHECKPOINT_COLUMNS = "id, created_at, position, streams, events, heads_hash, signature, scheme"
UPSERT_CHUNK = 1000


class CheckpointStoreMixin:
    """The checkpoints and their buckets' tables; mixed into both recorders."""

    checkpoints_table: str
    buckets_table: str

    def snapshot_cursor(self) -> Any:
        """A read-only transaction whose statements all see one snapshot."""
        return self.read_cursor()  # type: ignore[attr-defined]

    def lock_checkpoints(self, cursor: Any) -> None:
        """In a write transaction: one checkpointer at a time (SQLite: BEGIN IMMEDIATE)."""

    def insert_checkpoint(self, cursor: Any, checkpoint: Checkpoint) -> int:
        cursor.execute(
            self.q(  # type: ignore[attr-defined]
                f"INSERT INTO {self.checkpoints_table} "
                "(created_at, position, streams, events, heads_hash, signature, scheme) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id"
            ),
            (
                checkpoint.created_at,
                checkpoint.position,
                checkpoint.streams,
                checkpoint.events,
                checkpoint.heads_hash,
                checkpoint.signature,
                checkpoint.scheme,
            ),
        )
        return int(cursor.fetchone()["id"])

    def latest_checkpoint(self, cursor: Any = None) -> Checkpoint | None:
        if cursor is None:
            with self.read_cursor() as own:  # type: ignore[attr-defined]
                return self.latest_checkpoint(own)
        cursor.execute(
            f"SELECT {CHECKPOINT_COLUMNS} FROM {self.checkpoints_table} ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
        return None if row is None else Checkpoint(**{k: row[k] for k in row.keys()})  # noqa: SIM118

    def read_buckets(self, cursor: Any) -> list[Bucket]:
        cursor.execute(
            f"SELECT bucket, streams, events, hash FROM {self.buckets_table} ORDER BY bucket"
        )
        return [
            Bucket(row["bucket"], row["streams"], row["events"], row["hash"])
            for row in cursor.fetchall()
        ]

    def save_buckets(
        self, cursor: Any, buckets: Sequence[Bucket], emptied: Sequence[int], *, replace_all: bool
    ) -> None:
        if replace_all:
            cursor.execute(f"DELETE FROM {self.buckets_table}")
        for start in range(0, len(emptied), UPSERT_CHUNK):
            chunk = emptied[start : start + UPSERT_CHUNK]
            cursor.execute(
                self.q(  # type: ignore[attr-defined]
                    f"DELETE FROM {self.buckets_table} "
                    f"WHERE bucket IN ({', '.join(['%s'] * len(chunk))})"
                ),
                tuple(chunk),
            )
        for start in range(0, len(buckets), UPSERT_CHUNK):
            chunk = buckets[start : start + UPSERT_CHUNK]
            cursor.execute(
                self.q(  # type: ignore[attr-defined]
                    f"INSERT INTO {self.buckets_table} (bucket, streams, events, hash) VALUES "
                    + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                    + " ON CONFLICT (bucket) DO UPDATE SET streams = excluded.streams, "
                    "events = excluded.events, hash = excluded.hash"
                ),
                tuple(v for b in chunk for v in (b.number, b.streams, b.events, b.hash)),
            )

    def written_between(self, cursor: Any, after: int, upto: int) -> list[UUID]:
        """The distinct ids of the streams written in positions (after, upto]."""
        cursor.execute(
            self.q(  # type: ignore[attr-defined]
                f"SELECT DISTINCT originator_id FROM {self.events_table} "  # type: ignore[attr-defined]
                "WHERE notification_id > %s AND notification_id <= %s"
            ),
            (after, upto),
        )
        return [self.id_value(row["originator_id"]) for row in cursor.fetchall()]  # type: ignore[attr-defined]


def checkpoint_message_of(checkpoint: Checkpoint) -> bytes:
    return checkpoint_message(
        scheme=checkpoint.scheme,
        position=checkpoint.position,
        streams=checkpoint.streams,
        events=checkpoint.events,
        heads=checkpoint.heads_hash,
        created_at=checkpoint.created_at,
    )


def write_checkpoint(
    store: Any,
    *,
    key: str,
    now: Callable[[], datetime],
    pause: Callable[[], None] | None = None,
    pause_every: int = 10_000,
) -> Checkpoint:
    """Sign the buckets at the store's last position; see `CasetrackApplication`."""
    algorithm: HashAlgorithm = store.hash_algorithm
    while True:
        with store.snapshot_cursor() as cursor:
            position = store.max_position_in(cursor)
            previous = store.latest_checkpoint(cursor)
            cached = _cached_buckets(store, cursor, previous, key, algorithm)
            if cached is None:  # one full pass
                ranges: Iterable[tuple[UUID, UUID] | None] = [None]
                touched: list[int] = []
            else:
                ids = store.written_between(cursor, previous.position, position)
                touched = sorted({bucket_of(i) for i in ids})
                ranges = [bucket_bounds(first, last) for first, last in _runs(touched)]
            heads = chain.from_iterable(store.heads_at(cursor, position, ids=r) for r in ranges)
            if pause is not None:
                heads = _paced(heads, pause, pause_every)
            fresh = list(buckets_of(algorithm, heads))
        buckets = dict(cached or {})
        buckets.update((b.number, b) for b in fresh)
        emptied = [n for n in touched if n not in {b.number for b in fresh}]
        for number in emptied:  # only if streams were deleted
            buckets.pop(number, None)
        tree = [buckets[n] for n in sorted(buckets)]
        created_at = now().astimezone(UTC).isoformat(timespec="microseconds")
        checkpoint = Checkpoint(
            id=0,
            created_at=created_at,
            position=position,
            streams=sum(b.streams for b in tree),
            events=sum(b.events for b in tree),
            heads_hash=root_hash(algorithm, tree),
            signature="",
            scheme=SCHEME_BUCKETS,
        )
        checkpoint = replace(checkpoint, signature=sign(key, checkpoint_message_of(checkpoint)))
        with store.write_cursor() as cursor:
            store.lock_checkpoints(cursor)
            latest = store.latest_checkpoint(cursor)
            if _id(latest) == _id(previous):
                store.save_buckets(cursor, fresh, emptied, replace_all=cached is None)
                return replace(checkpoint, id=store.insert_checkpoint(cursor, checkpoint))
        # Another checkpointer signed in between: its buckets are the cache now.
        logger.info("another checkpoint was signed meanwhile: computing again")


def verify_latest_checkpoint(store: Any, key: str) -> CheckpointReport | None:
    """Recompute the latest checkpoint's digest from the events themselves (a full pass)."""
    with store.snapshot_cursor() as cursor:
        checkpoint = store.latest_checkpoint(cursor)
        if checkpoint is None:
            return None
        report = CheckpointReport(
            id=checkpoint.id,
            position=checkpoint.position,
            created_at=checkpoint.created_at,
            ok=True,
            scheme=checkpoint.scheme,
        )
        if checkpoint.scheme not in (SCHEME_HEADS, SCHEME_BUCKETS):
            report.ok = False
            report.problems.append(f"unknown checkpoint scheme {checkpoint.scheme!r}")
            return report
        if not signature_valid(key, checkpoint_message_of(checkpoint), checkpoint.signature):
            report.problems.append("the checkpoint's signature is invalid")
        max_position = store.max_position_in(cursor)
        algorithm = algorithm_of(checkpoint.heads_hash)
        heads = store.heads_at(cursor, checkpoint.position)
        if checkpoint.scheme == SCHEME_HEADS:
            digest, streams = heads_hash(algorithm, heads)
            recomputed: list[Bucket] = []
        else:
            recomputed = list(buckets_of(algorithm, heads))
            digest = root_hash(algorithm, recomputed)
            streams = sum(b.streams for b in recomputed)
        events = store.count_events(cursor, checkpoint.position)
        table = store.read_buckets(cursor) if checkpoint.scheme == SCHEME_BUCKETS else []
    if max_position < checkpoint.position:
        report.problems.append(
            f"the store ends at position {max_position}, before the checkpoint's "
            f"position {checkpoint.position}: the tail of the log was cut off"
        )
    if streams != checkpoint.streams:
        report.problems.append(
            f"{checkpoint.streams} streams were signed up to position "
            f"{checkpoint.position}, {streams} are there now"
        )
    if events != checkpoint.events:
        report.problems.append(
            f"{checkpoint.events} events were signed up to position "
            f"{checkpoint.position}, {events} are there now"
        )
    if digest != checkpoint.heads_hash:
        report.problems.append(
            "the stream heads differ from the signed ones: a stream or the tail "
            "of a stream was deleted or rewritten"
        )
        if checkpoint.scheme == SCHEME_BUCKETS:
            report.problems.append(_which_buckets(report, algorithm, checkpoint, recomputed, table))
    report.ok = not report.problems
    return report


def _which_buckets(
    report: CheckpointReport,
    algorithm: HashAlgorithm,
    checkpoint: Checkpoint,
    recomputed: list[Bucket],
    table: list[Bucket],
) -> str:
    if root_hash(algorithm, table) != checkpoint.heads_hash:
        return (
            "the stored bucket table is not the signed one either (altered too): "
            "the buckets that differ cannot be named"
        )
    signed = {b.number: b for b in table}
    found = {b.number: b for b in recomputed}
    report.buckets = [
        bucket_prefix(n)
        for n in sorted(signed.keys() | found.keys())
        if signed.get(n) != found.get(n)
    ]
    return "streams whose ids begin with " + ", ".join(report.buckets) + " differ"


def _cached_buckets(
    store: Any, cursor: Any, previous: Checkpoint | None, key: str, algorithm: HashAlgorithm
) -> dict[int, Bucket] | None:
    """The stored buckets if they are the previous checkpoint's, else None (full pass)."""
    if previous is None or previous.scheme != SCHEME_BUCKETS:
        return None
    if algorithm_of(previous.heads_hash).name != algorithm.name:
        return None
    buckets = store.read_buckets(cursor)
    if not signature_valid(key, checkpoint_message_of(previous), previous.signature) or (
        root_hash(algorithm, buckets) != previous.heads_hash
    ):
        logger.error(
            "the bucket table is not the one of checkpoint %d (altered?): recomputing every "
            "bucket from the events",
            previous.id,
        )
        return None
    return {b.number: b for b in buckets}


def _runs(numbers: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Sorted numbers as runs of consecutive ones: [1, 2, 3, 7] -> (1, 3), (7, 7)."""
    start = None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            yield start, n
            start = None


def _id(checkpoint: Checkpoint | None) -> int | None:
    return None if checkpoint is None else checkpoint.id


def _paced(items: Iterable[T], pause: Callable[[], None], every: int) -> Iterator[T]:
    """`items`, calling `pause` after every `every` of them."""
    for count, item in enumerate(items, 1):
        yield item
        if count % every == 0:
            pause()
