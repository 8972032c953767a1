"""An event stored as v1 reads as v2 through class_version and an upcaster, and the
hash chain still verifies because it covers the stored bytes, not the decoded event."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.application import CasetrackApplication
from tests.support.store_aggregates import Permit


def test_a_v1_event_reads_as_v2_and_its_hash_still_verifies() -> None:
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        # What the v1 class wrote: no region_code, no class_version key.
        current = Permit(holder="now", region_code="510700")
        v1_state = app.mapper.transcoder.encode(
            {
                "timestamp": current.created_on,
                "originator_topic": get_topic(Permit),
                "holder": "李四",
            }
        )
        old_id = uuid4()
        app.recorder.insert_events([StoredEvent(old_id, 1, get_topic(Permit.Issued), v1_state)])
        app.save(current)

        old = app.repository.get(old_id)
        assert (old.holder, old.region_code) == ("李四", "510100")
        new = app.repository.get(current.id)
        assert new.region_code == "510700"
        assert b'"class_version":2' in app.read_log()[1].state
        assert b"class_version" not in app.read_log()[0].state
        assert app.verify().ok
    finally:
        app.close()
