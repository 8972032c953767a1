"""One contract for the event store, run against each backend (SQLite, PostgreSQL).

A backend subclass provides the ``store_env`` fixture and ``execute`` (raw SQL against
the store's own database, used to tamper with it as an attacker would).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest
from eventsourcing.domain import Aggregate, event

from domain.application import CasetrackApplication
from domain.errors import ConcurrencyConflict, IdempotencyKeyInFlight, IdempotencyKeyReused
from domain.store.hashing import HashAlgorithm
from domain.store.records import IdempotencyRequest
from tests.contract.checkpoint_contract import CheckpointContract
from tests.contract.reference_contract import ReferenceContract
from tests.support.store_aggregates import Ticket, open_ticket

DEADLINE_S = 30.0


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def created(aggregates: Any, position: int | None) -> tuple[int, dict[str, Any]]:
    return 201, {"id": str(aggregates[0].id), "position": position}


def run_threads(target: Callable[[int], Any], count: int) -> list[Any]:
    """Run target(i) in `count` threads started together; return results or exceptions."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def wrapper(i: int) -> None:
        start.wait(timeout=DEADLINE_S)
        try:
            results[i] = target(i)
        except Exception as e:  # collected and asserted on by the test
            results[i] = e

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE_S * 4)
        assert not t.is_alive(), "a committing thread did not finish before the deadline"
    return results


class Coded(Aggregate):
    """An aggregate whose id is derived from its code (uuid5), like a service item's."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"casetrack-contract/{code}")

    @event("Published")
    def __init__(self, code: str) -> None:
        self.code = code


class EventStoreContract(CheckpointContract, ReferenceContract):
    # --- provided by each backend ----------------------------------------------------

    @pytest.fixture
    def store_env(self) -> Iterator[dict[str, str]]:
        raise NotImplementedError

    def execute(self, env: dict[str, str], statement: str, params: tuple = ()) -> list[Any]:
        """Run raw SQL on the store; ``{events}`` names the events table, ``%s`` params."""
        raise NotImplementedError

    def id_param(self, aggregate_id: UUID) -> Any:
        raise NotImplementedError

    # --- fixtures --------------------------------------------------------------------

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def make_app(
        self, store_env: dict[str, str], clock: FakeClock
    ) -> Iterator[Callable[..., CasetrackApplication]]:
        apps: list[CasetrackApplication] = []

        def make(**overrides: str) -> CasetrackApplication:
            app = CasetrackApplication({**store_env, **overrides}, clock=clock)
            apps.append(app)
            return app

        yield make
        for app in apps:
            app.close()

    @pytest.fixture
    def app(self, make_app: Callable[..., CasetrackApplication]) -> CasetrackApplication:
        return make_app()

    # --- appending and reading -------------------------------------------------------

    def test_a_commit_appends_events_that_read_back_with_positions_and_a_hash_chain(
        self, app: CasetrackApplication
    ) -> None:
        def build(tx: Any) -> list[Ticket]:
            ticket = open_ticket(tx)
            ticket.note("材料齐全")
            return [ticket]

        result = app.commit(build, answer=created)
        ticket_id = UUID(result.body["id"])
        assert result.status == 201 and not result.replayed
        loaded = app.repository.get(ticket_id)
        assert (loaded.title, loaded.notes, loaded.version) == ("办理营业执照", ["材料齐全"], 2)
        log = app.read_log(after=0, limit=10)
        assert [(e.originator_id, e.originator_version) for e in log] == [
            (ticket_id, 1),
            (ticket_id, 2),
        ]
        assert result.position == log[-1].position == result.body["position"]
        assert log[0].position < log[1].position
        assert log[0].prev_hash is None and log[1].prev_hash == log[0].hash
        assert log[0].hash.startswith("sha256:")

    def test_read_log_returns_events_after_a_position_in_order_and_limited(
        self, app: CasetrackApplication
    ) -> None:
        positions = [app.commit(lambda tx: [open_ticket(tx)]).position for _ in range(5)]
        log = app.read_log(after=positions[1], limit=2)
        assert [e.position for e in log] == positions[2:4]
        assert app.max_position() == positions[-1]

    def test_threads_sharing_one_application_commit_commands_that_load_aggregates_without_deadlock(
        self, app: CasetrackApplication
    ) -> None:
        # As the API's threads do: each command loads an aggregate inside its transaction.
        parent = app.commit(lambda tx: [open_ticket(tx)], answer=created).body["id"]

        def command(_: int) -> int:
            def build(tx: Any) -> list[Ticket]:
                assert app.load_or_none(UUID(parent)) is not None
                return [open_ticket(tx)]

            return app.commit(build).position

        with ThreadPoolExecutor(4) as pool:
            positions = list(pool.map(command, range(80), timeout=60))
        assert len(set(positions)) == 80

    def test_read_stream_returns_one_aggregates_events_with_positions_in_version_order(
        self, app: CasetrackApplication
    ) -> None:
        first = Ticket(number=1, title="a")
        other = Ticket(number=2, title="b")
        app.save(first, other)
        first.note("n")
        app.save(first)
        stream = app.read_stream(first.id)
        assert [(e.originator_id, e.originator_version) for e in stream] == [
            (first.id, 1),
            (first.id, 2),
        ]
        by_position = {e.position: e for e in app.read_log()}
        assert all(by_position[e.position].hash == e.hash for e in stream)
        assert app.read_stream(uuid4()) == []

    def test_load_many_rebuilds_the_aggregates_that_exist_as_repository_get_does(
        self, app: CasetrackApplication
    ) -> None:
        tickets = [Ticket(number=n, title=f"t{n}") for n in range(5)]
        app.save(*tickets)
        tickets[3].note("n")
        app.save(tickets[3])
        wanted = [tickets[3].id, uuid4(), tickets[0].id, tickets[3].id, tickets[4].id]
        loaded = app.load_many(wanted, chunk=2)
        assert [t.id for t in loaded] == [tickets[3].id, tickets[0].id, tickets[4].id]
        assert [(t.version, t.title) for t in loaded] == [(2, "t3"), (1, "t0"), (1, "t4")]
        assert loaded[0].__dict__ == app.repository.get(tickets[3].id).__dict__
        assert app.load_many([]) == []

    def test_the_library_save_path_also_chains_hashes(self, app: CasetrackApplication) -> None:
        ticket = Ticket(number=1, title="t")
        app.save(ticket)
        ticket.note("n")
        app.save(ticket)
        log = app.read_log()
        assert log[1].prev_hash == log[0].hash
        assert app.verify(ticket.id).ok
        assert [n.originator_version for n in app.notification_log.select(1, 10)] == [1, 2]

    def test_load_or_none_returns_none_for_an_unknown_aggregate(
        self, app: CasetrackApplication
    ) -> None:
        assert app.load_or_none(UUID(int=7)) is None

    # --- optimistic concurrency ------------------------------------------------------

    def test_exactly_one_of_two_concurrent_commits_on_one_aggregate_wins(
        self, make_app: Callable[..., CasetrackApplication]
    ) -> None:
        apps = [make_app(), make_app()]  # as two API workers would
        ticket_id = apps[0].commit(lambda tx: [open_ticket(tx)], answer=created).body["id"]
        for round_ in range(5):
            loaded = [app.repository.get(UUID(ticket_id)) for app in apps]

            def commit(i: int, loaded: list[Ticket] = loaded, round_: int = round_) -> Any:
                def build(tx: Any) -> list[Ticket]:
                    loaded[i].note(f"round {round_} by {i}")
                    return [loaded[i]]

                return apps[i].commit(build)

            results = run_threads(commit, 2)
            conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
            assert len(conflicts) == 1, results
            assert len([r for r in results if not isinstance(r, Exception)]) == 1
        final = apps[0].repository.get(UUID(ticket_id))
        assert final.version == 6 and len(final.notes) == 5
        assert apps[0].verify(UUID(ticket_id)).ok

    def test_a_stale_version_is_refused_and_nothing_is_appended(
        self, app: CasetrackApplication
    ) -> None:
        ticket_id = UUID(app.commit(lambda tx: [open_ticket(tx)], answer=created).body["id"])
        first, second = app.repository.get(ticket_id), app.repository.get(ticket_id)
        first.note("first")
        app.commit(lambda tx: [first])
        before = app.max_position()
        second.note("second")
        with pytest.raises(ConcurrencyConflict):
            app.commit(lambda tx: [second])
        assert app.max_position() == before

    def test_creating_an_aggregate_whose_stream_exists_is_refused_and_nothing_is_appended(
        self, app: CasetrackApplication
    ) -> None:
        first = Coded(code="A-1")
        app.commit(lambda tx: [first])
        again = Coded(code="A-1")  # the same id created twice, as a service item's would be
        before = app.max_position()
        with pytest.raises(ConcurrencyConflict):
            app.commit(lambda tx: [again, Ticket(number=3, title="u")])
        assert app.max_position() == before
        assert app.verify(first.id).ok

    def test_a_command_appending_to_several_aggregates_chains_each_of_them(
        self, app: CasetrackApplication
    ) -> None:
        tickets = [Ticket(number=i, title="t") for i in range(3)]
        app.commit(lambda tx: tickets)
        loaded = [app.repository.get(t.id) for t in tickets]
        for i, ticket in enumerate(loaded):
            ticket.note("a")
            if i:
                ticket.note("b")
        fresh = Ticket(number=9, title="new")
        result = app.commit(lambda tx: [*loaded, fresh])
        assert result.position == app.max_position()
        log = app.read_log()
        assert [e.position for e in log] == sorted(e.position for e in log)
        assert len(log) == 3 + 1 + 2 + 2 + 1
        for ticket in [*tickets, fresh]:
            assert app.verify(ticket.id).ok
        assert app.verify().ok

    # --- counters --------------------------------------------------------------------

    def test_counters_stay_unique_and_gapless_under_concurrent_commits(
        self, make_app: Callable[..., CasetrackApplication]
    ) -> None:
        apps = [make_app(), make_app()]
        per_thread = 15

        def work(i: int) -> list[int]:
            numbers = []
            for _ in range(per_thread):
                result = apps[i % 2].commit(
                    lambda tx: [open_ticket(tx, region="510100")],
                    answer=lambda aggs, pos: (201, {"number": aggs[0].number}),
                )
                numbers.append(result.body["number"])
            return numbers

        results = run_threads(work, 6)
        assert not [r for r in results if isinstance(r, Exception)], results
        numbers = sorted(n for r in results for n in r)
        assert numbers == list(range(1, 6 * per_thread + 1))

    def test_counters_are_kept_per_series_year_and_region(self, app: CasetrackApplication) -> None:
        taken: list[tuple[int, ...]] = []

        def build(tx: Any) -> list[Ticket]:
            taken.append(
                (
                    tx.next_number("SC", 2026, "510100"),
                    tx.next_number("SC", 2026, "510100"),
                    tx.next_number("SC", 2027, "510100"),
                    tx.next_number("SC", 2026, "510700"),
                    tx.next_number("LIC", 2026, "510100"),
                )
            )
            return []

        app.commit(build)
        app.commit(build)
        assert taken == [(1, 2, 1, 1, 1), (3, 4, 2, 2, 2)]

    # --- idempotency -----------------------------------------------------------------

    def test_the_same_key_and_body_returns_the_stored_answer_and_appends_nothing(
        self, app: CasetrackApplication
    ) -> None:
        key = IdempotencyRequest("citizen-1 POST /cases", "k-1", "body-hash-1")
        first = app.commit(lambda tx: [open_ticket(tx)], key, created)
        before = app.max_position()
        calls: list[int] = []

        def build(tx: Any) -> list[Ticket]:
            calls.append(1)
            return [open_ticket(tx)]

        again = app.commit(build, key, created)
        assert again.replayed and not first.replayed
        assert (again.status, again.body, again.position) == (
            first.status,
            first.body,
            first.position,
        )
        assert calls == [] and app.max_position() == before

    def test_the_same_key_with_another_body_is_refused(self, app: CasetrackApplication) -> None:
        app.commit(lambda tx: [open_ticket(tx)], IdempotencyRequest("s", "k", "h1"), created)
        before = app.max_position()
        with pytest.raises(IdempotencyKeyReused):
            app.commit(lambda tx: [open_ticket(tx)], IdempotencyRequest("s", "k", "h2"), created)
        assert app.max_position() == before

    def test_keys_are_scoped_so_two_callers_may_use_the_same_key(
        self, app: CasetrackApplication
    ) -> None:
        a = app.commit(lambda tx: [open_ticket(tx)], IdempotencyRequest("a", "k", "h"), created)
        b = app.commit(lambda tx: [open_ticket(tx)], IdempotencyRequest("b", "k", "h"), created)
        assert not b.replayed and a.body["id"] != b.body["id"]

    def test_a_duplicate_of_a_request_still_in_flight_is_refused(
        self, make_app: Callable[..., CasetrackApplication]
    ) -> None:
        first_app, second_app = make_app(), make_app()
        key = IdempotencyRequest("s", "k", "h")
        inside, release = threading.Event(), threading.Event()

        def slow_build(tx: Any) -> list[Ticket]:
            inside.set()
            assert release.wait(DEADLINE_S), "test did not release the slow command"
            return [open_ticket(tx)]

        results: list[Any] = []
        worker = threading.Thread(
            target=lambda: results.append(first_app.commit(slow_build, key, created))
        )
        worker.start()
        try:
            assert inside.wait(DEADLINE_S)
            with pytest.raises(IdempotencyKeyInFlight):
                second_app.commit(lambda tx: [open_ticket(tx)], key, created)
        finally:
            release.set()
            worker.join(DEADLINE_S)
        assert results and not results[0].replayed
        assert second_app.commit(lambda tx: [], key, created).body == results[0].body

    def test_a_crashed_reservation_blocks_the_key_until_it_expires(
        self, app: CasetrackApplication, clock: FakeClock
    ) -> None:
        key = IdempotencyRequest("s", "k", "h")
        # A worker reserved the key and died before its write transaction.
        app.store.reserve_idempotency(
            key, token="dead-worker", now=clock(), stale_before=clock() - timedelta(hours=1)
        )
        with pytest.raises(IdempotencyKeyInFlight):
            app.commit(lambda tx: [open_ticket(tx)], key, created)
        clock.advance(seconds=app.settings.in_flight_timeout.total_seconds() + 1)
        result = app.commit(lambda tx: [open_ticket(tx)], key, created)
        assert result.status == 201 and not result.replayed
        assert app.commit(lambda tx: [], key, created).replayed

    def test_keys_are_kept_for_at_least_a_day_then_purged(
        self, app: CasetrackApplication, clock: FakeClock
    ) -> None:
        key = IdempotencyRequest("s", "k", "h")
        app.commit(lambda tx: [open_ticket(tx)], key, created)
        clock.advance(hours=23, minutes=59)
        assert app.purge_idempotency_keys() == 0
        assert app.commit(lambda tx: [], key, created).replayed
        clock.advance(minutes=2)
        assert app.purge_idempotency_keys() == 1

    # --- atomicity -------------------------------------------------------------------

    @pytest.mark.parametrize("failing", ["build", "answer"])
    def test_an_exception_in_build_or_answer_appends_nothing_and_frees_key_and_counter(
        self, app: CasetrackApplication, failing: str
    ) -> None:
        existing = UUID(app.commit(lambda tx: [open_ticket(tx)], answer=created).body["id"])
        before = app.max_position()
        key = IdempotencyRequest("s", "k-atomic", "h")

        def build(tx: Any) -> list[Ticket]:
            loaded = app.repository.get(existing)
            loaded.note("half done")
            fresh = open_ticket(tx)
            if failing == "build":
                raise RuntimeError("build failed")
            return [loaded, fresh]

        def answer(aggregates: Any, position: int | None) -> tuple[int, dict[str, Any]]:
            raise RuntimeError("answer failed")

        with pytest.raises(RuntimeError):
            app.commit(build, key, answer if failing == "answer" else created)
        assert app.max_position() == before
        assert app.repository.get(existing).version == 1
        retried = app.commit(
            lambda tx: [open_ticket(tx)], key, lambda a, p: (201, {"number": a[0].number})
        )
        assert not retried.replayed and retried.body == {"number": 2}

    # --- tamper evidence -------------------------------------------------------------

    def _three_tickets(self, app: CasetrackApplication) -> list[UUID]:
        ids = []
        for title in ("甲", "乙", "丙"):

            def build(tx: Any, title: str = title) -> list[Ticket]:
                ticket = open_ticket(tx, title=title)
                ticket.note("一")
                ticket.note("二")
                return [ticket]

            ids.append(UUID(app.commit(build, answer=created).body["id"]))
        return ids

    def test_verification_passes_on_an_untouched_store(self, app: CasetrackApplication) -> None:
        self._three_tickets(app)
        app.write_checkpoint()
        report = app.verify().as_dict()
        assert report["ok"] and report["checked"] == 9 and report["broken"] == []
        assert report["checkpoint"]["ok"]

    def test_stream_heads_read_in_batches_are_the_heads_read_at_once(
        self, app: CasetrackApplication
    ) -> None:
        ids = self._three_tickets(app) + self._three_tickets(app)
        store = app.store
        with store.read_cursor() as cursor:
            position = store.max_position_in(cursor)
            at_once = list(store.heads_at(cursor, position))
            by_two = list(store.heads_at(cursor, position, batch=2))
            by_six = list(store.heads_at(cursor, position, batch=6))
            earlier = list(store.heads_at(cursor, position - 1, batch=4))
        assert by_two == by_six == at_once and len(at_once) == 6
        assert sorted(h[0] for h in at_once) == sorted(ids) and {h[1] for h in at_once} == {3}
        # at an earlier position the stream written last is one event shorter
        assert sorted(h[1] for h in earlier) == [2, 3, 3, 3, 3, 3]

    def test_a_paced_checkpoint_signs_the_same_heads_and_an_abandoned_one_writes_nothing(
        self, app: CasetrackApplication
    ) -> None:
        self._three_tickets(app)
        self._three_tickets(app)
        pauses: list[int] = []
        paced = app.write_checkpoint(pause=lambda: pauses.append(1), pause_every=2)
        assert len(pauses) == 3  # after heads 2, 4 and 6
        plain = app.write_checkpoint()
        assert (paced.heads_hash, paced.streams, paced.position) == (
            plain.heads_hash,
            plain.streams,
            plain.position,
        )

        class Abandon(Exception):
            pass

        def abandon() -> None:
            raise Abandon

        app.commit(lambda tx: [open_ticket(tx)])
        with pytest.raises(Abandon):
            app.write_checkpoint(pause=abandon, pause_every=1)
        assert app.store.latest_checkpoint().id == plain.id
        assert app.verify().ok

    def test_verification_finds_a_row_altered_in_sql(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        a, b, _ = self._three_tickets(app)
        self.execute(
            store_env,
            "UPDATE {events} SET state = %s WHERE originator_id = %s AND originator_version = 2",
            (b'{"text":"forged"}', self.id_param(b)),
        )
        report = app.verify()
        assert [(x.aggregate_id, x.version) for x in report.broken] == [(str(b), 2)]
        assert app.verify(a).ok and not app.verify(b).ok

    def test_verification_finds_a_rewritten_row_whose_hash_was_recomputed(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        _, b, _ = self._three_tickets(app)
        self.execute(
            store_env,
            "UPDATE {events} SET hash = %s WHERE originator_id = %s AND originator_version = 2",
            ("sha256:" + "0" * 64, self.id_param(b)),
        )
        assert [(x.aggregate_id, x.version) for x in app.verify().broken] == [(str(b), 2)]

    def test_verification_finds_an_event_deleted_inside_a_stream(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        _, b, _ = self._three_tickets(app)
        self.execute(
            store_env,
            "DELETE FROM {events} WHERE originator_id = %s AND originator_version = 2",
            (self.id_param(b),),
        )
        assert [(x.aggregate_id, x.version) for x in app.verify().broken] == [(str(b), 2)]

    def test_the_checkpoint_finds_a_deleted_stream(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        _, b, _ = self._three_tickets(app)
        app.write_checkpoint()
        self.execute(
            store_env, "DELETE FROM {events} WHERE originator_id = %s", (self.id_param(b),)
        )
        report = app.verify()
        assert report.broken == []  # what is left chains correctly...
        assert not report.ok and not report.checkpoint.ok  # ...but the signed heads differ
        assert any("3 streams were signed" in p for p in report.checkpoint.problems)
        assert report.checkpoint.buckets == [b.hex[:4]]  # the bucket that lost it

    def test_the_checkpoint_finds_a_cut_off_tail_of_a_stream(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        a, _, _ = self._three_tickets(app)
        app.write_checkpoint()
        app.commit(lambda tx: [open_ticket(tx)])  # later events are not covered, and fine
        self.execute(
            store_env,
            "DELETE FROM {events} WHERE originator_id = %s AND originator_version = 3",
            (self.id_param(a),),
        )
        report = app.verify()
        assert report.broken == [] and not report.checkpoint.ok
        assert any("stream heads differ" in p for p in report.checkpoint.problems)
        assert report.checkpoint.buckets == [a.hex[:4]]

    def test_the_checkpoint_finds_a_truncated_log(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        self._three_tickets(app)
        checkpoint = app.write_checkpoint()
        self.execute(
            store_env, "DELETE FROM {events} WHERE notification_id > %s", (checkpoint.position - 2,)
        )
        report = app.verify()
        assert not report.checkpoint.ok
        assert any("tail of the log was cut off" in p for p in report.checkpoint.problems)

    def test_periodic_checkpoints_are_written_only_when_due_and_something_changed(
        self, app: CasetrackApplication, clock: FakeClock
    ) -> None:
        self._three_tickets(app)
        first = app.maybe_write_checkpoint(timedelta(minutes=5))
        assert first is not None
        clock.advance(minutes=4)
        app.commit(lambda tx: [open_ticket(tx)])
        assert app.maybe_write_checkpoint(timedelta(minutes=5)) is None
        clock.advance(minutes=2)
        second = app.maybe_write_checkpoint(timedelta(minutes=5))
        assert second is not None and second.position > first.position
        clock.advance(minutes=10)
        assert app.maybe_write_checkpoint(timedelta(minutes=5)) is None  # nothing new
        assert app.verify().checkpoint.id == second.id

    def test_a_checkpoint_signed_with_another_key_is_rejected(
        self, make_app: Callable[..., CasetrackApplication]
    ) -> None:
        writer = make_app(CASETRACK_CHECKPOINT_KEY="key-one")
        self._three_tickets(writer)
        writer.write_checkpoint()
        auditor = make_app(CASETRACK_CHECKPOINT_KEY="key-two")
        report = auditor.verify()
        assert report.checkpoint.problems == ["the checkpoint's signature is invalid"]

    def test_sm3_hashes_chain_and_verify(
        self, make_app: Callable[..., CasetrackApplication], store_env: dict[str, str]
    ) -> None:
        app = make_app(CASETRACK_HASH_ALGORITHM="sm3")
        _, b, _ = self._three_tickets(app)
        log = app.read_log()
        assert all(e.hash.startswith("sm3:") for e in log)
        assert app.write_checkpoint().heads_hash.startswith("sm3:")
        assert app.verify().ok
        self.execute(
            store_env,
            "UPDATE {events} SET topic = %s WHERE originator_id = %s AND originator_version = 3",
            ("tests.support.store_aggregates:Ticket.Scheduled", self.id_param(b)),
        )
        assert [(x.aggregate_id, x.version) for x in app.verify().broken] == [(str(b), 3)]
        # A store may hold both algorithms: each row names its own.
        sha_app = make_app(CASETRACK_HASH_ALGORITHM="sha256")
        ticket = sha_app.repository.get(log[0].originator_id)
        ticket.note("after switching back to SHA-256")
        sha_app.commit(lambda tx: [ticket])
        assert sha_app.read_log(after=log[-1].position)[0].hash.startswith("sha256:")
        assert sha_app.verify(ticket.id).ok
        assert HashAlgorithm("sm3").name == "sm3"

    # --- snapshots -------------------------------------------------------------------

    def test_long_streams_are_snapshotted_at_the_configured_interval(
        self, make_app: Callable[..., CasetrackApplication]
    ) -> None:
        app = make_app(CASETRACK_SNAPSHOT_INTERVAL="3")
        ticket_id = UUID(app.commit(lambda tx: [open_ticket(tx)], answer=created).body["id"])
        for i in range(6):
            ticket = app.repository.get(ticket_id)
            ticket.note(str(i))
            app.commit(lambda tx, t=ticket: [t])
        assert app.snapshots is not None
        versions = [s.originator_version for s in app.snapshots.get(ticket_id)]
        assert versions == [3, 6]
        assert app.repository.get(ticket_id).notes == [str(i) for i in range(6)]
