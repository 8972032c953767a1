"""Shared helpers for pipeline tests: processes of ours, and reading a topic back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition

from consumers.envelope import is_marker

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `python manage.py ...` as a real process of its own."""
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    handle = open(log, "ab")
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


def read_topic(bootstrap: str, topic: str) -> tuple[list[dict], dict[int, int]]:
    """Every record of `topic` from offset 0: (events in partition order, latest marker per partition)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return [], {}
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        events: list[dict] = []
        markers: dict[int, int] = defaultdict(int)
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for tp, records in consumer.poll(timeout_ms=1000, max_records=5000).items():
                for record in records:
                    value = orjson.loads(record.value)
                    if is_marker(record.headers):
                        markers[tp.partition] = max(markers[tp.partition], value["published_up_to"])
                    else:
                        value["_partition"] = tp.partition
                        events.append(value)
        return events, dict(markers)
    finally:
        consumer.close()


def assert_per_aggregate_order(events: list[dict]) -> None:
    """Each aggregate's first sightings arrive in version order 1, 2, 3, ... on one partition."""
    seen: dict[str, int] = {}
    partition: dict[str, int] = {}
    for e in events:
        aggregate, version = e["aggregate_id"], e["aggregate_version"]
        assert partition.setdefault(aggregate, e["_partition"]) == e["_partition"], (
            "one aggregate, one partition"
        )
        top = seen.get(aggregate, 0)
        if version > top:
            assert version == top + 1, f"{aggregate}: version {version} arrived before {top + 1}"
            seen[aggregate] = version
