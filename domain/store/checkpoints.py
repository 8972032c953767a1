"""Signed checkpoints whose cost grows with the streams written since the previous one.

A checkpoint signs the root of a fixed tree (``hashing.py``, scheme ``buckets16-v2``):
65536 buckets of streams (by the first 16 bits of the id) under 4096 nodes. The store keeps
the latest checkpoint's tree in two tables, buckets and nodes ``(number, streams, events,
hash)``, written in the same transaction as the checkpoint row, so a crash leaves them and
the latest checkpoint in step. The next checkpoint reads the ids written in ``(previous
position, position]`` from the log, recomputes only their buckets from the events and
their nodes from the stored buckets beside them, and takes every other node from the table:
the write path is untouched.

The tables are a cache for the checkpointer, never evidence. The nodes are used only when
their root is the previous checkpoint's signed root (valid signature, same algorithm), and
the buckets of a node only when they hash to that node; otherwise one full pass over every
stream head fills both again (the first checkpoint of a store, or after ``heads-v1``). An
auditor recomputes every bucket from the events, compares the root with the signed one and,
when they differ, names the buckets (or nodes) that differ from the stored tree, as far as
the signed root proves the stored tree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from domain.store.hashing import (
    NODE_SHIFT,
    SCHEME_BUCKETS,
    SCHEME_HEADS,
    HashAlgorithm,
    Subtree,
    algorithm_of,
    bucket_bounds,
    bucket_of,
    buckets_of,
    checkpoint_message,
    heads_hash,
    node_of,
    nodes_of,
    prefix_of,
    root_hash,
    sign,
    signature_valid,
)
from domain.store.records import Checkpoint, CheckpointReport

logger = logging.getLogger(__name__)

T = TypeVar("T")
CHECKPOINT_COLUMNS = "id, created_at, position, streams, events, heads_hash, signature, scheme"
CHUNK = 1000  # rows a statement


class CheckpointStoreMixin:
    """The checkpoints' table and their tree's (buckets, nodes); mixed into both recorders."""

    checkpoints_table: str
    buckets_table: str
    nodes_table: str
    # What one range read of `heads_in` costs, in heads of the ordered scan of `heads_at`
    # (SQLite, 200,000 streams: ~1 ms a range, ~0.1 ms a head; loadtests/RESULTS.md).
    heads_per_range_read: int = 10

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

    def read_tree(
        self, cursor: Any, *, nodes: bool, ranges: Iterable[tuple[int, int]] | None = None
    ) -> list[Subtree]:
        """The stored buckets (or nodes) numbered in `ranges` (all without), in order."""
        table = self.nodes_table if nodes else self.buckets_table
        found: list[Subtree] = []
        for bounds in ranges if ranges is not None else [None]:
            cursor.execute(
                self.q(  # type: ignore[attr-defined]
                    f"SELECT number, streams, events, hash FROM {table} "
                    + ("WHERE number BETWEEN %s AND %s " if bounds else "")
                    + "ORDER BY number"
                ),
                bounds or (),
            )
            found += [
                Subtree(row["number"], row["streams"], row["events"], row["hash"])
                for row in cursor.fetchall()
            ]
        return found

    def save_tree(
        self,
        cursor: Any,
        *,
        nodes: bool,
        changed: Sequence[Subtree],
        emptied: Sequence[int] = (),
        replace_all: bool = False,
    ) -> None:
        table = self.nodes_table if nodes else self.buckets_table
        if replace_all:
            cursor.execute(f"DELETE FROM {table}")
        for start in range(0, len(emptied), CHUNK):
            chunk = emptied[start : start + CHUNK]
            cursor.execute(
                self.q(f"DELETE FROM {table} WHERE number IN ({', '.join(['%s'] * len(chunk))})"),  # type: ignore[attr-defined]
                tuple(chunk),
            )
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start : start + CHUNK]
            cursor.execute(
                self.q(  # type: ignore[attr-defined]
                    f"INSERT INTO {table} (number, streams, events, hash) VALUES "
                    + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                    + " ON CONFLICT (number) DO UPDATE SET streams = excluded.streams, "
                    "events = excluded.events, hash = excluded.hash"
                ),
                tuple(v for t in chunk for v in (t.number, t.streams, t.events, t.hash)),
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
    """Sign the tree at the store's last position; see `CasetrackApplication`."""
    algorithm: HashAlgorithm = store.hash_algorithm
    while True:
        with store.snapshot_cursor() as cursor:
            position = store.max_position_in(cursor)
            previous = store.latest_checkpoint(cursor)
            update = _incremental(store, cursor, previous, position, key, algorithm)
            if update is None:  # one full pass
                heads = store.heads_at(cursor, position)
            else:
                heads = _touched_heads(store, cursor, position, update.touched, previous)
            if pause is not None:
                heads = _paced(heads, pause, pause_every)
            fresh = list(buckets_of(algorithm, heads))
        if update is None:
            nodes = list(nodes_of(algorithm, fresh))
            tree = nodes
        else:
            emptied, nodes, emptied_nodes, tree = update.apply(algorithm, fresh)
        created_at = now().astimezone(UTC).isoformat(timespec="microseconds")
        checkpoint = Checkpoint(
            id=0,
            created_at=created_at,
            position=position,
            streams=sum(n.streams for n in tree),
            events=sum(n.events for n in tree),
            heads_hash=root_hash(algorithm, tree),
            signature="",
            scheme=SCHEME_BUCKETS,
        )
        checkpoint = replace(checkpoint, signature=sign(key, checkpoint_message_of(checkpoint)))
        with store.write_cursor() as cursor:
            store.lock_checkpoints(cursor)
            if _id(store.latest_checkpoint(cursor)) == _id(previous):
                full = update is None
                store.save_tree(
                    cursor,
                    nodes=False,
                    changed=fresh,
                    emptied=() if full else emptied,
                    replace_all=full,
                )
                store.save_tree(
                    cursor,
                    nodes=True,
                    changed=nodes,
                    emptied=() if full else emptied_nodes,
                    replace_all=full,
                )
                return replace(checkpoint, id=store.insert_checkpoint(cursor, checkpoint))
        # Another checkpointer signed in between: its tree is the one to update now.
        logger.info("another checkpoint was signed meanwhile: computing again")


def _touched_heads(
    store: Any, cursor: Any, position: int, touched: list[int], previous: Checkpoint
) -> Iterator[tuple[UUID, int, str]]:
    """The heads of the touched buckets: a range read each, or one ordered scan of every head
    kept only where touched, when that is cheaper. A range read costs the store about
    `heads_per_range_read` heads of a scan (measured: loadtests/RESULTS.md); both give the
    same heads, so the cost rule changes the time, never the root."""
    ranges = [bucket_bounds(*run) for run in _runs(touched)]
    if len(ranges) * store.heads_per_range_read < previous.streams:
        return store.heads_in(cursor, position, ranges)
    wanted = set(touched)
    return (head for head in store.heads_at(cursor, position) if bucket_of(head[0]) in wanted)


class _Update:
    """What a checkpoint recomputes from the previous one's trusted tree."""

    def __init__(self, nodes: dict[int, Subtree], old: list[Subtree], touched: list[int]) -> None:
        self.nodes = nodes  # every stored node, proved by the previous root
        self.old = old  # the stored buckets of the touched nodes, proved by those nodes
        self.touched = touched  # the buckets written since

    def apply(self, algorithm: HashAlgorithm, fresh: list[Subtree]):
        """The touched buckets recomputed as `fresh` -> (emptied buckets, changed nodes,
        emptied nodes, every node of the new tree)."""
        buckets = {b.number: b for b in self.old}  # only the touched nodes' buckets
        buckets.update((b.number, b) for b in fresh)
        found = {b.number for b in fresh}
        emptied = [n for n in self.touched if n not in found]  # only if streams were deleted
        for number in emptied:
            buckets.pop(number, None)
        changed = list(nodes_of(algorithm, (buckets[n] for n in sorted(buckets))))
        emptied_nodes = sorted({node_of(n) for n in self.touched} - {n.number for n in changed})
        nodes = {**self.nodes, **{n.number: n for n in changed}}
        for number in emptied_nodes:
            nodes.pop(number, None)
        return emptied, changed, emptied_nodes, [nodes[n] for n in sorted(nodes)]


def _incremental(
    store: Any,
    cursor: Any,
    previous: Checkpoint | None,
    position: int,
    key: str,
    algorithm: HashAlgorithm,
) -> _Update | None:
    """What to recompute if the stored tree is the previous checkpoint's, else None."""
    if previous is None or previous.scheme != SCHEME_BUCKETS:
        return None
    if algorithm_of(previous.heads_hash).name != algorithm.name:
        return None
    nodes = store.read_tree(cursor, nodes=True)
    trusted = signature_valid(key, checkpoint_message_of(previous), previous.signature)
    trusted = trusted and root_hash(algorithm, nodes) == previous.heads_hash
    if trusted:
        ids = store.written_between(cursor, previous.position, position)
        touched = sorted({bucket_of(i) for i in ids})
        touched_nodes = sorted({node_of(b) for b in touched})
        ranges = [
            (first << NODE_SHIFT, ((last + 1) << NODE_SHIFT) - 1)
            for first, last in _runs(touched_nodes)
        ]
        old = store.read_tree(cursor, nodes=False, ranges=ranges)
        stored = {n.number: n for n in nodes}
        proved = {n.number: n for n in nodes_of(algorithm, old)}
        trusted = all(proved.get(n) == stored.get(n) for n in touched_nodes)
    if not trusted:
        logger.error(
            "the stored tree is not the one of checkpoint %d (altered?): recomputing every "
            "bucket from the events",
            previous.id,
        )
        return None
    return _Update(stored, old, touched)


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
            buckets: list[Subtree] = []
        else:
            buckets = list(buckets_of(algorithm, heads))
            digest = root_hash(algorithm, nodes_of(algorithm, buckets))
            streams = sum(b.streams for b in buckets)
        events = store.count_events(cursor, checkpoint.position)
        if digest != checkpoint.heads_hash and checkpoint.scheme == SCHEME_BUCKETS:
            stored = (store.read_tree(cursor, nodes=True), store.read_tree(cursor, nodes=False))
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
            report.problems.append(_where(report, algorithm, checkpoint, buckets, *stored))
    report.ok = not report.problems
    return report


def _where(
    report: CheckpointReport,
    algorithm: HashAlgorithm,
    checkpoint: Checkpoint,
    found: list[Subtree],
    stored_nodes: list[Subtree],
    stored_buckets: list[Subtree],
) -> str:
    """Which buckets (or nodes) differ, by the stored tree once the signed root proves it."""
    if root_hash(algorithm, stored_nodes) != checkpoint.heads_hash:
        return (
            "the stored tree is not the signed one either (altered too): "
            "where the streams differ cannot be told"
        )
    signed_nodes = {n.number: n for n in stored_nodes}
    found_nodes = {n.number: n for n in nodes_of(algorithm, found)}
    proved = {n.number: n for n in nodes_of(algorithm, stored_buckets)}
    signed = {b.number: b for b in stored_buckets}
    recomputed = {b.number: b for b in found}
    for node in sorted(signed_nodes.keys() | found_nodes.keys()):
        if signed_nodes.get(node) == found_nodes.get(node):
            continue
        if proved.get(node) != signed_nodes.get(node):  # its buckets' rows were altered
            report.buckets.append(prefix_of(node, node=True))
            continue
        numbers = range(node << NODE_SHIFT, (node + 1) << NODE_SHIFT)
        report.buckets += [prefix_of(n) for n in numbers if signed.get(n) != recomputed.get(n)]
    return "streams whose ids begin with " + ", ".join(report.buckets) + " differ"


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
