"""The projector pauses Python's cyclic collector while it decodes and folds a batch, and
gives it back as it found it, also when several projectors of one process overlap."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from consumers import collector
from consumers.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_as_it_was():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_inside_and_back_on_after():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_comes_back_on_after_an_error():
    gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a fold failed")
    assert gc.isenabled()


def test_overlapping_pauses_end_with_the_last_one():
    gc.enable()
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def other():
        with collector_paused():
            first_in.set()
            second_done.wait(timeout=10)
            seen.append(gc.isenabled())  # the other projector has left: still off for this one

    thread = threading.Thread(target=other)
    thread.start()
    assert first_in.wait(timeout=10)
    with collector_paused():
        pass
    second_done.set()
    thread.join(timeout=10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_cycles_made_during_a_pause_are_collected_afterwards():
    class Node:
        pass

    gc.enable()
    with collector_paused():
        node = Node()
        node.itself = node
        ref = weakref.ref(node)
        del node
    gc.collect()
    assert ref() is None


def test_pauses_that_never_end_together_still_collect_every_max_pause(monkeypatch):
    # Seven projectors catching up overlap for the whole catch-up: cycles made meanwhile must
    # not wait for it to end.
    class Node:
        pass

    gc.enable()
    clock = [1000.0]
    monkeypatch.setattr(collector.time, "monotonic", lambda: clock[0])
    with collector_paused():
        node = Node()
        node.itself = node
        ref = weakref.ref(node)
        del node
        with collector_paused():
            pass
        assert ref() is not None  # not yet: the pause is young
        clock[0] += collector.MAX_PAUSE_S + 1
        with collector_paused():
            assert ref() is None
            assert not gc.isenabled()
    assert gc.isenabled()
