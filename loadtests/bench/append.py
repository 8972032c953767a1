"""Stage 1, append: commands/s through the application service vs the bare library.

One- and five-event commands of `Casetrack` against the bare ``eventsourcing`` Application
saving a trivial aggregate with one and five events, on a SQLite file and on PostgreSQL; each
run has a fresh store of its own. A third baseline saves the same five `Case` events as our
five-event command, built by the same domain calls, with the bare library and Casetrack's
transcoder: what separates it from ours is what the store adds (counter, data key, sealing,
hash chain), not the domain's own work.
"""

from __future__ import annotations

import random
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from domain import legal_basis
from domain.calendar import shanghai_date
from domain.demo import catalogue, person
from domain.identifiers import case_number
from domain.model.case import Case
from domain.model.service_item import item_id
from domain.services import Casetrack
from domain.store.transcoder import OrjsonTranscoder
from loadtests.bench.config import ADMIN
from loadtests.bench.tools import median

# library environment, Casetrack environment, clean-up of both
Envs = Callable[[], tuple[dict, dict, Callable[[], None]]]
FIGURES = ("single", "raw_single", "five", "raw_five", "bare_five")


class Probe(Aggregate):
    """The bare library's trivial aggregate."""

    @event("Opened")
    def __init__(self, number: int) -> None:
        self.number = number
        self.touches = 0

    @event("Touched")
    def touch(self) -> None:
        self.touches += 1


class BareLibrary(Application):
    """The bare library with Casetrack's transcoder: no hash chain, counters, data keys,
    sealing or idempotency."""

    def construct_transcoder(self) -> OrjsonTranscoder:
        return OrjsonTranscoder()


# What `_per_second` divides by: wall time, or this process's CPU time (`--clock cpu`: on a
# shared, loaded machine the CPU a command costs, without the time it waited for a core).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def _per_second(count: int, step: Callable[[int], Any]) -> float:
    started = clock()
    for i in range(count):
        step(i)
    return count / (clock() - started)


def _probe_five(i: int) -> Probe:
    probe = Probe(number=i)
    for _ in range(4):
        probe.touch()
    return probe


class Submissions:
    """Casetrack's side: a one-event command (a submission) and a five-event commit (a case
    submitted, accepted, assigned, decided and rated), for one applicant of a fee-free item."""

    def __init__(self, app: Casetrack, seed: int) -> None:
        self.app = app
        self.item = _fee_free_item(app)
        self.applicant = person(random.Random(seed))
        self.actor = {"role": "citizen", "subject": self.applicant["party_id"]}
        self.clerk = {"role": "clerk", "subject": "bench-clerk"}
        self.materials = [
            {"code": m["code"], "document_ref": "doc-1"} for m in self.item["materials"]
        ]

    def one(self, i: int) -> None:
        self.app.submit_case(
            item_code=self.item["code"],
            applicant=self.applicant,
            channel="web",
            materials=self.materials,
            actor=self.actor,
        )

    def five(self, i: int) -> None:
        self.app.commit(
            lambda tx: [
                self.case(tx.reference, lambda year, region: tx.next_number("case", year, region))
            ]
        )

    def bare_five(self, library: Application, i: int) -> None:
        """The same five events saved by the bare library (number from the loop, no key)."""
        library.save(self.case(library.repository.get, lambda year, region: i + 1))

    def copy_item(self, library: Application) -> None:
        """The item's stored events into the bare library's store (they hold nothing
        personal, so they decode there as they are)."""
        library.recorder.insert_events(self.app.recorder.select_events(item_id(self.item["code"])))

    def case(self, load: Callable[[uuid.UUID], Any], number: Callable[[int, str], int]) -> Case:
        """A case submitted, accepted, assigned, decided and rated: five events. `load` reads
        the item: as our commands do (`Tx.reference`), or the bare library's repository."""
        clerk = self.clerk
        stored = load(item_id(self.item["code"]))
        terms = stored.case_terms()
        now = self.app.clock()
        year = shanghai_date(now).year
        case = Case.submit(
            case_number=case_number(year, terms["region_code"], number(year, terms["region_code"])),
            item=terms,
            department=stored.department,
            applicant=self.applicant,
            channel="web",
            materials=self.materials,
            actor=self.actor,
            timestamp=now,
        )
        case.accept(actor=clerk, timestamp=now, calendar=self.app.calendar)
        case.assign(clerk_sub="bench-clerk", actor=clerk, timestamp=now)
        case.decide(
            outcome="rejected",
            reasons="经审查，不符合法定条件",
            legal_basis=legal_basis.REJECTION,
            actor=clerk,
            timestamp=now,
        )
        case.rate(score=5, actor=self.actor, timestamp=now)
        return case


def append_run(library_env: dict, our_env: dict, *, seed: int, commands: int) -> dict[str, float]:
    """One run's five figures (per second), the bare library and ours interleaved."""
    library = Application(library_env)
    bare = BareLibrary({**library_env, **_other_tables(library_env)})
    app = Casetrack(env=our_env)
    try:
        ours = Submissions(app, seed)
        ours.copy_item(bare)
        raw_single = _per_second(commands, lambda i: library.save(Probe(number=i)))
        single = _per_second(commands, ours.one)
        raw_five = _per_second(commands, lambda i: library.save(_probe_five(i)))
        bare_five = _per_second(commands, lambda i: ours.bare_five(bare, i))
        five = _per_second(commands, ours.five)
    finally:
        library.close()
        bare.close()
        app.close()
    return {
        "single": single,
        "raw_single": raw_single,
        "five": five,
        "raw_five": raw_five,
        "bare_five": bare_five,
    }


def _other_tables(library_env: dict) -> dict:
    """The bare library with Casetrack's events in a store of its own: another SQLite file
    beside the first, another schema prefix's tables on PostgreSQL."""
    if "SQLITE_DBNAME" in library_env:
        return {"SQLITE_DBNAME": library_env["SQLITE_DBNAME"].replace(".db", "-cases.db")}
    return {"POSTGRES_SCHEMA": library_env["POSTGRES_SCHEMA"] + "_cases"}


def append_stage(
    backend: str,
    envs: Envs,
    *,
    commands: int,
    runs: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Median commands/s: bare save (1 and 5 events) vs service (1- and 5-event commands)."""
    figures: dict[str, list[float]] = {name: [] for name in FIGURES}
    for run in range(runs):
        library_env, our_env, cleanup = envs()
        try:
            measured = append_run(library_env, our_env, seed=run, commands=commands)
        finally:
            cleanup()
        for name in FIGURES:
            figures[name].append(measured[name])
        progress(
            f"append {backend} run {run + 1}/{runs}: 1-event {measured['single']:.0f} vs "
            f"{measured['raw_single']:.0f}/s, 5-event {measured['five']:.0f} vs "
            f"{measured['raw_five']:.0f}/s, the same five events bare {measured['bare_five']:.0f}/s"
        )
    out = {
        "commands_per_run": commands,
        "single_cmds_s": median(figures["single"]),
        "raw_single_saves_s": median(figures["raw_single"]),
        "five_cmds_s": median(figures["five"]),
        "raw_five_saves_s": median(figures["raw_five"]),
        "runs": figures,
    }
    out["bare_five_saves_s"] = median(figures["bare_five"])
    out["ratio_single"] = out["single_cmds_s"] / out["raw_single_saves_s"]
    out["ratio_five"] = out["five_cmds_s"] / out["raw_five_saves_s"]
    out["ratio_five_same_events"] = out["five_cmds_s"] / out["bare_five_saves_s"]
    return out


def _fee_free_item(app: Casetrack) -> dict:
    """Publish the demo catalogue's first fee-free item without a licence; its terms."""
    for spec in catalogue(random.Random(7)):
        if spec["fee_fen"] == 0 and not spec.get("licence_type"):
            code = spec.pop("code")
            app.publish_item(code=code, actor=ADMIN, **spec)
            return app.get_item(code).case_terms()
    raise RuntimeError("the demo catalogue has no fee-free item without a licence")


def sqlite_envs(base: Path) -> Envs:
    """Each run: two fresh SQLite files under `base`, removed afterwards."""

    def make() -> tuple[dict, dict, Callable[[], None]]:
        run = base / f"append-{uuid.uuid4().hex[:8]}"
        run.mkdir(parents=True)
        library = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(run / "lib.db"),
        }
        ours = {
            "CASETRACK_EVENT_STORE": f"sqlite:///{run / 'casetrack.db'}",
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
        }
        return library, ours, lambda: shutil.rmtree(run, ignore_errors=True)

    return make


def postgres_envs(url: str, run_id: str) -> Envs:
    """Each run: two fresh PostgreSQL schemas, dropped afterwards."""
    parts = psycopg.conninfo.conninfo_to_dict(url)

    def make() -> tuple[dict, dict, Callable[[], None]]:
        suffix = uuid.uuid4().hex[:6]
        schemas = [
            f"{run_id}_lib_{suffix}",
            f"{run_id}_app_{suffix}",
            f"{run_id}_lib_{suffix}_cases",
        ]
        _schemas(url, schemas, "CREATE SCHEMA {}")
        library = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts["dbname"],
            "POSTGRES_HOST": parts.get("host", "127.0.0.1"),
            "POSTGRES_PORT": str(parts.get("port", 5432)),
            "POSTGRES_USER": parts["user"],
            "POSTGRES_PASSWORD": parts.get("password", ""),
            "POSTGRES_SCHEMA": schemas[0],
        }
        ours = {
            "CASETRACK_EVENT_STORE": f"{url}?schema={schemas[1]}",
            "CASETRACK_CHECKPOINT_KEY": "bench",
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
        }
        return library, ours, lambda: _schemas(url, schemas, "DROP SCHEMA IF EXISTS {} CASCADE")

    return make


def _schemas(url: str, schemas: list[str], statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as c:
        for schema in schemas:
            c.execute(sql.SQL(statement).format(sql.Identifier(schema)))


def main(argv: list[str] | None = None) -> None:
    """The append stage alone, or a profile of the five-event command:

    .venv/bin/python -m loadtests.bench.append --runs 3 --commands 300
    .venv/bin/python -m loadtests.bench.append --profile 3000 --backend sqlite
    """
    import argparse
    import cProfile
    import os
    import pstats
    import sys

    from loadtests.bench.config import DEFAULTS, ROOT

    parser = argparse.ArgumentParser(prog="python -m loadtests.bench.append")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--postgres", default=DEFAULTS["postgres"])
    parser.add_argument(
        "--profile", type=int, default=0, help="profile this many five-event commands instead"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=ROOT / "var" / "bench",
        help="where the SQLite files go (/dev/shm: both sides without the disk's fsync)",
    )
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args(argv)
    global clock  # noqa: PLW0603 - the command line's choice for this process
    clock = CLOCKS[args.clock]
    base = args.dir / f"append-{os.getpid()}"
    run_id = f"append{os.getpid()}"
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    envs = {
        "sqlite": lambda: sqlite_envs(base),
        "postgres": lambda: postgres_envs(args.postgres, run_id),
    }
    try:
        for backend in backends:
            if args.profile:
                _, our_env, cleanup = envs[backend]()()
                app = Casetrack(env=our_env)
                try:
                    ours = Submissions(app, 0)
                    for i in range(50):  # warm: imports, caches, statements
                        ours.five(i)
                    profile = cProfile.Profile()
                    profile.enable()
                    rate = _per_second(args.profile, ours.five)
                    profile.disable()
                finally:
                    app.close()
                    cleanup()
                print(f"{backend}: {rate:.0f} five-event cmds/s under the profiler")
                pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(45)
                pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(30)
                continue
            out = append_stage(
                backend,
                envs[backend](),
                commands=args.commands,
                runs=args.runs,
                progress=lambda line: print(line, file=sys.stderr, flush=True),
            )
            print(
                f"{backend}: 1-event {out['single_cmds_s']:.0f} vs {out['raw_single_saves_s']:.0f}"
                f" cmds/s ({out['ratio_single']:.2f}), 5-event {out['five_cmds_s']:.0f} vs "
                f"{out['raw_five_saves_s']:.0f} cmds/s ({out['ratio_five']:.2f}), the same five "
                f"events bare {out['bare_five_saves_s']:.0f}/s ({out['ratio_five_same_events']:.2f}); runs "
                + "; ".join(
                    f"{k} {', '.join(f'{v:.0f}' for v in vs)}" for k, vs in out["runs"].items()
                )
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
