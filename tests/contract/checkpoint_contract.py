"""The signed checkpoints' bucket tree (docs/design.md, guarantee 8), run against each backend
as part of ``EventStoreContract`` (its fixtures, ``execute`` and ``_three_tickets``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import CasetrackApplication
from domain.store.checkpoints import checkpoint_message_of
from domain.store.hashing import (
    SCHEME_BUCKETS,
    SCHEME_HEADS,
    buckets_of,
    checkpoint_message,
    heads_hash,
    nodes_of,
    root_hash,
    sign,
)
from domain.store.records import Checkpoint
from tests.support.store_aggregates import open_ticket


def from_scratch(app: CasetrackApplication, position: int) -> str:
    """The root computed from every stream head, without the bucket table."""
    algorithm = app.store.hash_algorithm
    with app.store.snapshot_cursor() as cursor:
        buckets = buckets_of(algorithm, app.store.heads_at(cursor, position))
        return root_hash(algorithm, nodes_of(algorithm, buckets))


def append_raw(app: CasetrackApplication, originator_id: UUID, count: int = 1) -> None:
    """Append `count` events to a stream through the store (chained, no aggregate)."""
    with app.store.read_cursor() as cursor:
        version = app.store._stored_heads(cursor, [originator_id]).get(originator_id, (0,))[0]
    app.store.insert_events(
        [
            StoredEvent(originator_id, version + i, "t:T.E", b'{"n":%d}' % (version + i))
            for i in range(1, count + 1)
        ]
    )


def in_bucket(bucket: int, n: int) -> UUID:
    return UUID(int=(bucket << 112) | n)


class CheckpointContract:
    execute: Callable[..., list[Any]]
    id_param: Callable[[UUID], Any]
    _three_tickets: Callable[[CasetrackApplication], list[UUID]]

    def test_checkpoints_sign_the_bucket_tree_and_recompute_only_the_written_buckets(
        self, app: CasetrackApplication
    ) -> None:
        ids = [in_bucket(b, n) for b in (0, 1, 2, 0xFFFF) for n in (1, 2, 3)]
        for i in ids:
            append_raw(app, i, 2)
        reads: list[int] = []
        first = app.write_checkpoint(pause=lambda: reads.append(1), pause_every=1)
        assert first.scheme == SCHEME_BUCKETS and len(reads) == 12  # the first: a full pass
        assert (first.streams, first.events) == (12, 24)
        assert first.heads_hash == from_scratch(app, first.position)
        append_raw(app, ids[4])  # bucket 1
        append_raw(app, in_bucket(2, 9))  # a new stream in bucket 2
        reads.clear()
        second = app.write_checkpoint(pause=lambda: reads.append(1), pause_every=1)
        assert len(reads) == 7  # the heads of buckets 1 and 2 only
        assert (second.streams, second.events) == (13, 26)
        assert second.heads_hash == from_scratch(app, second.position)
        reads.clear()
        third = app.write_checkpoint(pause=lambda: reads.append(1), pause_every=1)
        assert reads == [] and third.heads_hash == second.heads_hash  # nothing written
        assert app.verify().ok

    def test_a_tampered_bucket_table_neither_hides_tampering_nor_misleads_the_checkpointer(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        a, b, c = self._three_tickets(app)
        signed = app.write_checkpoint()
        self.execute(
            store_env, "DELETE FROM {events} WHERE originator_id = %s", (self.id_param(b),)
        )
        # The attacker also writes the new hashes (and counts) into the stored tree.
        algorithm = app.store.hash_algorithm
        with app.store.snapshot_cursor() as cursor:
            buckets = list(buckets_of(algorithm, app.store.heads_at(cursor, signed.position)))
        for table, rows in (("{buckets}", buckets), ("{nodes}", nodes_of(algorithm, buckets))):
            self.execute(store_env, f"DELETE FROM {table}")
            for row in rows:
                self.execute(
                    store_env,
                    f"INSERT INTO {table} (number, streams, events, hash) VALUES (%s, %s, %s, %s)",
                    (row.number, row.streams, row.events, row.hash),
                )
        report = app.verify().checkpoint
        assert not report.ok and report.buckets == []
        assert any("stored tree is not the signed one" in p for p in report.problems)
        # A table that is not the latest checkpoint's is not trusted: a full pass.
        self.execute(store_env, "UPDATE {buckets} SET hash = %s", ("sha256:" + "0" * 64,))
        append_raw(app, a)
        reads: list[int] = []
        again = app.write_checkpoint(pause=lambda: reads.append(1), pause_every=1)
        assert len(reads) == 2 and again.heads_hash == from_scratch(app, again.position)

    def test_an_altered_bucket_row_alone_changes_nothing_an_auditor_relies_on(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        a, _, _ = self._three_tickets(app)
        app.write_checkpoint()
        for table in ("{buckets}", "{nodes}"):
            self.execute(store_env, f"UPDATE {table} SET events = events + 1")
            assert app.verify().ok  # verification recomputes from the events
            append_raw(app, a)
            checkpoint = app.write_checkpoint()  # a full pass, not the altered counts
            assert checkpoint.events == app.store.max_position() and app.verify().ok

    def test_a_checkpoint_that_fails_before_its_row_leaves_the_stored_tree_as_it_was(
        self, app: CasetrackApplication, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        a, _, _ = self._three_tickets(app)
        app.write_checkpoint()
        append_raw(app, a)

        def crash(cursor: Any, checkpoint: Checkpoint) -> int:
            raise RuntimeError("the process died here")

        with monkeypatch.context() as patch:
            patch.setattr(app.store, "insert_checkpoint", crash)
            with pytest.raises(RuntimeError):
                app.write_checkpoint()
        reads: list[int] = []
        checkpoint = app.write_checkpoint(pause=lambda: reads.append(1), pause_every=1)
        assert reads == [1]  # the tree was still the previous checkpoint's: no full pass
        assert checkpoint.heads_hash == from_scratch(app, checkpoint.position)

    def test_a_heads_v1_checkpoint_still_verifies_and_the_next_one_moves_to_buckets(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        a, _, _ = self._three_tickets(app)
        old = self._sign_heads_v1(app)
        report = app.verify().checkpoint
        assert report.ok and report.id == old.id and report.scheme == SCHEME_HEADS
        self.execute(
            store_env,
            "DELETE FROM {events} WHERE originator_id = %s AND originator_version = 3",
            (self.id_param(a),),
        )
        report = app.verify().checkpoint
        assert not report.ok and any("stream heads differ" in p for p in report.problems)
        append_raw(app, a)  # the tail again, different bytes
        new = app.write_checkpoint()
        assert new.scheme == SCHEME_BUCKETS and new.heads_hash == from_scratch(app, new.position)

    def test_a_store_whose_checkpoints_predate_schemes_is_migrated(
        self, make_app: Callable[..., CasetrackApplication], store_env: dict[str, str]
    ) -> None:
        app = make_app()
        self._three_tickets(app)
        old = self._sign_heads_v1(app)
        self.execute(store_env, "ALTER TABLE {checkpoints} DROP COLUMN scheme")
        self.execute(store_env, "DROP TABLE {buckets}")
        reopened = make_app()  # creates what is missing
        assert reopened.store.latest_checkpoint() == old
        assert reopened.verify().ok
        reopened.commit(lambda tx: [open_ticket(tx)])
        assert reopened.write_checkpoint().scheme == SCHEME_BUCKETS
        assert reopened.verify().ok

    def test_a_forged_bucket_checkpoint_fails_the_signature(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        self._three_tickets(app)
        app.write_checkpoint()
        self.execute(store_env, "UPDATE {checkpoints} SET scheme = %s", (SCHEME_HEADS,))
        report = app.verify().checkpoint
        assert "the checkpoint's signature is invalid" in report.problems

    def test_checkpoints_written_while_commands_commit_match_a_full_pass(
        self, app: CasetrackApplication
    ) -> None:
        self._three_tickets(app)
        app.write_checkpoint()
        stop = threading.Event()

        def write() -> None:
            while not stop.is_set():
                app.commit(lambda tx: [open_ticket(tx)])

        writer = threading.Thread(target=write)
        writer.start()
        try:
            signed = [app.write_checkpoint() for _ in range(5)]
        finally:
            stop.set()
            writer.join(timeout=30)
        for checkpoint in signed:
            assert checkpoint.heads_hash == from_scratch(app, checkpoint.position)
        assert app.verify().ok

    @staticmethod
    def _sign_heads_v1(app: CasetrackApplication) -> Checkpoint:
        """A checkpoint as the store signed them before the bucket tree."""
        store = app.store
        with store.snapshot_cursor() as cursor:
            position = store.max_position_in(cursor)
            heads, streams = heads_hash(store.hash_algorithm, store.heads_at(cursor, position))
            events = store.count_events(cursor, position)
        fields = dict(
            position=position,
            streams=streams,
            events=events,
            heads=heads,
            created_at="2026-01-01T00:00:00.000000+00:00",
        )
        checkpoint = Checkpoint(
            id=0,
            created_at=fields["created_at"],
            position=position,
            streams=streams,
            events=events,
            heads_hash=heads,
            signature=sign(app.settings.checkpoint_key, checkpoint_message(**fields)),
        )
        assert checkpoint_message_of(checkpoint) == checkpoint_message(**fields)
        with store.write_cursor() as cursor:
            return Checkpoint(
                **{**checkpoint.__dict__, "id": store.insert_checkpoint(cursor, checkpoint)}
            )
