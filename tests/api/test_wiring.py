"""The process's one application is built once, also when requests race to build it."""

from __future__ import annotations

import threading

from api import wiring


def test_threads_racing_for_the_application_all_get_the_same_one(monkeypatch, tmp_path):
    monkeypatch.setenv("CASETRACK_EVENT_STORE", f"sqlite:///{tmp_path / 'events.db'}")
    from api.config import get_config

    get_config.cache_clear()
    wiring.reset_application()
    start = threading.Barrier(8)
    seen = []

    def take():
        start.wait()
        seen.append(wiring.application())

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len({id(app) for app in seen}) == 1
        assert seen[0].max_position() == 0  # its pool is open: nobody closed it under us
    finally:
        seen[0].close()
        wiring.reset_application()
        get_config.cache_clear()
