"""The cluster's failover tests start the local cluster once for this package (about a minute)
and stop it when the package's tests are done, if they started it: its six JVMs must not share
the machine with the rest of the suite. They never touch the single-node stack."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.support.cluster import Cluster, started_file


@pytest.fixture(scope="package")
def cluster() -> Iterator[Cluster]:
    if not shutil.which("java"):  # the failover tests are part of `make test`: never skipped
        pytest.fail("the local cluster needs Java (docker/local/cluster.sh)")
    marker = started_file()
    running = Cluster()
    running.up("--started-file", str(marker))
    started = marker.read_text().strip() == "cluster"
    marker.unlink()
    yield running
    if started:
        running.down()


@pytest.fixture
def healed(cluster: Cluster) -> Cluster:
    """The whole cluster, a node that an earlier test killed restarted and rejoined."""
    if len(cluster.nodes) < 6:
        cluster.up()
    return cluster
