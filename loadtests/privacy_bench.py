"""What sealing personal data costs: append and projection with it against the same without
it, in one run, and the time of one erasure of a person with 10 cases.

    .venv/bin/python -m loadtests.privacy_bench --cases 200 --runs 5

Append: each case is three commands (submit with a person's name, identity number, form and
materials; accept; decide), on a fresh SQLite store per run, timed per command. The baseline is
the same application with the mapper's sealing step replaced by the library's plain mapping
(same code path otherwise). Projection: the cases projection folds every case envelope of each
store's log (the read side only copies sealed strings and refs, so the cost is their size).
Erasure: `erase_party` for a person with 10 closed cases (the store's part: events, key deletion
and the file scrub; the read models follow through the projectors). Medians of `--runs`, the
two variants alternating; this machine's 2 cores are shared, so read the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent

from consumers.envelope import build_envelope
from domain.identifiers import make_resident_id
from domain.privacy.mapper import SealingMapper
from domain.services import Casetrack
from projections import PROJECTIONS

ADMIN = {"role": "admin", "subject": "admin-1"}
CLERK = {"role": "clerk", "subject": "clerk-7"}
ITEM = "510100-XK-0001"
TERMS = {
    "name": "食品经营许可",
    "item_type": "administrative_licence",
    "department": "market-regulation",
    "level": "city",
    "region_code": "510100",
    "conditions": "有与经营食品相适应的场所",
    "materials": [{"code": "LICENCE", "name": "营业执照", "required": True}],
    "steps": ["申请", "受理", "决定"],
    "statutory_days": 20,
    "promised_days": 5,
    "fee_fen": 0,
    "legal_basis": "《中华人民共和国食品安全法》第三十五条",
    "licence_type": None,
    "licence_valid_days": None,
}


class _PlainMapper(SealingMapper):
    def seal_event(self, event: Any, aggregate: Any, session: Any) -> StoredEvent:
        return Mapper.to_stored_event(self, event)


class Unsealed(Casetrack):
    """The baseline: the same application storing personal data as it comes."""

    def construct_mapper(self) -> Mapper:
        return _PlainMapper(self.construct_transcoder(), self.keyring)


def _person(n: int) -> dict:
    return {
        "party_id": make_resident_id("510104", date(1970 + n % 40, 1 + n % 12, 1 + n % 28), n),
        "kind": "person",
        "name": "张" + "小三四五六七八九"[n % 8] + "明",
    }


def _cases(app: Casetrack, people: list[dict]) -> float:
    """Commands per second for submit, accept and decide of one case per person."""
    started = time.perf_counter()
    for person in people:
        citizen = {"role": "citizen", "subject": f"c-{person['party_id'][-6:]}"}
        citizen["party_id"] = person["party_id"]
        case = app.submit_case(
            item_code=ITEM,
            applicant=person,
            channel="web",
            actor=citizen,
            materials=[{"code": "LICENCE", "document_ref": f"doc-{person['party_id']}"}],
            form={"shop_name": "蜀味", "address": "成都市锦江区红星路三段1号"},
        )["case_id"]
        app.accept_case(case_id=case, actor=CLERK)
        app.decide_case(case_id=case, outcome="approved", actor=CLERK)
    return 3 * len(people) / (time.perf_counter() - started)


def _fold_rate(app: Casetrack) -> float:
    projection = PROJECTIONS["cases"]
    envelopes = [
        build_envelope(
            app.sealed_mapper,
            position=e.position,
            originator_id=e.originator_id,
            originator_version=e.originator_version,
            topic=e.topic,
            state=e.state,
            prev_hash=e.prev_hash,
            hash_=e.hash,
        )
        for e in app.read_log(0, 1_000_000)
    ]
    mine = [e for e in envelopes if projection.handles(e)]
    best = float("inf")
    for _ in range(3):
        documents: dict[str, Any] = {}
        started = time.perf_counter()
        for envelope in mine:
            key = envelope["aggregate_id"]
            documents[key] = projection.apply_in_place(documents.get(key), envelope)
        best = min(best, time.perf_counter() - started)
    return len(mine) / best


def _app(cls: type[Casetrack], folder: Path) -> Casetrack:
    app = cls(env={"CASETRACK_EVENT_STORE": f"sqlite:///{folder / 'events.db'}"})
    app.publish_item(code=ITEM, actor=ADMIN, **TERMS)
    return app


def run(cases: int, runs: int) -> dict[str, float]:
    rates: dict[str, list[float]] = {"append_sealed": [], "append_plain": []}
    rates.update(fold_sealed=[], fold_plain=[], erasure_s=[])
    people = [_person(n) for n in range(cases)]
    for r in range(runs):
        order = [(Casetrack, "sealed"), (Unsealed, "plain")]
        for cls, name in order if r % 2 == 0 else reversed(order):
            with tempfile.TemporaryDirectory(prefix="privacy-bench-") as folder:
                app = _app(cls, Path(folder))
                try:
                    rates[f"append_{name}"].append(_cases(app, people))
                    rates[f"fold_{name}"].append(_fold_rate(app))
                    if name == "sealed":
                        one = _person(10_000 + r)
                        _cases(app, [one] * 10)
                        started = time.perf_counter()
                        app.erase_party(
                            party_id=one["party_id"],
                            legal_basis="PIPL",
                            reason="bench",
                            actor=ADMIN,
                        )
                        rates["erasure_s"].append(time.perf_counter() - started)
                finally:
                    app.close()
    return {k: statistics.median(v) for k, v in rates.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    m = run(args.cases, args.runs)
    print(f"cases per run: {args.cases} (3 commands each), runs: {args.runs}, medians")
    print(
        f"append  sealed {m['append_sealed']:8.1f} commands/s   plain {m['append_plain']:8.1f}"
        f"   ratio {m['append_sealed'] / m['append_plain']:.2f}   (target >= 0.85)"
    )
    print(
        f"fold    sealed {m['fold_sealed']:8.0f} events/s     plain {m['fold_plain']:8.0f}"
        f"   ratio {m['fold_sealed'] / m['fold_plain']:.2f}   (target >= 0.85)"
    )
    print(f"erasure of a person with 10 cases: {m['erasure_s'] * 1000:.0f} ms (store side)")


if __name__ == "__main__":
    main()
