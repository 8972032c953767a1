"""A checkpoint that updates the stored tree signs the root a computation from every head
gives (docs/design.md, guarantee 8), whatever the streams written between checkpoints."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.application import CasetrackApplication
from tests.contract.checkpoint_contract import append_raw, from_scratch, in_bucket

# Buckets two by two in the same node (16 buckets a node), and the last bucket.
BUCKETS = [0, 1, 0x10, 0x11, 0x2F, 0xFFFF]
writes = st.lists(
    st.tuples(st.sampled_from(BUCKETS), st.integers(0, 3), st.integers(1, 2)), max_size=8
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rounds=st.lists(writes, min_size=1, max_size=5))
def test_incremental_checkpoints_equal_a_computation_from_scratch(
    tmp_path_factory, rounds: list[list[tuple[int, int, int]]]
) -> None:
    path: Path = tmp_path_factory.mktemp("store") / "events.db"
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": f"sqlite:///{path}"})
    versions: dict[object, int] = {}
    try:
        for round_ in rounds:
            for bucket, n, count in round_:
                stream = in_bucket(bucket, n)
                append_raw(app, stream, count)
                versions[stream] = versions.get(stream, 0) + count
            checkpoint = app.write_checkpoint()
            assert checkpoint.heads_hash == from_scratch(app, checkpoint.position)
            assert (checkpoint.streams, checkpoint.events) == (
                len(versions),
                sum(versions.values()),
            )
        assert app.verify().ok
    finally:
        app.close()


def test_a_checkpoint_that_scans_instead_of_reading_ranges_signs_the_same_root(tmp_path) -> None:
    """Past the store's cost rule the touched buckets' heads come from one ordered scan; the
    root must not depend on which way they were read."""
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"})
    try:
        for bucket in BUCKETS:
            append_raw(app, in_bucket(bucket, 0), 1)
        app.write_checkpoint()
        for bucket in BUCKETS[:3]:
            append_raw(app, in_bucket(bucket, 1), 2)
        store = app.store
        store.heads_per_range_read = 1_000_000  # every range read dearer than the scan
        scanned = app.write_checkpoint()
        assert scanned.heads_hash == from_scratch(app, scanned.position)
        assert scanned.streams == len(BUCKETS) + 3
        append_raw(app, in_bucket(BUCKETS[4], 2), 1)
        store.heads_per_range_read = 0  # and back to range reads on the tree it left
        ranged = app.write_checkpoint()
        assert ranged.heads_hash == from_scratch(app, ranged.position)
        assert app.verify().ok
    finally:
        app.close()
