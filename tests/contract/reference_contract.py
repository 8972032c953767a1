"""Aggregates a command reads and does not change (`Tx.reference`, `domain/references.py`),
on each backend: always the revision stored when the command reads it, in any process, and a
revision committed between that read and the command's append fails the command (PostgreSQL)
or waits for it (SQLite, whose write transaction holds the lock from its start)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from domain.application import CasetrackApplication
from domain.errors import ConcurrencyConflict
from domain.references import ReferenceChanged
from tests.support.store_aggregates import Listing, Ticket, open_ticket

MakeApp = Callable[..., CasetrackApplication]


def listed(app: CasetrackApplication, title: str = "v1") -> UUID:
    listing = Listing(title=title)
    app.commit(lambda tx: [listing])
    return listing.id


def retitle(app: CasetrackApplication, listing_id: UUID, title: str) -> None:
    def build(tx: Any) -> list[Listing]:
        listing = app.repository.get(listing_id)
        listing.retitle(title)
        return [listing]

    app.commit(build)


def read_in_a_command(app: CasetrackApplication, listing_id: UUID) -> Any:
    """A command that reads the listing and opens a ticket; the listing it decided against."""
    seen: list[Any] = []

    def build(tx: Any) -> list[Ticket]:
        seen.append(tx.reference(listing_id))
        return [open_ticket(tx, title=seen[-1].title)]

    app.commit(build)
    return seen[0]


class ReferenceContract:
    # Whether a second writer waits for a write transaction from its start (SQLite), rather
    # than only from its append (PostgreSQL's table lock).
    writers_wait_from_the_start: bool

    def test_a_reference_is_the_revision_committed_before_the_command_in_any_process(
        self, make_app: MakeApp
    ) -> None:
        ours, theirs = make_app(), make_app()  # two processes' applications: two caches
        listing_id = listed(ours)
        first = read_in_a_command(ours, listing_id)
        assert first.title == "v1"
        assert read_in_a_command(ours, listing_id) is first  # kept while unchanged
        retitle(theirs, listing_id, "v2")
        again = read_in_a_command(ours, listing_id)
        assert again.title == "v2" and again.version == 2
        retitle(ours, listing_id, "v3")
        assert read_in_a_command(theirs, listing_id).title == "v3"
        assert read_in_a_command(ours, listing_id).title == "v3"

    def race(
        self,
        ours: CasetrackApplication,
        listing_id: UUID,
        other: Callable[[], None],
        ticket_id: UUID | None = None,
    ) -> None:
        """A command reads the listing, `other` appends to it from another application while
        the command's transaction is open: PostgreSQL's append refuses the command (its read
        is out of date); on SQLite `other` waits for the command's commit. The command opens
        a ticket, or notes on the stored one `ticket_id` (then the heads are read before the
        INSERT, not checked by it)."""
        done = threading.Event()
        errors: list[BaseException] = []

        def run_other() -> None:
            try:
                other()
                done.set()
            except BaseException as e:  # asserted on below
                errors.append(e)

        thread = threading.Thread(target=run_other)

        def build(tx: Any) -> list[Ticket]:
            listing = tx.reference(listing_id)
            thread.start()
            done.wait(2.0)  # PostgreSQL: `other` commits now; SQLite: it waits for our commit
            title = getattr(listing, "title", "none")
            if ticket_id is None:
                return [open_ticket(tx, title=title)]
            ticket = ours.repository.get(ticket_id)
            ticket.note(title)
            return [ticket]

        before = ours.max_position()
        if self.writers_wait_from_the_start:
            position = ours.commit(build).position
            thread.join(30)
            assert not errors and done.is_set()
            assert position is not None and ours.max_position() > position  # `other` after
        else:
            with pytest.raises(ConcurrencyConflict) as conflict:
                ours.commit(build)
            thread.join(30)
            assert not errors and done.is_set()
            assert "stored version now" in conflict.value.details["cause"]
            assert ours.max_position() == before + 1  # only `other`'s event

    def test_a_revision_between_the_read_and_the_append_fails_the_command_or_waits(
        self, make_app: MakeApp
    ) -> None:
        ours, theirs = make_app(), make_app()
        listing_id = listed(ours)
        read_in_a_command(ours, listing_id)  # kept at version 1
        self.race(ours, listing_id, lambda: retitle(theirs, listing_id, "v2"))
        assert read_in_a_command(ours, listing_id).title == "v2"

    def test_a_revision_read_beside_an_existing_aggregate_is_checked_with_its_head(
        self, make_app: MakeApp
    ) -> None:
        ours, theirs = make_app(), make_app()
        listing_id = listed(ours)
        ticket: list[Ticket] = []
        ours.commit(lambda tx: ticket.append(open_ticket(tx)) or ticket)
        self.race(ours, listing_id, lambda: retitle(theirs, listing_id, "v2"), ticket[0].id)
        assert ours.repository.get(ticket[0].id).notes == (
            ["v1"] if self.writers_wait_from_the_start else []
        )

    def test_a_creation_between_the_read_and_the_append_fails_the_command_or_waits(
        self, make_app: MakeApp
    ) -> None:
        ours, theirs = make_app(), make_app()
        listing = Listing(title="created meanwhile")
        self.race(ours, listing.id, lambda: theirs.commit(lambda tx: [listing]))
        assert read_in_a_command(ours, listing.id).title == "created meanwhile"

    def test_a_command_that_changes_a_reference_fails_and_the_stored_one_is_read_again(
        self, app: CasetrackApplication
    ) -> None:
        listing_id = listed(app)
        kept = read_in_a_command(app, listing_id)
        before = app.max_position()

        def build(tx: Any) -> list[Any]:
            tx.reference(listing_id).retitle("changed in a command")
            return [open_ticket(tx)]

        with pytest.raises(ReferenceChanged):
            app.commit(build)
        assert app.max_position() == before
        again = read_in_a_command(app, listing_id)
        assert again is not kept and again.title == "v1" and again.version == 1

    def test_a_missing_reference_is_none_and_found_once_it_exists(
        self, app: CasetrackApplication
    ) -> None:
        listing = Listing(title="later")
        seen: list[Any] = []
        app.commit(lambda tx: seen.append(tx.reference(listing.id)) or [open_ticket(tx)])
        app.commit(lambda tx: [listing])
        app.commit(lambda tx: seen.append(tx.reference(listing.id)) or [open_ticket(tx)])
        assert seen[0] is None and seen[1].title == "later"

    def test_aggregates_not_kept_as_references_are_read_afresh_each_command(
        self, app: CasetrackApplication
    ) -> None:
        ticket: list[Ticket] = []
        app.commit(lambda tx: ticket.append(open_ticket(tx)) or ticket)
        seen: list[Any] = []
        for _ in range(2):
            app.commit(lambda tx: seen.append(tx.reference(ticket[0].id)) or [open_ticket(tx)])
        assert seen[0] is not seen[1] and seen[0].title == seen[1].title

    def test_a_stream_written_again_to_the_same_version_is_not_the_kept_one(
        self, app: CasetrackApplication, store_env: dict[str, str]
    ) -> None:
        """A store restored under a running process: same id, same version, other bytes."""
        listing_id = listed(app, "before the restore")
        assert read_in_a_command(app, listing_id).title == "before the restore"
        self.execute(
            store_env, "DELETE FROM {events} WHERE originator_id = %s", (self.id_param(listing_id),)
        )
        again = Listing._create(Listing.Listed, id=listing_id, title="restored")
        app.commit(lambda tx: [again])
        assert read_in_a_command(app, listing_id).title == "restored"
