"""One bench run: every stage in order on one store, topic and index prefix of its own.

The stages share the loaded store: append (its own stores), load, relay, the relay process,
projection, the projector processes, rebuild, freshness (with those processes running),
search, memory, then the signed checkpoint with the processes stopped. Everything the run
made is removed at the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import uuid
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.services import Casetrack
from loadtests.bench.append import append_stage, postgres_envs, sqlite_envs
from loadtests.bench.checkpoint import checkpoint_stage
from loadtests.bench.config import ROOT
from loadtests.bench.context import RunContext
from loadtests.bench.freshness import freshness_stage
from loadtests.bench.loader import CASES_PER_COMMIT, Loader
from loadtests.bench.processes import memory_stage, projector_processes, relay_process
from loadtests.bench.projection import projection_stage, rebuild_stage
from loadtests.bench.relay import relay_stage
from loadtests.bench.search import search_stage
from loadtests.bench.tools import Progress
from loadtests.cleanup import remove_named
from loadtests.limits import RAISED
from search.client import make_client
from search.indices import Names
from search.store import ReadModels


@dataclass
class Bench:
    args: argparse.Namespace
    progress: Progress
    run_id: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:8]}")
    results: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.work = ROOT / "var" / "bench" / self.run_id
        self.work.mkdir(parents=True, exist_ok=True)
        self.env = {
            "CASETRACK_EVENT_STORE": f"sqlite:///{self.work / 'events.db'}",
            "CASETRACK_TOPIC_PREFIX": self.run_id,
            "CASETRACK_INDEX_PREFIX": self.run_id,
            "CASETRACK_PARTITIONS": str(self.args.partitions),
            "CASETRACK_KAFKA_BOOTSTRAP": self.args.kafka,
            "CASETRACK_ES_URL": self.args.es,
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
            "CASETRACK_ENV": "development",
            **RAISED,  # the bench measures the API, not its rate limits
        }
        self.context = RunContext(
            args=self.args,
            progress=self.progress,
            run_id=self.run_id,
            work=self.work,
            read_models=ReadModels(make_client(self.args.es, timeout_s=120), Names(self.run_id)),
        )

    def run(self) -> dict[str, Any]:
        a = self.args
        self.results.update(
            scale=a.scale,
            runs=a.runs,
            partitions=a.partitions,
            run_id=self.run_id,
            started_at=datetime.now(UTC).isoformat(),
            host={"cpus": os.cpu_count()},
        )
        processes = ExitStack()
        try:
            self.progress(f"run {self.run_id}: scale {a.scale}, {a.runs} runs per figure")
            self.append()
            app = Casetrack(env=self.env)
            try:
                self.stages(app, processes)
            finally:
                app.close()
        finally:
            with suppress(Exception):  # every process is stopped; the clean-up runs regardless
                processes.close()
            self.cleanup()
        self.results["finished_at"] = datetime.now(UTC).isoformat()
        return self.results

    def stages(self, app: Casetrack, processes: ExitStack) -> None:
        """The stages on the loaded store, in order; the processes started stay in
        `processes` (stopped by the caller)."""
        run, results = self.context, self.results
        loader = self.load(app)
        results["relay"] = relay_stage(app, run)
        relay, results["relay_process"] = relay_process(
            run, self.env, processes, total=app.max_position()
        )
        results["projection"], docs = projection_stage(run)
        projectors, results["projector_process"] = projector_processes(
            run, self.env, processes, total=app.max_position()
        )
        results["rebuild"] = rebuild_stage(run, docs)
        # The freshness and search clients stand for API workers (~130 MiB processes). What the
        # bench holds by now is kept out of the cyclic collector, so that a full collection of
        # it cannot stall them mid-step (the search stage reports the pauses it still sees).
        del docs
        gc.collect()
        gc.freeze()
        results["freshness"] = freshness_stage(app, run, loader.terms)
        results["search"] = search_stage(run, items=[{"code": t["code"]} for t in loader.terms])
        results["memory"] = memory_stage(run, self.env, relay=relay.pid, projector=projectors.pid)
        processes.close()  # the relay's upkeep signs no checkpoint between the stage's steps
        results["checkpoint"] = checkpoint_stage(app, run, loader)

    def append(self) -> None:
        a = self.args
        self.results["append_sqlite"] = append_stage(
            "sqlite",
            sqlite_envs(self.work),
            commands=a.append_commands,
            runs=a.runs,
            progress=self.progress,
        )
        if a.skip_postgres:
            return
        self.results["append_postgres"] = append_stage(
            "postgres",
            postgres_envs(a.postgres, self.run_id),
            commands=a.append_commands,
            runs=a.runs,
            progress=self.progress,
        )

    def load(self, app: Casetrack) -> Loader:
        loader = Loader(app)
        loader.publish_catalogue()
        elapsed = loader.load(self.args.scale, progress=self.progress)
        events = app.max_position()
        self.results["load"] = {
            "cases": self.args.scale,
            "events": events,
            "seconds": elapsed,
            "cases_s": self.args.scale / elapsed,
            "events_s": events / elapsed,
            "cases_per_commit": CASES_PER_COMMIT,
        }
        self.progress(f"loaded {self.args.scale} cases ({events} events) in {elapsed:.1f} s")
        return loader

    def cleanup(self) -> None:
        if self.args.keep:
            self.progress(
                f"kept: {self.work}, topics and indices {self.run_id}-* "
                f"(remove them with `python -m loadtests.search_scale {self.run_id} --remove`)"
            )
            return
        remove_run(self.run_id, kafka=self.args.kafka, es=self.args.es)


def remove_run(run_id: str, *, kafka: str, es: str) -> None:
    """A run's indices, topics, consumer groups and store folder."""
    for problem in remove_named(
        lambda name: name.startswith(run_id), kafka=kafka, es=es, timeout_s=120
    ):
        print(f"clean-up of {run_id} incomplete: {problem}", file=sys.stderr)
    shutil.rmtree(ROOT / "var" / "bench" / run_id, ignore_errors=True)
