"""An orjson transcoder that keeps the library's ``{"_type_", "_data_"}`` convention.

orjson turns a UUID, a datetime or a tuple into a plain JSON value and cannot give them
back, so a plain orjson transcoder loses types. This one walks the object first: JSON
natives pass through (orjson then serialises in C), every other type goes through a
registered :class:`Transcoding`, exactly as the library's ``JSONTranscoder`` does, so
stored bytes decode the same with either.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

_NATIVE = frozenset((str, int, float, bool, type(None)))
_CONTAINERS = frozenset((dict, list))


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TimeAsISO(Transcoding):
    type = time
    name = "time_iso"

    def encode(self, obj: time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> time:
        return time.fromisoformat(data)


class TupleAsList(Transcoding):
    type = tuple
    name = "tuple_as_list"

    def encode(self, obj: tuple[Any, ...]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> tuple[Any, ...]:
        return tuple(data)


class FrozensetAsList(Transcoding):
    type = frozenset
    name = "frozenset_as_list"

    def encode(self, obj: frozenset[Any]) -> list[Any]:
        return sorted(obj, key=repr)

    def decode(self, data: list[Any]) -> frozenset[Any]:
        return frozenset(data)


def default_transcodings() -> list[Transcoding]:
    return [
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        DateAsISO(),
        TimeAsISO(),
        TupleAsList(),
        FrozensetAsList(),
    ]


class OrjsonTranscoder(JSONTranscoder):
    """``JSONTranscoder`` with orjson doing the byte work."""

    def __init__(self, *, register_defaults: bool = True) -> None:
        super().__init__()
        if register_defaults:
            for transcoding in default_transcodings():
                self.register(transcoding)

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(self._to_json(obj))

    def decode(self, data: bytes) -> Any:
        return self._from_json(orjson.loads(data))

    def _to_json(self, obj: Any) -> Any:
        # Leaves are tested inline (most values are JSON natives): one call per container
        # or typed value, not per value.
        kind = type(obj)
        if kind in _NATIVE:
            return obj
        if kind is dict:
            return {
                key: value if type(value) in _NATIVE else self._to_json(value)
                for key, value in obj.items()
            }
        if kind is list:
            return [value if type(value) in _NATIVE else self._to_json(value) for value in obj]
        if kind is datetime and obj.tzinfo is None:
            msg = f"Naive datetime {obj!r} in an event: use a timezone-aware datetime"
            raise TypeError(msg)
        encoded = self._encode_obj(obj)
        return {"_type_": encoded["_type_"], "_data_": self._to_json(encoded["_data_"])}

    def _from_json(self, data: Any) -> Any:
        kind = type(data)
        if kind is list:
            return [
                self._from_json(value) if type(value) in _CONTAINERS else value for value in data
            ]
        if kind is dict:
            return self._decode_obj(
                {
                    key: self._from_json(value) if type(value) in _CONTAINERS else value
                    for key, value in data.items()
                }
            )
        return data


__all__ = [
    "DateAsISO",
    "FrozensetAsList",
    "OrjsonTranscoder",
    "TimeAsISO",
    "TranscodingNotRegisteredError",
    "TupleAsList",
    "default_transcodings",
]
