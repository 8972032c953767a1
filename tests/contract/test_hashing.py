from __future__ import annotations

from uuid import UUID

import pytest

from domain.store.hashing import (
    HashAlgorithm,
    algorithm_of,
    checkpoint_message,
    event_hash,
    heads_hash,
    sign,
    signature_valid,
)

ID = UUID("12345678-1234-5678-1234-567812345678")


def test_sm3_matches_the_standard_test_vector_with_gmssl_and_with_openssl() -> None:
    # GB/T 32905-2016, example 1: SM3("abc").
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    for prefer_openssl in (False, True):
        digest = HashAlgorithm("sm3", prefer_openssl=prefer_openssl).new()
        digest.update(b"abc")
        assert digest.hexdigest() == expected


def test_gmssl_and_openssl_sm3_give_the_same_event_hash() -> None:
    kwargs = dict(prev_hash=None, originator_id=ID, originator_version=1, topic="t", state=b"{}")
    pure = event_hash(HashAlgorithm("sm3", prefer_openssl=False), **kwargs)
    fast = event_hash(HashAlgorithm("sm3"), **kwargs)
    assert pure == fast and pure.startswith("sm3:")


def test_every_hashed_part_changes_the_hash() -> None:
    algorithm = HashAlgorithm()
    base = dict(
        prev_hash="sha256:aa", originator_id=ID, originator_version=2, topic="m:T.E", state=b"{}"
    )
    reference = event_hash(algorithm, **base)
    for field, value in [
        ("prev_hash", "sha256:ab"),
        ("originator_id", UUID(int=1)),
        ("originator_version", 3),
        ("topic", "m:T.F"),
        ("state", b'{"a":1}'),
    ]:
        assert event_hash(algorithm, **{**base, field: value}) != reference, field


def test_parts_are_framed_so_moving_bytes_between_them_changes_the_hash() -> None:
    algorithm = HashAlgorithm()
    a = event_hash(
        algorithm, prev_hash=None, originator_id=ID, originator_version=1, topic="m:T.E", state=b"x"
    )
    b = event_hash(
        algorithm, prev_hash=None, originator_id=ID, originator_version=1, topic="m:T.Ex", state=b""
    )
    assert a != b


def test_the_uuid_form_does_not_matter() -> None:
    algorithm = HashAlgorithm()
    kwargs = dict(prev_hash=None, originator_version=1, topic="t", state=b"{}")
    assert event_hash(algorithm, originator_id=ID, **kwargs) == event_hash(
        algorithm, originator_id=ID.hex, **kwargs
    )


def test_heads_hash_depends_on_every_head() -> None:
    algorithm = HashAlgorithm()
    heads = [(UUID(int=1), 3, "sha256:01"), (UUID(int=2), 1, "sha256:02")]
    full, count = heads_hash(algorithm, heads)
    assert count == 2
    assert heads_hash(algorithm, heads[:1])[0] != full
    assert heads_hash(algorithm, [(UUID(int=1), 2, "sha256:01"), heads[1]])[0] != full


def test_checkpoint_signatures_need_the_key() -> None:
    message = checkpoint_message(
        position=9, streams=3, events=9, heads="sha256:ff", created_at="2026-03-01T01:00:00+00:00"
    )
    signature = sign("secret", message)
    assert signature_valid("secret", message, signature)
    assert not signature_valid("other", message, signature)
    altered = checkpoint_message(
        position=8, streams=3, events=9, heads="sha256:ff", created_at="2026-03-01T01:00:00+00:00"
    )
    assert not signature_valid("secret", altered, signature)


def test_algorithms_are_named_in_the_hash_and_unknown_ones_refused() -> None:
    assert algorithm_of("sm3:00").name == "sm3"
    with pytest.raises(ValueError):
        HashAlgorithm("md5")
    with pytest.raises(ValueError):
        algorithm_of("deadbeef")


def test_an_event_hash_is_sha256_over_the_length_prefixed_parts() -> None:
    # Fixed answer: hashes already stored must verify whatever the code's shape.
    digest = event_hash(
        HashAlgorithm(),
        prev_hash="sha256:ab",
        originator_id=UUID(int=1),
        originator_version=2,
        topic="m:C.E",
        state=b'{"a":1}',
    )
    assert digest == "sha256:5379da1568f7a45b84830ff08fbcc88f611f4c5c71f69888e2b4ca748db0144a"
