"""The bench's relay stage alone: the real relay against the raw kafka-python producer.

    .venv/bin/python -m loadtests.relay_probe --cases 50000 --runs 3 [--profile out.prof]

Loads `--cases` cases with the bench's loader into a SQLite store of its own under
var/bench/relay-probe-<cases> (kept and reused by later runs: loading is the slow part), then
runs `loadtests.bench.relay.relay_stage` on it: per run the relay from position 0 and the raw
producer over the same envelopes, interleaved, each into a fresh topic that is removed at the
end. `--profile` profiles one extra relay run (its own thread: the producer's I/O thread is
not in it) and prints the top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import threading
import uuid

from consumers.kafka_driver import DRIVERS, KAFKA_PYTHON
from consumers.relay import Relay
from domain.services import Casetrack
from loadtests.bench.config import DEFAULTS, ROOT
from loadtests.bench.context import RunContext
from loadtests.bench.loader import Loader
from loadtests.bench.relay import RelayClock, relay_stage
from loadtests.cleanup import remove_named


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--relay-sample", type=int, default=200_000)
    parser.add_argument("--profile", help="profile one more relay run into this file")
    parser.add_argument("--kafka", default=DEFAULTS["kafka"])
    parser.add_argument(
        "--drivers", nargs="+", choices=DRIVERS, default=[KAFKA_PYTHON], help="kafka-python always"
    )
    args = parser.parse_args()
    args.drivers = [KAFKA_PYTHON, *(d for d in args.drivers if d != KAFKA_PYTHON)]
    args.stage_timeout = 1800.0
    work = ROOT / "var" / "bench" / f"relay-probe-{args.cases}"
    work.mkdir(parents=True, exist_ok=True)
    store = work / "events.db"
    loaded = (work / "loaded").exists()
    run_id = f"relayprobe{uuid.uuid4().hex[:8]}"
    app = Casetrack(
        env={
            "CASETRACK_EVENT_STORE": f"sqlite:///{store}",
            "CASETRACK_TOPIC_PREFIX": run_id,
            "CASETRACK_INDEX_PREFIX": run_id,
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
            "CASETRACK_ENV": "development",
        }
    )
    try:
        if not loaded:
            loader = Loader(app)
            loader.publish_catalogue()
            seconds = loader.load(args.cases, progress=_say)
            (work / "loaded").write_text(f"{seconds:.1f} s\n")
        _say(f"store {store}: {app.max_position()} events; load average {os.getloadavg()}")
        run = RunContext(args=args, progress=_say, run_id=run_id, work=work, read_models=None)  # type: ignore[arg-type]
        figures = relay_stage(app, run)
        print(
            f"events {figures['events']}: relay {figures['relay_events_s']:.0f} events/s, "
            f"raw {figures['raw_producer_events_s']:.0f} events/s, "
            f"ratio {figures['ratio']:.2f}; runs {figures['runs']}; "
            f"load average {os.getloadavg()}"
        )
        if args.profile:
            _profile(app, args, f"{run_id}-profiled.events")
    finally:
        app.close()
        for problem in remove_named(
            lambda name: name.startswith(run_id), kafka=args.kafka, es="http://127.0.0.1:1"
        ):
            if not problem.startswith("indices"):
                _say(f"clean-up: {problem}")


def _profile(app: Casetrack, args: argparse.Namespace, topic: str) -> None:
    """One relay run as `relay_once` runs it, profiled in the relay's own thread."""
    target = min(app.max_position(), args.relay_sample)
    stop = threading.Event()
    clock = RelayClock(target, stop)
    relay = Relay(
        read_log=clock.reading(
            lambda after, limit: app.read_log(after, min(limit, max(1, target - after)))
        ),
        mapper=app.sealed_mapper,
        bootstrap=args.kafka,
        topic=topic,
        partitions=args.partitions,
        on_tick=lambda: clock.tick(relay.stats),
    )
    profiler = cProfile.Profile()
    thread = threading.Thread(target=profiler.runcall, args=(relay.run, stop), daemon=True)
    thread.start()
    thread.join(args.stage_timeout)
    stop.set()
    thread.join(30)
    if clock.done_at is None or clock.first_at is None:
        raise TimeoutError(f"the profiled relay did not reach position {target}")
    profiler.dump_stats(args.profile)
    rate = relay.stats.published / (clock.done_at - clock.first_at)
    print(f"profiled run: {rate:.0f} events/s over {relay.stats.published} events")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
