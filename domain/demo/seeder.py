"""The seeder: drives the commands of :class:`Casetrack` through whole case lifecycles and
violations, on a clock of its own, from one seeded random generator."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from domain import legal_basis
from domain.calendar import SHANGHAI, shanghai_date
from domain.demo.people import BRANDS, business, person
from domain.demo.templates import VIOLATIONS, catalogue
from domain.errors import DomainError
from domain.model.service_item import item_id
from domain.reference import counties
from domain.services import Casetrack

CHANNELS = ["web", "app", "wechat", "hall", "hotline", "kiosk"]
CHANNEL_WEIGHTS = [30, 25, 25, 12, 3, 5]
SETTLE_CHANNELS = ["unionpay", "alipay", "wechat_pay", "bank_transfer"]
COMMENTS = [
    "办事效率高",
    "工作人员态度很好",
    "一次都不用跑",
    "材料要求清楚",
    "等待时间有点长",
    "流程还可以再简化",
    "",
]


@dataclass
class DemoProgress:
    items: int = 0
    cases: int = 0
    commands: int = 0
    payments: int = 0
    licences: int = 0
    violations: int = 0
    refused_commands: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


class DemoClock:
    """The application's clock during seeding: it says what the seeder sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class DemoSeeder:
    """Drives the commands of :class:`Casetrack` with generated data."""

    def __init__(
        self,
        app: Casetrack,
        *,
        seed: int = 2026,
        start: date = date(2025, 1, 2),
        end: date = date(2025, 12, 31),
    ) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        self.clock = DemoClock(datetime.combine(start, time(9), SHANGHAI))
        self.items: list[dict[str, Any]] = []
        self.progress = DemoProgress()
        self.admin = {"role": "admin", "subject": "admin-sichuan"}
        self.gateway = {"role": "gateway", "subject": "payment-gateway"}

    # --- driving ------------------------------------------------------------------------

    def run(self, *, cases: int, violations: int | None = None) -> Iterator[DemoProgress]:
        """Publish the catalogue, then ``cases`` cases and (by default) one violation
        for every ten cases; yields the progress after each case or violation."""
        original_clock = self.app.clock
        self.app.clock = self.clock
        try:
            self.publish_catalogue()
            violations = cases // 10 if violations is None else violations
            every = max(1, cases // violations) if violations else 0
            span = (self.end - self.start).days
            for i in range(cases):
                day = self.start + timedelta(days=span * i // max(1, cases))
                self.case_lifecycle(day)
                self.progress.cases += 1
                if every and i % every == every - 1 and self.progress.violations < violations:
                    self.violation(day)
                yield self.progress
        finally:
            self.app.clock = original_clock

    def publish_catalogue(self) -> None:
        self.clock.now = datetime.combine(self.start - timedelta(days=30), time(9), SHANGHAI)
        for spec in catalogue(self.rng):
            code = spec.pop("code")
            existing = self.app.load_or_none(item_id(code))
            if existing is not None:  # seeded before: cases follow the item as it is stored
                self.items.append({"code": code, **existing.terms})
                continue
            self.items.append({"code": code, **spec})
            self.app.publish_item(code=code, actor=self.admin, **spec)
            self.progress.items += 1
            self.progress.commands += 1

    def _at(self, day: date, rng: random.Random) -> datetime:
        return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), SHANGHAI)

    def _do(self, when: datetime, command: Callable[..., Any], **kwargs: Any) -> Any:
        self.clock.now = when
        self.progress.commands += 1
        return command(**kwargs)

    def _clerk(self, item: dict[str, Any]) -> dict[str, str]:
        return {
            "role": "clerk",
            "subject": f"clerk-{item['department']}-{item['region_code']}-{self.rng.randint(1, 5)}",
        }

    # --- one case -----------------------------------------------------------------------

    def case_lifecycle(self, day: date) -> None:
        rng, app, cal = self.rng, self.app, self.app.calendar
        item = rng.choice(self.items)
        template_kind = "business" if "BL" in {m["code"] for m in item["materials"]} else "person"
        applicant = business(rng) if template_kind == "business" else person(rng)
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        citizen = {"role": "citizen", "subject": applicant["party_id"], "channel": channel}
        clerk = self._clerk(item)
        submitter = clerk if channel in ("hall", "hotline", "kiosk") else citizen
        required = [m for m in item["materials"] if m["required"]]
        optional = [m for m in item["materials"] if not m["required"]]
        complete = rng.random() < 0.8
        given = required if complete else required[:-1]
        given = given + [m for m in optional if rng.random() < 0.5]
        materials = [
            {"code": m["code"], "document_ref": f"doc-{rng.getrandbits(48):012x}"} for m in given
        ]
        when = self._at(day, rng)
        case_id = self._do(
            when,
            app.submit_case,
            item_code=item["code"],
            applicant=applicant,
            channel=channel,
            materials=materials,
            form={"contact_phone": f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}"},
            actor=submitter,
        )["case_id"]
        horizon = datetime.combine(self.end, time(23, 59), SHANGHAI)
        fate = rng.random()

        def next_working(after: datetime, days: int = 1) -> datetime:
            return self._at(cal.add_working_days(shanghai_date(after), days), rng)

        if fate < 0.03:
            self._do(
                next_working(when),
                app.withdraw_case,
                case_id=case_id,
                reason="不再需要办理",
                actor=citizen,
            )
            return self._count("withdrawn")
        when = next_working(when)
        if when > horizon:
            return self._count("submitted")
        if not complete:
            missing = [
                m["code"] for m in required if m["code"] not in {x["code"] for x in materials}
            ]
            self._do(
                when,
                app.request_materials,
                case_id=case_id,
                codes=missing,
                note="请补正材料",
                actor=clerk,
            )
            when = next_working(when, rng.randint(1, 5))
            if when > horizon or rng.random() < 0.1:
                return self._count("materials_requested")
            supplied = [
                {"code": c, "document_ref": f"doc-{rng.getrandbits(48):012x}"} for c in missing
            ]
            self._do(
                when, app.supplement_materials, case_id=case_id, materials=supplied, actor=citizen
            )
        if rng.random() < 0.05:
            self._do(
                next_working(when),
                app.reject_acceptance,
                case_id=case_id,
                reason="申请事项不属于本机关职权范围",
                legal_basis=legal_basis.REFUSAL,
                actor=clerk,
            )
            return self._rate_maybe(case_id, citizen, next_working(when, 2), "refused")
        when = next_working(when)
        if when > horizon:
            return self._count("submitted")
        accepted = self._do(when, app.accept_case, case_id=case_id, actor=clerk)
        if rng.random() < 0.7:
            self._do(
                when + timedelta(minutes=5),
                app.assign_case,
                case_id=case_id,
                clerk_sub=clerk["subject"],
                actor=clerk,
            )
        if accepted["payment_id"]:
            self.progress.payments += 1
            pay_at = next_working(when, rng.randint(1, 3))
            if pay_at > horizon or rng.random() < 0.05:
                return self._count("accepted")
            amount = item["fee_fen"]
            self._do(
                pay_at,
                app.settle_payment,
                payment_id=accepted["payment_id"],
                channel=rng.choice(SETTLE_CHANNELS),
                transaction_ref=f"TX{rng.getrandbits(64):016X}",
                amount_fen=amount,
                actor=self.gateway,
            )
            when = max(when, pay_at)
        if rng.random() < 0.08:
            when = next_working(when, rng.randint(1, 3))
            if when > horizon:
                return self._count("accepted")
            self._do(when, app.suspend_case, case_id=case_id, reason="组织专家评审", actor=clerk)
            when = next_working(when, rng.randint(3, 15))
            if when > horizon:
                return self._count("suspended")
            self._do(when, app.resume_case, case_id=case_id, actor=clerk)
        if rng.random() < 0.05:
            self._do(
                when + timedelta(minutes=30),
                app.extend_case,
                case_id=case_id,
                days=10,
                reason="情况复杂，经负责人批准延长",
                actor=clerk,
            )
        # Mostly within the promised time, sometimes late.
        days = max(1, round(item["promised_days"] * rng.uniform(0.3, 1.0)))
        if rng.random() < 0.07:
            days = item["statutory_days"] + rng.randint(1, 10)
        when = next_working(when, days)
        if when > horizon:
            return self._count("accepted")
        if rng.random() < 0.02:
            self._do(
                when, app.withdraw_case, case_id=case_id, reason="申请人主动撤回", actor=citizen
            )
            return self._count("withdrawn")
        outcome = "approved" if rng.random() < 0.88 else "rejected"
        decided = self._do(
            when,
            app.decide_case,
            case_id=case_id,
            outcome=outcome,
            reasons="经审查，符合法定条件" if outcome == "approved" else "经审查，不符合法定条件",
            legal_basis=item["legal_basis"] or legal_basis.REJECTION,
            actor=clerk,
        )
        if decided["licence_number"]:
            self.progress.licences += 1
            if rng.random() < 0.01:
                self._do(
                    next_working(when, rng.randint(10, 60)),
                    app.revoke_licence,
                    licence_number=decided["licence_number"],
                    reason="以欺骗手段取得许可",
                    actor=clerk,
                )
        return self._rate_maybe(case_id, citizen, next_working(when, rng.randint(0, 3)), outcome)

    def _rate_maybe(self, case_id: str, citizen: dict, when: datetime, status: str) -> None:
        if self.rng.random() < 0.6:
            score = self.rng.choices([5, 4, 3, 2, 1], [60, 25, 8, 4, 3])[0]
            self._do(
                when,
                self.app.rate_case,
                case_id=case_id,
                score=score,
                comment=self.rng.choice(COMMENTS),
                actor=citizen,
            )
        self._count(status)

    def _count(self, status: str) -> None:
        self.progress.statuses[status] = self.progress.statuses.get(status, 0) + 1

    # --- one violation ------------------------------------------------------------------

    def violation(self, day: date) -> None:
        rng, app = self.rng, self.app
        template = rng.choice(VIOLATIONS)
        party = person(rng) if template.party == "person" else business(rng)
        region, county, city = rng.choice(counties())
        clerk = {
            "role": "clerk",
            "subject": f"clerk-{template.department}-{region}-{rng.randint(1, 5)}",
        }
        occurred = self._at(day, rng) - timedelta(days=rng.randint(1, 10))
        recorded = self._do(
            self._at(day, rng),
            app.record_violation,
            party_id=party["party_id"],
            party_name=party["name"],
            description=template.description,
            location=f"{city}{county}{rng.choice(BRANDS)}路{rng.randint(1, 300)}号",
            region_code=region,
            occurred_at=occurred,
            fine_fen=template.fine_fen,
            legal_basis=template.legal_basis,
            department=template.department,
            actor=clerk,
        )
        self.progress.violations += 1
        owner = {"role": "citizen", "subject": party["party_id"]}
        if recorded["payment_id"]:
            self.progress.payments += 1
        roll = rng.random()
        later = self._at(day + timedelta(days=rng.randint(1, 14)), rng)
        try:
            if recorded["payment_id"] and roll < 0.6:
                self._do(
                    later,
                    app.settle_payment,
                    payment_id=recorded["payment_id"],
                    channel=rng.choice(SETTLE_CHANNELS),
                    transaction_ref=f"TX{rng.getrandbits(64):016X}",
                    amount_fen=template.fine_fen,
                    actor=self.gateway,
                )
                self._do(
                    later + timedelta(hours=1),
                    app.resolve_violation,
                    violation_id=recorded["violation_id"],
                    outcome="upheld",
                    actor=clerk,
                )
            elif roll < 0.75:
                self._do(
                    later,
                    app.contest_violation,
                    violation_id=recorded["violation_id"],
                    reason="对违法事实有异议，申请复核",
                    actor=owner,
                )
                outcome = "annulled" if rng.random() < 0.4 else "upheld"
                self._do(
                    later + timedelta(days=rng.randint(3, 20)),
                    app.resolve_violation,
                    violation_id=recorded["violation_id"],
                    outcome=outcome,
                    reason="复核认定证据不足" if outcome == "annulled" else "复核维持原处罚",
                    actor=clerk,
                )
        except DomainError:
            # A generated step that the rules refuse is part of realistic data, not a fault.
            self.progress.refused_commands += 1
