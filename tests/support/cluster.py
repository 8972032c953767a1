"""The local cluster from tests: `docker/local/cluster.sh` (three Kafka brokers, three
Elasticsearch nodes, PostgreSQL and Redis of its own, on ports apart from the single-node
stack), its settings, and its nodes to kill for real (SIGKILL) and bring back."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient

from search.client import make_client
from tests.support.stack import wait_until

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "docker" / "local" / "cluster.sh"
# Six JVMs on two shared cores: a cold start takes about a minute, more when the machine is busy.
START_TIMEOUT_S = 600


def _run(*args: str) -> str:
    return subprocess.run(
        ["bash", str(CLUSTER), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    ).stdout


@dataclass
class Cluster:
    env: dict[str, str] = field(default_factory=dict)  # the CASETRACK_* settings it printed
    nodes: dict[str, int] = field(default_factory=dict)  # NODE name -> pid

    @property
    def bootstrap(self) -> str:
        return self.env["CASETRACK_KAFKA_BOOTSTRAP"]

    @property
    def es_url(self) -> str:
        return self.env["CASETRACK_ES_URL"]

    def up(self, *args: str) -> None:
        """Start whatever is not running (a node killed before included) and wait until every
        broker is registered and every Elasticsearch node has joined."""
        self.env, self.nodes = {}, {}
        for line in _run("up", *args).splitlines():
            if line.startswith("NODE "):
                _, name, pid = line.split()
                self.nodes[name] = int(pid)
            elif line.startswith("CASETRACK_") and "=" in line:
                key, value = line.split("=", 1)
                self.env[key] = value

    def down(self) -> None:
        _run("down")

    def kill(self, name: str) -> None:
        """SIGKILL one node and wait until its process is gone."""
        pid = self.nodes.pop(name)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not _alive(pid), timeout_s=30, what=f"{name} (pid {pid}) to die")

    # ------------------------------------------------------------------ who holds what

    def kafka_leader(self, topic: str, partition: int = 0) -> str:
        """The node name of the broker leading `topic`'s partition."""
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            (described,) = admin.describe_topics([topic])
            leader = next(
                p["leader_id"] for p in described["partitions"] if p["partition_index"] == partition
            )
        finally:
            admin.close()
        return f"kafka-{leader}"

    def es_primary(self, index: str) -> str:
        """The node name holding the primary shard of `index` (one shard)."""
        client = make_client(self.es_url)
        try:
            shards = client.cat.shards(index=index, format="json", h="prirep,node,state")
        finally:
            client.close()
        return next(s["node"] for s in shards if s["prirep"] == "p" and s["state"] == "STARTED")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is gone for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def started_file() -> Path:
    path = ROOT / "var" / "cluster" / "run" / f"test-started.{os.getpid()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
