"""The Casetrack event-sourced application: one write transaction per command.

See docs/domain-interface.md for the seam with the domain model and services.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic

from domain.errors import ConcurrencyConflict
from domain.privacy.keyring import Keyring
from domain.privacy.mapper import SealingMapper
from domain.privacy.master import LocalMasterKeys
from domain.privacy.refs import BlindIndex
from domain.references import ReferenceChanged, References
from domain.store import checkpoints
from domain.store.base import CasetrackRecorderMixin
from domain.store.config import StoreSettings, load_settings
from domain.store.hashing import algorithm_of, event_hash
from domain.store.records import (
    BrokenLink,
    Checkpoint,
    CheckpointReport,
    CommitResult,
    IdempotencyRequest,
    LoggedEvent,
    VerifyReport,
)
from domain.store.transcoder import OrjsonTranscoder

logger = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], datetime]
Build = Callable[["Tx"], Sequence[Aggregate]]
Answer = Callable[[Sequence[Aggregate], "int | None"], tuple[int, dict[str, Any]]]


class Tx:
    """What ``build`` may do inside the command's write transaction."""

    def __init__(
        self,
        recorder: CasetrackRecorderMixin,
        cursor: Any,
        references: References | None = None,
    ) -> None:
        self._recorder = recorder
        self._cursor = cursor
        self._references = references
        # aggregate id -> (version, aggregate) of what `reference` handed out
        self.referenced: dict[UUID, tuple[int, Any]] = {}

    def reference(self, aggregate_id: UUID) -> Any:
        """An aggregate this command reads and does not change (a service item), as stored
        now, or None: read on this transaction's cursor, so any revision committed before is
        seen, and one committed before this command's append (or the creation of one that
        was absent) makes the command fail with `ConcurrencyConflict`
        (`domain/references.py`). Kept decoded between commands for
        classes with `kept_as_reference`: never call a method that changes it."""
        if aggregate_id in self.referenced:
            return self.referenced[aggregate_id][1]
        if self._references is None:
            msg = "Tx.reference needs the application's references"
            raise RuntimeError(msg)
        # An absent one is recorded as version 0: one created before the append fails the
        # command as a revision would.
        found = self._references.read(self._cursor, aggregate_id) or (0, None)
        self.referenced[aggregate_id] = found
        return found[1]

    def next_number(self, series: str, year: int, region_code: str) -> int:
        """Next value of the counter (series, year, region), 1 for the first."""
        return self._recorder.next_number(self._cursor, series, year, region_code)

    def schedule_destruction(self, aggregate_id: UUID, action_date: date) -> None:
        """Put a closed case on the archive schedule (docs/design.md, "Retention")."""
        self._recorder.schedule_destruction(self._cursor, aggregate_id, action_date)

    def forget_keys(
        self, *, delete: Sequence[str], restrict: Sequence[str], snapshots_of: Sequence[UUID]
    ) -> None:
        """Delete or restrict data keys in this transaction (an erasure, a destruction)."""
        self._recorder.forget_keys(  # type: ignore[attr-defined]
            self._cursor, delete=delete, restrict=restrict, snapshots_of=snapshots_of
        )


class CasetrackApplication(Application[UUID]):
    name = "Casetrack"

    def __init__(self, env: Mapping[str, str] | None = None, *, clock: Clock | None = None) -> None:
        self.settings: StoreSettings = load_settings(env)
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._tempdir: Path | None = None
        self._commit_lock = threading.Lock()
        library_env = dict(self.settings.library_env)
        if self.settings.temporary:
            self._tempdir = Path(tempfile.mkdtemp(prefix="casetrack-store-"))
            library_env["SQLITE_DBNAME"] = str(self._tempdir / "events.db")
        elif self.settings.sqlite_path is not None:
            self.settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        if self.settings.uses_dev_checkpoint_key and self.settings.backend == "postgres":
            logger.warning("Checkpoints are signed with the development key")
        self.keyring = Keyring(
            store=None,  # type: ignore[arg-type]  # the recorder exists after the library's init
            master=LocalMasterKeys.parse(self.settings.master_keys),
            cipher_name=self.settings.cipher,
            blind_index=BlindIndex(self.settings.blind_index_key),
        )
        super().__init__(library_env)
        self.keyring.store = self.store
        self.references = References(self.store, self.mapper)

    # ------------------------------------------------------------------ construction

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Unlike the library, never read os.environ: the edge passes settings in.
        return Environment(name, {**type(self).env, **(env or {})})

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory: type[InfrastructureFactory] = resolve_topic(self.settings.factory_topic)
        return factory(env)

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper:
        return SealingMapper(self.construct_transcoder(), self.keyring)

    @property
    def sealed_mapper(self) -> Mapper:
        """Decodes stored events without opening them: what the relay sends to Kafka."""
        assert isinstance(self.mapper, SealingMapper)
        return self.mapper.sealed_view()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add project transcodings here (the defaults are already registered)."""

    @property
    def store(self) -> CasetrackRecorderMixin:
        assert isinstance(self.recorder, CasetrackRecorderMixin)
        return self.recorder

    # ------------------------------------------------------------------ writing

    def commit(
        self,
        build: Build,
        idempotency: IdempotencyRequest | None = None,
        answer: Answer | None = None,
    ) -> CommitResult:
        """Run one command in one write transaction; all of its events or none."""
        token = uuid4().hex
        if idempotency is not None:
            now = self.clock()
            stored = self.store.reserve_idempotency(
                idempotency,
                token=token,
                now=now,
                stale_before=now - self.settings.in_flight_timeout,
            )
            if stored is not None:
                return CommitResult(stored.position, stored.status, stored.body, True)
        try:
            # One command at a time per process: `build` loads aggregates on reader
            # connections while this transaction holds the writer, and the library's pool
            # deadlocks when other threads queue for the writer meanwhile (they hold its
            # fairness semaphore while they wait). The store serialises writers anyway.
            with self._commit_lock, self.store.write_cursor() as cursor:
                if idempotency is not None:
                    self.store.hold_idempotency(cursor, idempotency, token)
                tx = Tx(self.store, cursor, self.references)
                try:
                    aggregates = list(build(tx))
                finally:
                    changed = self.references.settle(tx.referenced)
                if changed:
                    msg = f"A command changed aggregates it read as references: {changed}"
                    raise ReferenceChanged(msg)
                processing = _collected(aggregates)
                seal = self.keyring.session(cursor)
                assert isinstance(self.mapper, SealingMapper)
                stored_events = [
                    self.mapper.seal_event(e, processing.aggregates.get(e.originator_id), seal)
                    for e in processing.events
                ]
                positions = self.store.append_chained(
                    cursor,
                    stored_events,
                    {i: version for i, (version, _) in tx.referenced.items()},
                )
                last_position = max(positions) if positions else None
                status, body = answer(aggregates, last_position) if answer else (None, None)
                if idempotency is not None:
                    self.store.complete_idempotency(
                        cursor,
                        idempotency,
                        token=token,
                        status=status,
                        body=body,
                        position=last_position,
                        now=self.clock(),
                    )
        except IntegrityError as e:
            self._release(idempotency, token)
            raise ConcurrencyConflict(cause=str(e)) from e
        except BaseException:
            self._release(idempotency, token)
            raise
        seal.committed()
        self._take_snapshots(processing)
        return CommitResult(last_position, status, body, False)

    def _release(self, idempotency: IdempotencyRequest | None, token: str) -> None:
        if idempotency is None:
            return
        try:
            self.store.release_idempotency(idempotency, token)
        except Exception:
            # The reservation then expires after the in-flight timeout.
            logger.exception("Could not release an idempotency reservation")

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        interval = self.settings.snapshot_interval
        if self.snapshots is None or interval <= 0:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            if aggregate is None:
                continue
            every = self.snapshotting_intervals.get(type(aggregate), interval)
            if event.originator_version % every:
                continue
            try:
                self.take_snapshot(event.originator_id, version=event.originator_version)
            except Exception:
                # A snapshot only speeds up loading; the command already succeeded.
                logger.exception(
                    "Snapshot failed", extra={"aggregate_id": str(event.originator_id)}
                )

    def purge_idempotency_keys(self) -> int:
        """Delete keys older than the retention (at least 24 hours)."""
        return self.store.purge_idempotency(self.clock() - self.settings.retention)

    # ------------------------------------------------------------------ reading

    def load_or_none(self, aggregate_id: UUID, version: int | None = None) -> Any:
        try:
            return self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None

    def load_many(self, aggregate_ids: Iterable[UUID], *, chunk: int = 500) -> list[Any]:
        """The aggregates of these ids that exist, rebuilt from their events with one query per
        `chunk` ids (snapshots unused): for a command that reads many small aggregates, where
        `repository.get` would ask the store twice per aggregate."""
        ids = list(dict.fromkeys(aggregate_ids))
        found: list[Any] = []
        for start in range(0, len(ids), chunk):
            streams: dict[UUID, list[Any]] = {}
            for e in self.store.read_streams(ids[start : start + chunk]):
                stored = StoredEvent(
                    originator_id=e.originator_id,
                    originator_version=e.originator_version,
                    topic=e.topic,
                    state=e.state,
                )
                streams.setdefault(e.originator_id, []).append(self.mapper.to_domain_event(stored))
            for aggregate_id in ids[start : start + chunk]:
                aggregate = None
                for domain_event in streams.get(aggregate_id, ()):
                    aggregate = domain_event.mutate(aggregate)
                if aggregate is not None:
                    found.append(aggregate)
        return found

    def read_log(self, after: int = 0, limit: int = 1000) -> list[LoggedEvent]:
        """Stored events after ``after`` in position order, with their hashes."""
        return self.store.read_log(after, limit)

    def read_stream(self, aggregate_id: UUID) -> list[LoggedEvent]:
        """One aggregate's stored events in version order, with positions and hashes."""
        return self.store.read_stream(aggregate_id)

    def max_position(self) -> int:
        return self.store.max_position()

    # ------------------------------------------------------------------ tamper evidence

    def write_checkpoint(
        self, *, pause: Callable[[], None] | None = None, pause_every: int = 10_000
    ) -> Checkpoint:
        """Sign (position, root of the bucket tree over every stream head) with the key from
        outside the DB (`domain/store/checkpoints.py`).

        Only the buckets of the streams written since the previous checkpoint are
        recomputed; the first checkpoint of a store (or one whose bucket table is not the
        previous checkpoint's) reads every head (1.5 million streams: ~16 s of a core). A
        caller that shares its machine gives `pause`, called after every `pause_every`
        heads, to pace that pass; whatever `pause` raises abandons the checkpoint and
        writes nothing."""
        return checkpoints.write_checkpoint(
            self.store,
            key=self.settings.checkpoint_key,
            now=self.clock,
            pause=pause,
            pause_every=pause_every,
        )

    def maybe_write_checkpoint(
        self, every: timedelta, *, pause: Callable[[], None] | None = None
    ) -> Checkpoint | None:
        """For a periodic caller (relay upkeep, cron): sign a new checkpoint when the last
        one is older than ``every`` and events were appended since (`pause`: as in
        `write_checkpoint`)."""
        latest = self.store.latest_checkpoint()
        if latest is not None:
            age = self.clock() - datetime.fromisoformat(latest.created_at)
            if age < every or self.store.max_position() == latest.position:
                return None
        return self.write_checkpoint(pause=pause)

    def verify(self, aggregate_id: UUID | None = None) -> VerifyReport:
        """Walk one stream or the whole store; the whole store also against the
        latest checkpoint. Reports the first broken link of each aggregate."""
        checked = 0
        broken: list[BrokenLink] = []
        current: UUID | None = None
        expected_version, prev_hash, skipping = 1, None, False
        for row in self.store.iter_chain_rows(aggregate_id):
            checked += 1
            if row["originator_id"] != current:
                current = row["originator_id"]
                expected_version, prev_hash, skipping = 1, None, False
            if skipping:
                continue
            link = self._check_link(row, expected_version, prev_hash)
            if link is not None:
                broken.append(link)
                skipping = True
            expected_version = row["originator_version"] + 1
            prev_hash = row["hash"]
        report = VerifyReport(checked=checked, broken=broken, checkpoint=None)
        if aggregate_id is None:
            report.checkpoint = self._verify_checkpoint()
        return report

    @staticmethod
    def _check_link(
        row: dict[str, Any], expected_version: int, prev_hash: str | None
    ) -> BrokenLink | None:
        aggregate_id = str(row["originator_id"])
        version = row["originator_version"]
        if version != expected_version:
            return BrokenLink(
                aggregate_id,
                expected_version,
                f"version {expected_version} is missing (next stored is {version})",
            )
        if row["prev_hash"] != prev_hash:
            return BrokenLink(aggregate_id, version, "prev_hash is not the previous hash")
        try:
            algorithm = algorithm_of(row["hash"])
        except ValueError:
            return BrokenLink(aggregate_id, version, "hash is malformed")
        recomputed = event_hash(
            algorithm,
            prev_hash=row["prev_hash"],
            originator_id=row["originator_id"],
            originator_version=version,
            topic=row["topic"],
            state=row["state"],
        )
        if recomputed != row["hash"]:
            return BrokenLink(aggregate_id, version, "stored bytes do not match the hash")
        return None

    def _verify_checkpoint(self) -> CheckpointReport | None:
        return checkpoints.verify_latest_checkpoint(self.store, self.settings.checkpoint_key)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        super().close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


def _collected(aggregates: Sequence[Aggregate]) -> ProcessingEvent[UUID]:
    """The pending events of `aggregates`, as `ProcessingEvent.collect_events` gathers them,
    without its two runtime-protocol checks per aggregate (the slowest part of a commit's
    Python until now)."""
    processing = ProcessingEvent[UUID]()
    for aggregate in aggregates:
        if isinstance(aggregate, Aggregate):
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        else:
            processing.collect_events(aggregate)
    return processing
