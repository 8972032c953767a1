"""The relay's fast envelope (built from the stored JSON) equals the envelope built by
decoding each event through its domain class, byte for byte once serialised, and the fast
path steps aside wherever the two could differ (upcasting, tuples and sets, ciphers). The
routing headers let a projection skip other aggregate types' events without decoding them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import orjson
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import strategies as st
from kafka.structs import TopicPartition

from consumers import envelope as envelope_module
from consumers.envelope import build_envelope, dumps, envelope_headers, event_id
from consumers.projector import sort_out
from domain.application import CasetrackApplication
from domain.services import Casetrack
from projections import PROJECTIONS
from tests.support.scenarios import run_full_day
from tests.support.store_aggregates import Permit


def _through_domain_classes(mapper, **fields: Any) -> dict:
    """The reference: the envelope with the fast path switched off."""
    original = envelope_module._plain_state
    envelope_module._plain_state = lambda *args: None
    try:
        return build_envelope(mapper, **fields)
    finally:
        envelope_module._plain_state = original


def _fields(logged) -> dict[str, Any]:
    return dict(
        position=logged.position,
        originator_id=logged.originator_id,
        originator_version=logged.originator_version,
        topic=logged.topic,
        state=logged.state,
        prev_hash=logged.prev_hash,
        hash_=logged.hash,
    )


def test_every_event_of_a_full_day_has_the_same_envelope_both_ways():
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        run_full_day(app)
        logged = app.read_log(0, 10_000)
        assert len({e.topic for e in logged}) > 20  # the scenario covers the event types
        for e in logged:
            fast = build_envelope(app.sealed_mapper, **_fields(e))
            assert envelope_module._plain_state(app.sealed_mapper, e.topic, e.state) is not None, (
                e.topic
            )
            assert dumps(fast) == dumps(_through_domain_classes(app.sealed_mapper, **_fields(e)))
    finally:
        app.close()


class Money(Aggregate):
    """Decimals, dates and UUIDs: tagged scalars the fast path turns into strings."""

    class Made(Aggregate.Created):
        amount: Decimal
        on: date
        ref: uuid.UUID
        note: str

    @event(Made)
    def __init__(self, amount: Decimal, on: date, ref: uuid.UUID, note: str) -> None:
        self.amount = amount


class Odd(Aggregate):
    """Tuples and sets: the fast path steps aside."""

    class Made(Aggregate.Created):
        codes: tuple
        tags: frozenset

    @event(Made)
    def __init__(self, codes: tuple, tags: frozenset) -> None:
        self.codes = codes


def _only_event(app, aggregate) -> Any:
    app.save(aggregate)
    (e,) = app.read_log(0, 10)
    return e


def test_decimals_uuids_and_dates_take_the_fast_path():
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        # A note that looks like a tag inside a string must stay a string.
        note = '{"_type_":"uuid_hex","_data_":"' + uuid.uuid4().hex + '"} \\"中文'
        ref = uuid.uuid4()
        e = _only_event(
            app, Money(amount=Decimal("12.50"), on=date(2026, 2, 28), ref=ref, note=note)
        )
        assert envelope_module._plain_state(app.sealed_mapper, e.topic, e.state) is not None
        fast = build_envelope(app.sealed_mapper, **_fields(e))
        assert dumps(fast) == dumps(_through_domain_classes(app.sealed_mapper, **_fields(e)))
        assert fast["data"] == {
            "amount": "12.50",
            "on": "2026-02-28",
            "ref": str(ref),
            "note": note,
        }
    finally:
        app.close()


@pytest.mark.parametrize("codes, tags", [((), frozenset()), (("a", "b"), frozenset({"x"}))])
def test_tuples_and_sets_fall_back_to_the_domain_classes(codes, tags):
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        e = _only_event(app, Odd(codes=codes, tags=tags))
        assert envelope_module._plain_state(app.sealed_mapper, e.topic, e.state) is None
        fast = build_envelope(app.sealed_mapper, **_fields(e))
        assert dumps(fast) == dumps(_through_domain_classes(app.sealed_mapper, **_fields(e)))
        assert orjson.loads(dumps(fast))["data"] == {"codes": list(codes), "tags": sorted(tags)}
    finally:
        app.close()


def test_an_event_stored_by_an_older_class_is_upcast_in_its_envelope():
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        state = app.mapper.transcoder.encode(
            {
                "timestamp": datetime(2026, 1, 5, tzinfo=UTC),
                "originator_topic": get_topic(Permit),
                "holder": "李四",
            }
        )
        app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, get_topic(Permit.Issued), state)])
        (e,) = app.read_log(0, 10)
        fast = build_envelope(app.sealed_mapper, **_fields(e))
        assert fast["data"] == {"holder": "李四", "region_code": "510100"}
        assert fast["schema_version"] == 2
        assert envelope_headers(fast) == [
            ("event_type", b"Issued"),
            ("schema_version", b"2"),
            ("aggregate_type", b"Permit"),
            ("position", b"1"),
        ]
    finally:
        app.close()


@given(st.uuids(), st.integers(min_value=1, max_value=10**9))
def test_event_ids_are_name_based_uuids(aggregate_id, version):
    expected = str(uuid.uuid5(envelope_module._EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}"))
    assert event_id(aggregate_id, version) == expected == event_id(str(aggregate_id), version)


def test_the_envelope_is_plain_json():
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        app.save(Permit(holder="王五", region_code="510700"))
        (e,) = app.read_log(0, 10)
        envelope = build_envelope(app.sealed_mapper, **_fields(e))
        assert orjson.loads(orjson.dumps(envelope)) == envelope
        assert envelope["occurred_at"].startswith(str(datetime.now(UTC).year))
    finally:
        app.close()


class _Record(NamedTuple):
    offset: int
    value: bytes
    headers: list


def test_a_projection_decodes_only_its_own_events_and_still_counts_the_others_progress():
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        run_full_day(app)
        envelopes = [
            build_envelope(app.sealed_mapper, **_fields(e)) for e in app.read_log(0, 10_000)
        ]
    finally:
        app.close()
    cases = PROJECTIONS["cases"]
    records = []
    for offset, envelope in enumerate(envelopes):
        mine = envelope["aggregate_type"] == cases.aggregate_type
        # Another type's value is garbage: decoding it would fail the test.
        value = dumps(envelope) if mine else b"not json"
        records.append(_Record(offset, value, envelope_headers(envelope)))
    records.append(
        _Record(len(records), b'{"published_up_to": 9999}', [("casetrack_marker", b"1")])
    )
    batch = sort_out({TopicPartition("t", 0): records}, cases)
    assert batch.count == len(envelopes)
    assert (
        sum(len(v) for v in batch.events.values()) == sum(cases.handles(e) for e in envelopes) > 0
    )
    assert batch.progress == {0: 9999} and batch.offsets == {TopicPartition("t", 0): len(records)}

    # Records published before the relay wrote the routing headers are decoded, as before.
    old = [
        _Record(o, dumps(e), [("event_type", e["event_type"].encode())])
        for o, e in enumerate(envelopes)
    ]
    batch = sort_out({TopicPartition("t", 0): old}, cases)
    assert sum(len(v) for v in batch.events.values()) == sum(cases.handles(e) for e in envelopes)
    assert batch.progress == {0: envelopes[-1]["position"]}
