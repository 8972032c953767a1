"""`consistent_after` is bounded in time and in work (docs/api.md, "Consistency"): a position
beyond the event store's head is refused at once, a waiter backs off, and the waiters of a
process share their checkpoint reads."""

from __future__ import annotations

import threading
import time

import pytest

from api.consistency import SharedWatermarks, StoreHead, wait_for_position
from domain.errors import InvalidInput


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Counting:
    """A read that counts its calls (optionally slow, to overlap concurrent callers)."""

    def __init__(self, value: int, delay_s: float = 0.0) -> None:
        self.value = value
        self.delay_s = delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args) -> int:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        return self.value


def test_a_position_beyond_the_store_head_is_refused_at_once_without_reading_a_checkpoint():
    clock = FakeClock()
    head = StoreHead(Counting(41), clock=clock)

    def never(projection: str, partitions: int) -> int:
        raise AssertionError("no checkpoint is read for a position that cannot be reached")

    with pytest.raises(InvalidInput) as refused:
        wait_for_position(
            2**62, ["licences"], watermark=never, head=head.covers, partitions=4, clock=clock
        )
    assert refused.value.field == "consistent_after"
    assert clock.now == 0.0, "refused without waiting"


def test_a_position_a_command_has_just_answered_is_never_refused_from_memory():
    store = Counting(10)
    head = StoreHead(store)
    assert head.covers(10) and store.calls == 1
    assert head.covers(7) and store.calls == 1, "at or below the last head read: from memory"
    store.value = 11  # a command committed position 11 and answered it
    assert head.covers(11), "read again before refusing"
    assert store.calls == 2
    assert not head.covers(12)
    assert store.calls == 3, "a refusal always follows a read made after the request arrived"


def test_concurrent_requests_beyond_the_head_share_one_read():
    store = Counting(10, delay_s=0.05)
    head = StoreHead(store)
    start = threading.Barrier(20)
    answers: list[bool] = []

    def ask() -> None:
        start.wait()
        answers.append(head.covers(10**9))

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [False] * 20
    assert store.calls <= 3, f"{store.calls} reads for 20 concurrent requests"


def test_one_waiter_backs_off_to_about_twenty_five_reads_in_five_seconds():
    clock = FakeClock()
    reads = Counting(9)
    assert (
        wait_for_position(
            10,
            ["cases"],
            watermark=reads,
            head=lambda position: True,
            partitions=4,
            clock=clock,
            sleep=clock.sleep,
        )
        is False
    )
    assert 5.0 <= clock.now < 5.01
    assert reads.calls <= 30, f"{reads.calls} reads (polling every 50 ms made 100)"


def test_concurrent_waiters_share_one_checkpoint_read_per_projection():
    reads = Counting(9, delay_s=0.005)
    shared = SharedWatermarks(reads, max_age_s=0.025)
    waiters = 20

    def wait() -> None:
        wait_for_position(
            10,
            ["cases"],
            watermark=shared,
            head=lambda position: True,
            partitions=4,
            timeout_s=0.5,
        )

    threads = [threading.Thread(target=wait) for _ in range(waiters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Alone, each waiter reads about 8 times in 0.5 s; shared, the process reads at most
    # once per 25 ms (plus the read in flight at each end).
    assert reads.calls <= 0.5 / 0.025 + 4, f"{reads.calls} reads for {waiters} waiters"


def test_a_shared_watermark_lets_no_waiter_through_before_its_position_is_reached():
    marks = {"cases": 5}
    shared = SharedWatermarks(lambda projection, partitions: marks[projection], max_age_s=10)
    assert shared("cases", 4) == 5
    marks["cases"] = 50
    assert shared("cases", 4) == 5, "an answer from memory is older, never newer"
    assert not wait_for_position(
        6, ["cases"], watermark=shared, head=lambda p: True, partitions=4, timeout_s=0.05
    )
