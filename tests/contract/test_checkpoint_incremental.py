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
