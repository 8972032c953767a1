"""The bulk loader: realistic cases through the domain code, many aggregates per commit.

The random draws happen in a fixed order from one seeded generator, so a scale always loads
the same cases.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from functools import partial

from eventsourcing.domain import Aggregate

from domain import legal_basis
from domain.calendar import SHANGHAI, shanghai_date
from domain.demo import business, catalogue, person
from domain.identifiers import case_number, licence_number
from domain.model.case import Case
from domain.model.licence import Licence
from domain.model.payment import Payment
from domain.model.service_item import item_id
from domain.services import Casetrack
from loadtests.bench.config import ADMIN, GATEWAY

CASES_PER_COMMIT = 200
FIRST_DAY, DAYS = date(2025, 1, 2), 360


@dataclass
class Loader:
    """Realistic cases through the domain code, many aggregates per commit."""

    app: Casetrack
    seed: int = 2026
    rng: random.Random = field(init=False)
    terms: list[dict] = field(default_factory=list)
    cases: int = 0
    events: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def publish_catalogue(self) -> None:
        when = datetime(2024, 12, 1, 9, tzinfo=SHANGHAI)
        self.app.clock = lambda: when
        for spec in catalogue(self.rng):
            code = spec.pop("code")
            if self.app.load_or_none(item_id(code)) is None:
                self.app.publish_item(code=code, actor=ADMIN, **spec)
            item = self.app.get_item(code)
            self.terms.append(
                {
                    **item.case_terms(),
                    "department": item.department,
                    "legal_basis": item.terms.get("legal_basis", ""),
                }
            )
        self.app.clock = lambda: datetime.now(UTC)

    def load(
        self,
        cases: int,
        *,
        per_commit: int = CASES_PER_COMMIT,
        progress: Callable[[str], None] = lambda m: None,
    ) -> float:
        """Load `cases` cases; returns the elapsed seconds."""
        started = time.perf_counter()
        done = 0
        while done < cases:
            chunk = min(per_commit, cases - done)
            self.app.commit(partial(self._chunk, first=done, chunk=chunk, cases=cases))
            done += chunk
            if done % (per_commit * 50) == 0 or done == cases:
                progress(f"loaded {done}/{cases} cases")
        self.cases += cases
        return time.perf_counter() - started

    def _chunk(self, tx, *, first: int, chunk: int, cases: int) -> list[Aggregate]:
        """One commit's cases, their submission days spread evenly over the year."""
        made: list[Aggregate] = []
        for i in range(first, first + chunk):
            made.extend(self.one_case(tx, FIRST_DAY + timedelta(days=DAYS * i // max(1, cases))))
        return made

    # ------------------------------------------------------------------ one case

    def one_case(self, tx, day: date) -> list[Aggregate]:
        """A case and its lifecycle (submission ... decision, fee, licence, rating) in memory."""
        rng, cal = self.rng, self.app.calendar
        item = rng.choice(self.terms)
        applicant = business(rng) if rng.random() < 0.3 else person(rng)
        clerk = {
            "role": "clerk",
            "subject": f"clerk-{item['department']}-{item['region_code']}-{rng.randint(1, 5)}",
        }
        citizen = {"role": "citizen", "subject": applicant["party_id"]}
        when = self._moment(day)
        case = self._submit(tx, item, applicant, citizen, when)
        made: list[Aggregate] = [case]
        fate = rng.random()
        if fate < 0.1:
            return made
        when = self._moment(cal.add_working_days(shanghai_date(when), 1))
        if fate < 0.15:
            case.reject_acceptance(
                reason="申请事项不属于本机关职权范围",
                legal_basis=legal_basis.REFUSAL,
                actor=clerk,
                timestamp=when,
            )
            return made
        case.accept(actor=clerk, timestamp=when, calendar=cal)
        fee = self._fee(case, item, applicant, clerk, when) if item["fee_fen"] > 0 else None
        made += [fee] if fee is not None else []
        if rng.random() < 0.7:
            case.assign(
                clerk_sub=clerk["subject"], actor=clerk, timestamp=when + timedelta(minutes=5)
            )
        settled, when = self._settle(fee, when)
        if rng.random() < 0.25:
            return made
        licence, when = self._decide(tx, case, item, settled=settled, clerk=clerk, when=when)
        made += [licence] if licence is not None else []
        if rng.random() < 0.6:
            case.rate(
                score=rng.choice([5, 5, 5, 4, 4, 3, 1]),
                comment="办事效率高",
                actor=citizen,
                timestamp=when + timedelta(days=1),
            )
        return made

    def _moment(self, day: date) -> datetime:
        return datetime.combine(
            day, day_time(self.rng.randint(8, 17), self.rng.randint(0, 59)), SHANGHAI
        )

    def _submit(self, tx, item: dict, applicant: dict, citizen: dict, when: datetime) -> Case:
        rng = self.rng
        year = shanghai_date(when).year
        materials = [
            {"code": m["code"], "document_ref": f"doc-{rng.getrandbits(48):012x}"}
            for m in item["materials"]
            if m["required"] or rng.random() < 0.5
        ]
        return Case.submit(
            case_number=case_number(
                year, item["region_code"], tx.next_number("case", year, item["region_code"])
            ),
            item={k: v for k, v in item.items() if k not in ("department", "legal_basis")},
            department=item["department"],
            applicant=applicant,
            channel=rng.choice(["web", "app", "wechat", "hall"]),
            materials=materials,
            form={"contact_phone": f"13{rng.randint(0, 10**9 - 1):09d}"},
            actor=citizen,
            timestamp=when,
        )

    def _fee(self, case: Case, item: dict, applicant: dict, clerk: dict, when: datetime) -> Payment:
        """The item's fee, requested at acceptance and linked to the case."""
        fee = Payment.request(
            kind="fee",
            amount_fen=item["fee_fen"],
            payer_party_id=applicant["party_id"],
            payer_name=applicant["name"],
            case_id=case.id,
            due_date=self.app.calendar.add_working_days(shanghai_date(when), 10),
            department=case.department,
            region_code=case.region_code,
            actor=clerk,
            timestamp=when,
        )
        case.link_payment(
            payment_id=fee.id, kind="fee", amount_fen=fee.amount_fen, actor=clerk, timestamp=when
        )
        return fee

    def _settle(self, fee: Payment | None, when: datetime) -> tuple[bool, datetime]:
        """(settled, when): most fees are paid a day later; no fee counts as settled."""
        if fee is None:
            return True, when
        if self.rng.random() >= 0.85:
            return False, when
        when = when + timedelta(days=1)
        fee.settle(
            channel="alipay",
            transaction_ref=f"TX{self.rng.getrandbits(64):016X}",
            amount_fen=fee.amount_fen,
            actor=GATEWAY,
            timestamp=when,
        )
        return True, when

    def _decide(
        self, tx, case: Case, item: dict, *, settled: bool, clerk: dict, when: datetime
    ) -> tuple[Licence | None, datetime]:
        """The decision within the promised days; an approval of a licensed item issues one."""
        rng, cal = self.rng, self.app.calendar
        when = self._moment(
            cal.add_working_days(shanghai_date(when), rng.randint(1, item["promised_days"]))
        )
        outcome = "approved" if settled and rng.random() < 0.88 else "rejected"
        licence = None
        if outcome == "approved" and item.get("licence_type"):
            licence = self._licence(tx, case, item, clerk, when)
        case.decide(
            outcome=outcome,
            reasons="经审查，符合法定条件" if outcome == "approved" else "经审查，不符合法定条件",
            legal_basis=item.get("legal_basis") or legal_basis.REJECTION,
            fee_settled=settled,
            licence_id=licence.id if licence else None,
            licence_number=licence.number if licence else None,
            actor=clerk,
            timestamp=when,
        )
        return licence, when

    def _licence(self, tx, case: Case, item: dict, clerk: dict, when: datetime) -> Licence:
        year = shanghai_date(when).year
        return Licence.issue(
            number=licence_number(
                year, case.region_code, tx.next_number("licence", year, case.region_code)
            ),
            holder=case.applicant,
            item_code=item["code"],
            item_name=item["name"],
            licence_type=item["licence_type"],
            case_id=case.id,
            valid_days=item.get("licence_valid_days"),
            department=case.department,
            region_code=case.region_code,
            actor=clerk,
            timestamp=when,
        )
