from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from domain.application import CasetrackApplication
from domain.store.transcoder import OrjsonTranscoder
from tests.support.store_aggregates import Ticket

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def sample() -> dict:
    return {
        "id": uuid4(),
        "submitted_at": datetime(2026, 2, 17, 9, 30, 0, 123456, tzinfo=SHANGHAI),
        "settled_at": datetime(2026, 2, 17, 1, 30, tzinfo=UTC),
        "due": date(2026, 3, 2),
        "opens": time(9, 0),
        "fee": Decimal("1234.50"),
        "tiny": Decimal("0.000000001"),
        "applicant": {"name": "张三", "address": "四川省成都市武侯区人民南路四段 1 号"},
        "materials": [("M01", "营业执照副本"), ("M02", "法定代表人身份证")],
        "tags": frozenset({"加急"}),
        "nested": [{"when": date(2026, 1, 1), "ids": [uuid4(), uuid4()]}],
        "plain": [1, 2.5, True, None, "x"],
        "looks_typed": {"_type_": "not a transcoding", "x": 1},
    }


def test_uuid_datetime_date_decimal_tuple_and_chinese_text_round_trip_exactly() -> None:
    transcoder = OrjsonTranscoder()
    original = sample()
    decoded = transcoder.decode(transcoder.encode(original))
    assert decoded == original
    assert type(decoded["id"]) is UUID
    assert decoded["submitted_at"].utcoffset() == timedelta(hours=8)
    assert type(decoded["due"]) is date and type(decoded["submitted_at"]) is datetime
    assert str(decoded["fee"]) == "1234.50"
    assert decoded["materials"][0] == ("M01", "营业执照副本")


def test_chinese_text_is_stored_as_utf8_not_escaped() -> None:
    assert OrjsonTranscoder().encode({"n": "张三"}) == '{"n":"张三"}'.encode()


def test_a_plain_orjson_dump_would_lose_the_types() -> None:
    original = {"id": uuid4(), "at": datetime.now(UTC)}
    assert orjson.loads(orjson.dumps(original)) != original
    transcoder = OrjsonTranscoder()
    assert transcoder.decode(transcoder.encode(original)) == original


def test_bytes_are_interchangeable_with_the_library_json_transcoder() -> None:
    library = JSONTranscoder()
    ours = OrjsonTranscoder()
    for transcoding in ours.types.values():
        library.register(transcoding)
    original = sample()
    assert library.decode(ours.encode(original)) == original
    # The json module writes tuples as lists without asking the transcodings.
    without_tuples = {k: v for k, v in original.items() if k != "materials"}
    assert ours.decode(library.encode(without_tuples)) == without_tuples


def test_naive_datetimes_and_unknown_types_are_refused() -> None:
    transcoder = OrjsonTranscoder()
    with pytest.raises(TypeError, match="timezone-aware"):
        transcoder.encode({"at": datetime(2026, 1, 1, 9, 0)})
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.encode({"x": object()})
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.decode(b'{"_type_":"nobody","_data_":1}')


def test_the_application_stores_events_with_the_orjson_transcoder() -> None:
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        assert isinstance(app.mapper.transcoder, OrjsonTranscoder)
        ticket = Ticket(number=1, title="食品经营许可", fee=Decimal("50.00"))
        ticket.schedule(date(2026, 3, 2))
        app.save(ticket)
        loaded = app.repository.get(ticket.id)
        assert (loaded.title, loaded.fee, loaded.due) == (
            "食品经营许可",
            Decimal("50.00"),
            date(2026, 3, 2),
        )
        assert loaded.created_on == ticket.created_on
        assert "食品经营许可".encode() in app.read_log()[0].state
    finally:
        app.close()
