"""The relay's store upkeep (checkpoints, purging idempotency keys) runs beside it, never in it."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from api.management.commands.relay import DutyCycle, Upkeep


class FakeStore:
    def __init__(self, fail_first: bool = False) -> None:
        self.checkpoints = 0
        self.purges = 0
        self.fail_first = fail_first
        self.changed = threading.Condition()

    def maybe_write_checkpoint(self, every, pause=None):
        with self.changed:
            self.checkpoints += 1
            self.changed.notify_all()
        if self.fail_first and self.checkpoints == 1:
            raise RuntimeError("store unavailable")
        return None

    def purge_idempotency_keys(self) -> int:
        self.purges += 1
        return 0

    def wait_for(self, rounds: int, timeout_s: float = 5.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.checkpoints >= rounds, timeout=timeout_s)


def start(upkeep: Upkeep) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=upkeep.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def test_upkeep_runs_at_once_then_every_interval_and_stops_mid_wait() -> None:
    store = FakeStore()
    thread, stop = start(Upkeep(store, every_s=0.05))
    assert store.wait_for(3), "three rounds, 50 ms apart"
    assert store.purges >= 2
    long = FakeStore()
    long_thread, long_stop = start(Upkeep(long, every_s=3600))
    assert long.wait_for(1)
    started = time.monotonic()
    stop.set()
    long_stop.set()
    thread.join(5)
    long_thread.join(5)
    assert not thread.is_alive() and not long_thread.is_alive()
    assert time.monotonic() - started < 5 and long.checkpoints == 1


def test_a_failed_round_is_logged_and_the_next_one_still_runs(caplog) -> None:
    store = FakeStore(fail_first=True)
    thread, stop = start(Upkeep(store, every_s=0.05))
    assert store.wait_for(2)
    stop.set()
    thread.join(5)
    assert "event store upkeep failed" in caplog.text
    assert store.purges >= 1  # the round after the failure purged


class FakeStop:
    """A stop event never set, recording how long each pause asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return False


def test_the_duty_cycle_sleeps_in_proportion_to_the_work_since_the_last_pause() -> None:
    now = [10.0]
    stop = FakeStop()
    half = DutyCycle(stop, 0.5, clock=lambda: now[0])
    now[0] += 0.2
    half()
    now[0] += 0.05
    half()
    quarter = DutyCycle(stop, 0.25, clock=lambda: now[0])
    now[0] += 0.1
    quarter()
    full = DutyCycle(stop, 1.0, clock=lambda: now[0])
    now[0] += 3
    full()
    assert [round(w, 6) for w in stop.waits] == [0.2, 0.05, 0.3, 0.0]
    with pytest.raises(ValueError):
        DutyCycle(stop, 0)


def test_stopping_abandons_a_checkpoint_in_progress_without_an_error(caplog) -> None:
    class PacedStore(FakeStore):
        def maybe_write_checkpoint(self, every, pause=None):
            for _ in range(100):
                pause()
            raise AssertionError("the checkpoint should have been abandoned")

    store = PacedStore()
    stop = threading.Event()
    stop.set()
    caplog.set_level(logging.INFO)
    Upkeep(store).once(stop)
    assert "checkpoint abandoned" in caplog.text and "upkeep failed" not in caplog.text
    assert store.purges == 0
