"""Stage 8, the signed checkpoint on the loaded store: its cost after a few new cases, next to
the full pass over every stream head that a checkpoint made before the bucket tree (heads-v1),
on the same store in the same run.

It runs after the relay process has stopped, so that no upkeep round signs between the writes
and the timed checkpoint. The first checkpoint brings the tree up to date (a full pass when the
relay never signed one); each run then loads `--checkpoint-cases` new cases through the domain
code and times the checkpoint that signs them and the old full pass.
"""

from __future__ import annotations

from typing import Any

from domain.application import CasetrackApplication
from domain.store.hashing import heads_hash
from loadtests.bench.context import RunContext
from loadtests.bench.loader import Loader
from loadtests.bench.tools import median, timed


def old_full_pass(app: CasetrackApplication) -> None:
    """What a checkpoint computed before the bucket tree (heads-v1): every stream's head."""
    store = app.store
    with store.read_cursor() as cursor:
        position = store.max_position_in(cursor)
        heads_hash(store.hash_algorithm, store.heads_at(cursor, position))
        store.count_events(cursor, position)


def checkpoint_stage(app: CasetrackApplication, run: RunContext, loader: Loader) -> dict[str, Any]:
    args = run.args
    first_s = timed(app.write_checkpoint)
    run.progress(f"checkpoint: the first one on the loaded store took {first_s:.2f} s")
    new: list[float] = []
    old: list[float] = []
    for n in range(args.runs):
        loader.load(args.checkpoint_cases)
        new.append(timed(app.write_checkpoint))
        old.append(timed(lambda: old_full_pass(app)))
        run.progress(
            f"checkpoint run {n + 1}/{args.runs}: {new[-1]:.2f} s after "
            f"{args.checkpoint_cases} new cases, old full pass {old[-1]:.2f} s"
        )
    checkpoint = app.store.latest_checkpoint()
    return {
        "new_cases": args.checkpoint_cases,
        "streams": checkpoint.streams,
        "events": checkpoint.events,
        "first_s": first_s,
        "checkpoint_s": median(new),
        "old_full_pass_s": median(old),
        "ratio": median(old) / max(median(new), 1e-9),
        "runs": {"checkpoint": new, "old_full_pass": old},
    }
