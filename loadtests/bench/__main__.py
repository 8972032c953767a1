"""The command line: ``python -m loadtests.bench [--scale N] [--tiny] ...`` (see ``--help``)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

import orjson

import loadtests.bench
from consumers.kafka_driver import CONFLUENT, DRIVERS, KAFKA_PYTHON
from loadtests.bench.config import DEFAULTS, RESULTS
from loadtests.bench.report import summary, table
from loadtests.bench.run import Bench
from loadtests.bench.tools import Progress


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench", description=loadtests.bench.__doc__.split("\n\n")[0]
    )
    _sizes(parser)
    _stages(parser)
    _servers(parser)
    args = parser.parse_args(argv)
    args.drivers = [KAFKA_PYTHON] + [d for d in dict.fromkeys(args.drivers) if d != KAFKA_PYTHON]
    if args.tiny:
        _tiny(args)
    return args


def _sizes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=100_000, help="cases loaded (default 100000)")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per figure; the median is reported"
    )
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--append-commands", type=int, default=300, help="commands per append run")
    parser.add_argument(
        "--relay-sample",
        type=int,
        default=200_000,
        help="events relayed per relay run (the raw producer sends the same ones)",
    )
    parser.add_argument(
        "--doc-sample",
        type=int,
        default=200_000,
        help="documents in the raw bulk baseline (at a million cases, 200,000 of them bulked at "
        "23,098 events/s and all 1,000,000 at 25,292: the sample is representative, and "
        "holding every document costs the bench ~10 GB)",
    )


def _stages(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fresh-rates", type=float, nargs="+", default=[50, 200])
    parser.add_argument("--fresh-seconds", type=float, default=10.0)
    parser.add_argument(
        "--fresh-climb", type=int, default=3, help="rising freshness steps after the fixed ones"
    )
    parser.add_argument(
        "--search-rates", type=float, nargs="+", default=[10, 25, 50, 100, 200, 400]
    )
    parser.add_argument("--search-seconds", type=float, default=5.0)
    parser.add_argument("--api-requests", type=int, default=300)
    parser.add_argument(
        "--checkpoint-cases", type=int, default=100, help="new cases before each timed checkpoint"
    )
    parser.add_argument(
        "--stage-timeout", type=float, default=1800.0, help="bound of every wait, seconds"
    )
    parser.add_argument(
        "--drivers",
        nargs="+",
        choices=DRIVERS,
        default=_installed_drivers(),
        help="Kafka drivers measured in the relay, projection and rebuild stages "
        "(default: every installed one; kafka-python is always measured)",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument(
        "--tiny", action="store_true", help="smallest settings that exercise every stage"
    )


def _servers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the run's store file under var/bench, its topics and its indices",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--kafka", default=DEFAULTS["kafka"])
    parser.add_argument("--es", default=DEFAULTS["es"])
    parser.add_argument("--postgres", default=DEFAULTS["postgres"])


def _tiny(args: argparse.Namespace) -> None:
    args.runs = min(args.runs, 2)
    args.partitions = 3
    args.append_commands = 20
    args.fresh_rates = [50, 200]
    args.fresh_seconds = 1.0
    args.fresh_climb = 1
    args.search_rates = [25, 50]
    args.search_seconds = 1.0
    args.api_requests = 30
    args.checkpoint_cases = 5
    args.stage_timeout = 120.0


def _installed_drivers() -> list[str]:
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        return [KAFKA_PYTHON]
    return [KAFKA_PYTHON, CONFLUENT]


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # run the clean-up of the run (processes, topics, indices)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args = parse(argv)
    results = Bench(args, Progress(args.quiet)).run()
    latest = summary(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps(latest, option=orjson.OPT_INDENT_2))
    print(table(latest))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
