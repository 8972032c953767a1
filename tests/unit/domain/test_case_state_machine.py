"""Any sequence of commands leaves a case in a legal state, and its events replay to it.

A reference model of the transition table (docs/api.md, Cases) predicts which commands must
succeed; the aggregate must agree with it on every step, and replaying its events (also after
a trip through the store's transcoder) must give back exactly the same state.
"""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from uuid import uuid4

from eventsourcing.persistence import Mapper
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import DomainError
from domain.legal_basis import REFUSAL, REJECTION
from domain.model.case import FINAL_STATUSES, OPEN_STATUSES, STATUSES, Case
from domain.store.transcoder import OrjsonTranscoder

from .conftest import CITIZEN, CLERK, at, publish_item, submit_case

CODES = ["LICENCE", "LAYOUT", "OTHER"]
REQUIRED = {"LICENCE", "LAYOUT"}
DECIDED = ("approved", "rejected", "refused")


class CaseMachine(RuleBasedStateMachine):
    @initialize(
        fee=st.sampled_from([0, 5000]),
        # Mostly complete submissions; incomplete ones exercise requests and supplements.
        initial=st.one_of(st.just(set(CODES)), st.just(REQUIRED), st.sets(st.sampled_from(CODES))),
    )
    def submit(self, fee, initial):
        self.now = at(2025, 9, 20)
        item = publish_item(fee_fen=fee)
        self.case = submit_case(
            item,
            materials=[{"code": c, "document_ref": f"doc-{c}"} for c in sorted(initial)],
            when=self.now,
        )
        self.events = list(self.case.collect_events())
        self.fee = fee
        self.status = "submitted"
        self.before_request: str | None = None
        self.materials = set(initial)
        self.rated = False
        self.accepted = False

    # --- helpers ------------------------------------------------------------------------

    def attempt(self, legal: bool, command) -> bool:
        version = self.case.version
        try:
            command()
        except DomainError:
            assert not legal, f"refused a legal command in status {self.status}"
            assert self.case.version == version
            assert self.case.collect_events() == []
            return False
        assert legal, f"accepted an illegal command in status {self.status}"
        self.events.extend(self.case.collect_events())
        return True

    # --- rules --------------------------------------------------------------------------

    @rule(days=st.integers(0, 10), hours=st.integers(0, 23))
    def time_passes(self, days, hours):
        self.now += timedelta(days=days, hours=hours)

    @rule(codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3))
    def request_materials(self, codes):
        legal = self.status in ("submitted", "accepted")
        if self.attempt(
            legal, lambda: self.case.request_materials(codes=codes, actor=CLERK, timestamp=self.now)
        ):
            self.before_request, self.status = self.status, "materials_requested"

    @rule(codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3))
    def supplement_materials(self, codes):
        legal = self.status == "materials_requested"
        materials = [{"code": c, "document_ref": f"new-{c}"} for c in codes]
        if self.attempt(
            legal,
            lambda: self.case.supplement_materials(
                materials=materials, actor=CITIZEN, timestamp=self.now
            ),
        ):
            self.materials |= set(codes)
            self.status, self.before_request = self.before_request, None

    @rule()
    def accept(self):
        legal = self.status == "submitted" and REQUIRED <= self.materials
        if self.attempt(legal, lambda: self.case.accept(actor=CLERK, timestamp=self.now)):
            self.status, self.accepted = "accepted", True

    # Closing commands are tried one time in eight, so that walks get deep into the
    # lifecycle before they end.
    @rule(roll=st.integers(0, 7))
    def reject_acceptance(self, roll):
        if roll:
            return
        legal = self.status == "submitted" or (
            self.status == "materials_requested" and self.before_request == "submitted"
        )
        if self.attempt(
            legal,
            lambda: self.case.reject_acceptance(
                reason="不予受理", legal_basis=REFUSAL, actor=CLERK, timestamp=self.now
            ),
        ):
            self.status = "refused"

    @rule(clerk=st.sampled_from(["clerk-1", "clerk-2"]))
    def assign(self, clerk):
        self.attempt(
            self.status in OPEN_STATUSES,
            lambda: self.case.assign(clerk_sub=clerk, actor=CLERK, timestamp=self.now),
        )

    @rule()
    def suspend(self):
        if self.attempt(
            self.status == "accepted",
            lambda: self.case.suspend(reason="听证", actor=CLERK, timestamp=self.now),
        ):
            self.status = "suspended"

    @rule()
    def resume(self):
        if self.attempt(
            self.status == "suspended", lambda: self.case.resume(actor=CLERK, timestamp=self.now)
        ):
            self.status = "accepted"

    @rule(days=st.integers(-2, 70))
    def extend(self, days):
        legal = self.status in ("accepted", "suspended") and 1 <= days <= 60
        self.attempt(
            legal,
            lambda: self.case.extend(days=days, reason="复杂", actor=CLERK, timestamp=self.now),
        )

    @rule(
        outcome=st.sampled_from(["approved", "rejected"]),
        fee_settled=st.booleans(),
        roll=st.integers(0, 3),
    )
    def decide(self, outcome, fee_settled, roll):
        if roll:
            return
        legal = self.status == "accepted" and (
            outcome == "rejected" or self.fee == 0 or fee_settled
        )
        command = lambda: self.case.decide(  # noqa: E731
            outcome=outcome,
            reasons="理由",
            legal_basis=REJECTION,
            fee_settled=fee_settled,
            actor=CLERK,
            timestamp=self.now,
        )
        if self.attempt(legal, command):
            self.status = outcome

    @rule(roll=st.integers(0, 7))
    def withdraw(self, roll):
        if roll:
            return
        if self.attempt(
            self.status in OPEN_STATUSES,
            lambda: self.case.withdraw(actor=CITIZEN, timestamp=self.now),
        ):
            self.status = "withdrawn"

    @rule(score=st.integers(0, 6))
    def rate(self, score):
        legal = self.status in DECIDED and not self.rated and 1 <= score <= 5
        if self.attempt(
            legal, lambda: self.case.rate(score=score, actor=CITIZEN, timestamp=self.now)
        ):
            self.rated = True

    @rule()
    def link_fee(self):
        legal = self.status not in ("withdrawn", "refused") and self.case.fee_payment_id is None
        self.attempt(
            legal,
            lambda: self.case.link_payment(
                payment_id=uuid4(), kind="fee", amount_fen=5000, actor=CLERK, timestamp=self.now
            ),
        )

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def status_agrees_with_the_reference_model_and_is_legal(self):
        assert self.case.status == self.status
        assert self.case.status in STATUSES
        if self.case.status in ("accepted", "suspended", "approved", "rejected"):
            assert self.case.accepted_on and self.case.statutory_due and self.case.promised_due
            assert (
                self.case.promised_due <= self.case.statutory_due or self.case.status == "suspended"
            )
        if self.case.status == "suspended":
            assert self.case.statutory_remaining is not None
        if self.case.status in FINAL_STATUSES:
            assert not self.case.is_overdue(self.now + timedelta(days=3650))
        assert (self.case.rating is not None) == self.rated
        assert [t["step"] for t in self.case.timeline] == [type(e).__name__ for e in self.events]

    @invariant()
    def events_replay_to_the_same_state(self):
        replayed = reduce(lambda agg, e: e.mutate(agg), self.events, None)
        assert replayed.__dict__ == self.case.__dict__

    def teardown(self):
        if not hasattr(self, "case"):
            return
        mapper = Mapper(transcoder=OrjsonTranscoder())
        decoded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in self.events]
        replayed = reduce(lambda agg, e: e.mutate(agg), decoded, None)
        assert isinstance(replayed, Case)
        assert replayed.__dict__ == self.case.__dict__


CaseMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseStateMachine = CaseMachine.TestCase
