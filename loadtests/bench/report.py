"""The report: the comparable keys of latest.json (`summary`) and the printed table (`table`)."""

from __future__ import annotations

from typing import Any

from consumers.kafka_driver import CONFLUENT, KAFKA_PYTHON

APPEND_RAW = (
    "single_cmds_s",
    "raw_single_saves_s",
    "five_cmds_s",
    "raw_five_saves_s",
    "bare_five_saves_s",
)
STAGES = ("relay", "projection", "rebuild")


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The comparable keys of latest.json, the full results beside them under `details`."""
    fresh = results["freshness"]["at_200"]
    memory = results["memory"]["peak_rss_mb"]
    out = {
        "scale": results["scale"],
        "append_ratio_sqlite": results["append_sqlite"]["ratio_single"],
        "append_ratio_postgres": results.get("append_postgres", {}).get("ratio_single"),
        "append_five_ratio_sqlite": results["append_sqlite"]["ratio_five"],
        "append_five_ratio_postgres": results.get("append_postgres", {}).get("ratio_five"),
        "append_five_same_events_ratio_sqlite": results["append_sqlite"]["ratio_five_same_events"],
        "append_five_same_events_ratio_postgres": results.get("append_postgres", {}).get(
            "ratio_five_same_events"
        ),
        "relay_ratio": results["relay"]["ratio"],
        "projection_ratio": results["projection"]["ratio"],
        "rebuild_ratio": results["rebuild"]["ratio"],
        # the optional confluent driver against the same baselines (kafka-python's raw producer)
        **{
            f"{stage}_{CONFLUENT}_ratio": results[stage]["drivers"][CONFLUENT][
                "ratio_to_raw_kafka_python" if stage == "relay" else "ratio"
            ]
            for stage in STAGES
            if CONFLUENT in results[stage]["drivers"]
        },
        "freshness_p50_s": fresh["p50_s"],
        "freshness_p99_s": fresh["p99_s"],
        "freshness_max_s": fresh["max_s"],
        "freshness_highest_sustained_cmds_s": results["freshness"]["highest_sustained_rate"],
        "search_p50_ms": results["search"]["at_50"]["p50_ms"],
        "search_p99_ms": results["search"]["at_50"]["p99_ms"],
        "peak_rss_mb": {k: v for k, v in memory.items() if v is not None},
        "checkpoint_s": results["checkpoint"]["checkpoint_s"],
        "checkpoint_old_full_pass_s": results["checkpoint"]["old_full_pass_s"],
        "raw": _raw(results),
    }
    return {**out, "details": results}


def _raw(results: dict[str, Any]) -> dict[str, Any]:
    """Each stage's own figures (per second), for comparing runs beyond their ratios."""
    postgres = results.get("append_postgres")
    return {
        "append_sqlite": {k: results["append_sqlite"][k] for k in APPEND_RAW},
        "append_postgres": {k: postgres[k] for k in APPEND_RAW} if postgres else None,
        "relay_events_s": results["relay"]["relay_events_s"],
        "raw_producer_events_s": results["relay"]["raw_producer_events_s"],
        "projector_events_s": results["projection"]["projector_events_s"],
        "projection_raw_bulk_events_s": results["projection"]["raw_bulk_events_s"],
        "rebuild_events_s": results["rebuild"]["rebuild_events_s"],
        "rebuild_raw_bulk_events_s": results["rebuild"]["raw_bulk_events_s"],
        "load_events_s": results["load"]["events_s"],
        "drivers": {stage: results[stage]["drivers"] for stage in STAGES},
    }


# ---------------------------------------------------------------------- the table


def table(latest: dict[str, Any]) -> str:
    r = latest["details"]
    lines = [
        f"Casetrack bench: scale {latest['scale']} cases ({r['load']['events']} events, loaded at "
        f"{r['load']['events_s']:.0f} events/s), {r['runs']} runs per figure (medians)",
        "",
        f"{'stage':<42} {'casetrack':>10} {'raw':>10} {'ratio':>6}",
    ]
    lines += [f"{a:<42} {b:>10} {c:>10} {d:>6}" for a, b, c, d in _stage_rows(r)]
    lines += ["", *_freshness_lines(r["freshness"]), "", *_search_lines(r["search"]), ""]
    lines += _memory_lines(r["memory"])
    lines += ["", _checkpoint_line(r["checkpoint"])]
    return "\n".join(lines)


Row = tuple[str, str, str, str]  # stage, casetrack, raw, ratio


def _stage_rows(r: dict[str, Any]) -> list[Row]:
    return _append_rows(r) + _relay_rows(r["relay"]) + _consumer_rows(r)


def _append_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for backend in ("sqlite", "postgres"):
        a = r.get(f"append_{backend}")
        if a:
            rows.append(
                (
                    f"append {backend}, 1-event cmds/s",
                    f"{a['single_cmds_s']:.0f}",
                    f"{a['raw_single_saves_s']:.0f}",
                    f"{a['ratio_single']:.2f}",
                )
            )
            rows.append(
                (
                    f"append {backend}, 5-event cmds/s",
                    f"{a['five_cmds_s']:.0f}",
                    f"{a['raw_five_saves_s']:.0f}",
                    f"{a['ratio_five']:.2f}",
                )
            )
            rows.append(
                (
                    f"append {backend}, 5-event, same events bare",
                    f"{a['five_cmds_s']:.0f}",
                    f"{a['bare_five_saves_s']:.0f}",
                    f"{a['ratio_five_same_events']:.2f}",
                )
            )
    return rows


def _relay_rows(relay: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for driver, d in relay["drivers"].items():
        rows.append(
            (
                f"relay events/s, {driver} (>= 0.8)",
                f"{d['relay_events_s']:.0f}",
                f"{relay['raw_producer_events_s']:.0f}",
                f"{d['ratio_to_raw_kafka_python']:.2f}",
            )
        )
        if driver != KAFKA_PYTHON:
            rows.append(
                (
                    f"  {driver} relay / raw {driver}",
                    f"{d['relay_events_s']:.0f}",
                    f"{d['raw_producer_events_s']:.0f}",
                    f"{d['ratio_to_own_raw']:.2f}",
                )
            )
    return rows


def _consumer_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for stage, key in (("projection", "projector_events_s"), ("rebuild", "rebuild_events_s")):
        for driver, d in r[stage]["drivers"].items():
            rows.append(
                (
                    f"{stage} events/s, {driver} (>= 0.7)",
                    f"{d[key]:.0f}",
                    f"{r[stage]['raw_bulk_events_s']:.0f}",
                    f"{d['ratio']:.2f}",
                )
            )
    return rows


def _freshness_lines(freshness: dict[str, Any]) -> list[str]:
    head = "freshness (commit -> searchable)"
    lines = [f"{head:<34} {'achieved':>9} {'p50 s':>7} {'p99 s':>7} {'max s':>7}"]
    for s in freshness["steps"]:
        label = f"  at {s['target_rate']:.0f} cmds/s"
        lines.append(
            f"{label:<34} {s['achieved_rate']:>9.0f} "
            f"{s['p50_s']:>7.2f} {s['p99_s']:>7.2f} {s['max_s']:>7.2f}"
        )
    lines.append(f"{'  highest sustained cmds/s':<34} {freshness['highest_sustained_rate']:>9.0f}")
    return lines


def _search_lines(search: dict[str, Any]) -> list[str]:
    head = f"search ({search['documents']} documents)"
    lines = [f"{head:<34} {'achieved':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}"]
    for s in search["steps"]:
        lines.append(_search_line(f"  at {s['rate']:.0f} req/s", s))
    unsettled = search.get("unsettled_at_10")
    if unsettled:
        lines.append(
            _search_line("  at 10 req/s, before merges settled", unsettled)
            + f"  (then {search['merges_settled_s']:.0f} s until no merge ran for 5 s)"
        )
    warm_up = search.get("warm_up")
    if warm_up:
        first, last = warm_up["windows"][0], warm_up["windows"][-1]
        lines.append(
            f"    warmed for {warm_up['seconds']:.0f} s at {warm_up['rate']:.0f} req/s until the "
            f"node's JIT was {'done' if warm_up['settled'] else 'NOT done'}: its node CPU a "
            f"request {first['es_cpu_ms_per_request']:.0f} -> {last['es_cpu_ms_per_request']:.0f}"
            " ms, its compiler threads "
            + (
                f"{first['jit_cores']:.2f} -> {last['jit_cores']:.2f} cores"
                if last["jit_cores"] is not None
                else "not readable (no local node)"
            )
        )
    lines.append(
        "    Elasticsearch CPU a request / the client's longest collector pause: "
        + ", ".join(
            f"{s['rate']:.0f}/s {s['es_cpu_ms_per_request']:.0f} / {s['client_gc_longest_ms']:.0f} ms"
            for s in search["steps"]
            if "es_cpu_ms_per_request" in s
        )
    )
    lines += _per_rate(
        "the host's cores in use, user / system / iowait / steal",
        search["steps"],
        "host_cores",
        ("user", "system", "iowait", "steal"),
        ".2f",
    )
    lines += _per_rate(
        "the host's disk reads / page cache refaults, MiB/s",
        search["steps"],
        "host_disk_mib_s",
        ("read", "refault"),
        ".1f",
    )
    for kind, k in search["at_50"].get("by_kind", {}).items():
        lines.append(
            f"    at 50 req/s, {kind}: p50 {k['p50_ms']:.0f} ms, p99 {k['p99_ms']:.0f} ms "
            f"(Elasticsearch's took: p50 {k['took_p50_ms']:.0f}, p99 {k['took_p99_ms']:.0f})"
        )
    return lines


def _per_rate(
    label: str, steps: list[dict[str, Any]], key: str, fields: tuple[str, ...], spec: str
) -> list[str]:
    """One line of a figure per search step, "10/s a / b, 25/s a / b"; none if no step has it."""
    rows = [s for s in steps if s.get(key)]
    if not rows:
        return []
    return [
        f"    {label}: "
        + ", ".join(
            f"{s['rate']:.0f}/s " + " / ".join(format(s[key][f], spec) for f in fields)
            for s in rows
        )
    ]


def _search_line(label: str, s: dict[str, Any]) -> str:
    return (
        f"{label:<34} {s['achieved_rate']:>9.0f} "
        f"{s['p50_ms']:>7.0f} {s['p99_ms']:>7.0f} {s['errors']:>7}"
    )


def _memory_lines(memory: dict[str, Any]) -> list[str]:
    peak = memory["peak_rss_mb"]
    lines = ["peak RSS MiB: " + ", ".join(f"{k} {v:.0f}" for k, v in peak.items() if v is not None)]
    stack = memory["stack_rss_mb"]
    if stack:
        ours = sum(v for k, v in peak.items() if v and k != "bench")
        lines.append(
            "stack RSS MiB: "
            + ", ".join(f"{k} {v:.0f}" for k, v in stack.items())
            + f"; total with ours {sum(stack.values()) + ours:.0f}"
        )
    return lines


def _checkpoint_line(c: dict[str, Any]) -> str:
    return (
        f"signed checkpoint after {c['new_cases']} new cases ({c['streams']} streams, "
        f"{c['events']} events): {c['checkpoint_s']:.2f} s; the old full pass over every head "
        f"{c['old_full_pass_s']:.2f} s ({c['ratio']:.0f}x); the first on the loaded store "
        f"{c['first_s']:.2f} s"
    )
