"""The benchmark harness runs end to end at a tiny scale, so it cannot rot.

Not a performance test: nothing here is timed against a target. The bench runs as a
subprocess of its own (it starts processes, and its numbers are its own business) and must
write every key of `latest.json` with a positive number.
"""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.integration

RATIOS = [
    "append_ratio_sqlite",
    "append_ratio_postgres",
    "append_five_same_events_ratio_sqlite",
    "append_five_same_events_ratio_postgres",
    "relay_ratio",
    "projection_ratio",
    "rebuild_ratio",
]
FIGURES = [
    "freshness_p50_s",
    "freshness_p99_s",
    "search_p99_ms",
    "checkpoint_s",
    "checkpoint_old_full_pass_s",
]
RAW = [
    "relay_events_s",
    "raw_producer_events_s",
    "projector_events_s",
    "projection_raw_bulk_events_s",
    "rebuild_events_s",
    "rebuild_raw_bulk_events_s",
]


@pytest.mark.timeout(300)
def test_the_bench_writes_every_figure_at_a_tiny_scale(
    tmp_path, kafka_bootstrap, es_url, postgres_url
):
    output = tmp_path / "latest.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests.bench",
            "--scale",
            "60",
            "--tiny",
            "--runs",
            "1",
            "--quiet",
            "--output",
            str(output),
            "--kafka",
            kafka_bootstrap,
            "--es",
            es_url,
            "--postgres",
            postgres_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    assert "relay events/s" in finished.stdout  # the table was printed

    latest = orjson.loads(output.read_bytes())
    assert latest["scale"] == 60
    for key in RATIOS + FIGURES:
        assert isinstance(latest[key], (int, float)) and latest[key] > 0, (key, latest[key])
    for key in RAW:
        assert latest["raw"][key] > 0, key
    for backend in ("append_sqlite", "append_postgres"):
        assert all(v > 0 for v in latest["raw"][backend].values()), backend
    drivers = latest["raw"]["drivers"]
    assert (
        set(drivers["relay"])
        == set(drivers["projection"])
        == set(drivers["rebuild"])
        == {"kafka-python", "confluent"}
    )
    assert (
        latest["relay_confluent_ratio"] > 0
        and drivers["relay"]["confluent"]["raw_producer_events_s"] > 0
    )
    assert set(latest["details"]["search"]["at_50"]["by_kind"]) == {
        "identifier",
        "chinese_name",
        "chinese_item",
        "latin_typo",
        "filtered",
        "faceted",
    }
    search = latest["details"]["search"]
    assert search["unsettled_at_10"]["requests"] > 0 and search["merges_settled_s"] >= 0
    # the steady steps start once the local node's JIT compiler threads have compiled what the
    # searches run (read from /proc: the stack is local), and the report says how long that took
    warm_up = search["warm_up"]
    assert all(w["jit_cores"] >= 0 for w in warm_up["windows"])
    assert warm_up["settled"] == (warm_up["windows"][-1]["jit_cores"] < 0.1)
    assert f"warmed for {warm_up['seconds']:.0f} s at 25 req/s" in finished.stdout
    # where a slow step's time went: the nodes' CPU per request, the client's collector pauses
    assert all(
        s["es_cpu_ms_per_request"] >= 0 <= s["client_gc_longest_ms"] for s in search["steps"]
    )
    # ... and the host's cores in use by kind (this machine is Linux: /proc/stat is there)
    assert all(
        min(s["host_cores"].values()) >= 0 < sum(s["host_cores"].values()) for s in search["steps"]
    )
    # ... and its disk reads and page cache refaults (/proc/vmstat), counters that only grow
    assert all(
        set(s["host_disk_mib_s"]) == {"read", "refault"} and min(s["host_disk_mib_s"].values()) >= 0
        for s in search["steps"]
    )
    projection = latest["details"]["projection"]
    # the raw bulk writes the projector's own final documents (all of them at this scale)
    assert projection["documents"] == projection["projected_documents"] > 0
    assert {"relay", "projector", "api_worker"} <= set(latest["peak_rss_mb"])
    assert all(v > 0 for v in latest["peak_rss_mb"].values())
    # the checkpoint stage signed the loaded cases and the ones it added (5 a run at --tiny)
    checkpoint = latest["details"]["checkpoint"]
    assert checkpoint["streams"] > 60 + 2 * 5
    assert checkpoint["events"] > latest["details"]["load"]["events"]
    assert "signed checkpoint after 5 new cases" in finished.stdout
