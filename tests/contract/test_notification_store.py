"""The notification tables behave the same on both adapters (docs/design.md, "Notifications"):
one notification per (event, recipient) whatever is recorded twice, a send claimed once, its
outcome recorded only for the attempt that was claimed, a dead claim turned `unknown`, the
fallback queued with the outcome, and the inbox scoped to its party."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from domain.application import CasetrackApplication
from domain.store import notifications as store_notes

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
PARTY = "510104199005010123"
OTHER = "510105198503090456"


def note(event_id: str, recipient: str = PARTY, **channels: datetime):
    return store_notes.NewNotification(
        event_id=event_id,
        recipient=recipient,
        kind="case_submitted",
        language="en",
        title="We received your application",
        body="body",
        params={"case_number": "N-1"},
        urgent=False,
        case_id=str(uuid4()),
        payment_id=None,
        licence_number=None,
        created_at=NOW,
        channels=channels,
    )


class NotificationStore:
    @pytest.fixture
    def store(self) -> Iterator:
        raise NotImplementedError

    def test_one_notification_per_event_and_recipient(self, store) -> None:
        event = str(uuid4())
        first = store_notes.record(store, [note(event, email=NOW)], consumer="c", progress={0: 5})
        again = store_notes.record(store, [note(event, email=NOW)], consumer="c", progress={0: 3})
        assert len(first) == 1 and again == []
        assert store_notes.progress(store, "c") == {0: 5}  # never moves back
        total, unread, items = store_notes.inbox(store, PARTY)
        assert (total, unread) == (1, 1)
        assert {d["channel"]: d["status"] for d in items[0]["deliveries"]} == {
            "inbox": "delivered",
            "email": "queued",
        }
        assert store_notes.inbox(store, OTHER)[0] == 0

    def test_a_send_is_claimed_once_and_its_outcome_recorded_once(self, store) -> None:
        [nid] = store_notes.record(store, [note(str(uuid4()), sms=NOW)])
        [due] = store_notes.due(store, NOW)
        assert store_notes.due(store, NOW - timedelta(seconds=1)) == []
        assert store_notes.claim(store, due, NOW, "ref-1")
        assert not store_notes.claim(store, due, NOW, "ref-1")  # a second sender loses
        assert store_notes.due(store, NOW) == []
        assert store_notes.finish(
            store,
            nid,
            "sms",
            attempts=1,
            status="failed",
            now=NOW,
            error="refused",
            fallback=("email", NOW),
        )
        assert not store_notes.finish(store, nid, "sms", attempts=1, status="sent", now=NOW)
        [fallback] = store_notes.due(store, NOW)
        assert (fallback.channel, fallback.attempts) == ("email", 0)
        counts = store_notes.delivery_counts(store)
        assert counts[("sms", "failed")] == 1 and counts[("email", "queued")] == 1

    def test_a_dead_claim_becomes_unknown_and_is_requeued_only_when_proved_unsent(
        self, store
    ) -> None:
        [nid] = store_notes.record(store, [note(str(uuid4()), email=NOW)])
        [due] = store_notes.due(store, NOW)
        assert store_notes.claim(store, due, NOW, "ref-2")
        assert store_notes.expire_claims(store, NOW - timedelta(seconds=1)) == 0
        assert store_notes.expire_claims(store, NOW + timedelta(seconds=1)) == 1
        [lost] = store_notes.unknown(store)
        assert (lost.notification_id, lost.reference, lost.attempts) == (nid, "ref-2", 1)
        assert store_notes.requeue_unknown(store, lost, NOW)
        assert [d.notification_id for d in store_notes.due(store, NOW)] == [nid]

    def test_only_the_recipient_marks_read(self, store) -> None:
        [nid] = store_notes.record(store, [note(str(uuid4()))])
        assert store_notes.mark_read(store, OTHER, nid, NOW) is None
        assert store_notes.mark_read(store, PARTY, nid, NOW)["read_at"]
        later = store_notes.mark_read(store, PARTY, nid, NOW + timedelta(hours=1))
        assert later["read_at"] == store_notes.iso(NOW)
        assert store_notes.inbox(store, PARTY, unread_only=True)[:2] == (0, 0)


class TestSqliteNotificationStore(NotificationStore):
    @pytest.fixture
    def store(self, tmp_path) -> Iterator:
        application = CasetrackApplication(
            {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"}
        )
        yield application.store
        application.close()


class TestPostgresNotificationStore(NotificationStore):
    @pytest.fixture
    def store(self) -> Iterator:
        url = os.environ.get(
            "CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
        )
        schema = f"ct_notify_{uuid4().hex[:12]}"
        application = CasetrackApplication(
            {"CASETRACK_EVENT_STORE": f"{url}?schema={schema}&pool_size=2"}
        )
        yield application.store
        application.close()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
