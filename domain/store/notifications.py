"""Notifications and their deliveries: tables in the event store's own database.

A notification is an effect, not a projection (docs/design.md, "Notifications"): an e-mail
cannot be unsent, so what was sent must be known wherever the topic is read from. So the
records live beside the events, in the same database and through the recorder's own cursors
(like the access log), on SQLite and PostgreSQL alike:

- `notifications`: one row per (event, recipient), `UNIQUE (event_id, recipient)`: a
  redelivered or re-read event inserts nothing; the clock's reminders use a name-based event
  id, so the same table records what the clock has sent;
- `notification_deliveries`: one row per (notification, channel) with its status, attempts,
  next attempt and provider reference. A send is claimed (`queued` -> `sending`, attempts + 1)
  in a committed transaction before it starts, and its outcome recorded after it; a claim
  whose process died becomes `unknown` and is reconciled, never sent again blindly;
- `notification_progress`: the consumer's position per partition (its lag).

Times are ISO-8601 UTC text with microseconds on both databases, compared as text.
A recipient is kept as the party's blind ref (`Keyring.party_ref`), never their identity
number; titles and bodies name records (case and licence numbers, items, amounts, dates),
never a person; addresses and numbers are read from the party's preferences at each send.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.notifications.delivery import DELIVERED, INBOX, QUEUED, SENDING, UNKNOWN

_ready: weakref.WeakSet = weakref.WeakSet()
_ready_lock = threading.Lock()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class NewNotification:
    event_id: str
    recipient: str  # the party's blind ref
    kind: str
    language: str
    title: str
    body: str
    params: dict[str, Any]
    urgent: bool
    case_id: str | None
    payment_id: str | None
    licence_number: str | None
    created_at: datetime
    channels: dict[str, datetime]  # channel -> first attempt at (besides the inbox)


@dataclass(frozen=True)
class Delivery:
    """A delivery due to be sent, with what the sender needs of its notification."""

    notification_id: str
    channel: str
    status: str
    attempts: int
    reference: str | None
    recipient: str
    kind: str
    language: str
    params: dict[str, Any]
    urgent: bool
    created_at: str


def _is_postgres(store: Any) -> bool:
    return type(store).__name__.startswith("CasetrackPostgres")


def _tables(store: Any) -> tuple[str, str, str]:
    counters = getattr(store, "counters_table", None)
    if counters is None:
        raise RuntimeError("notifications need an SQLite or PostgreSQL event store")
    if counters.endswith('"'):
        base = counters[: -len('_counters"')]
        return (
            f'{base}_notifications"',
            f'{base}_notification_deliveries"',
            f'{base}_notification_progress"',
        )
    base = counters.removesuffix("_counters")
    return (
        f"{base}_notifications",
        f"{base}_notification_deliveries",
        f"{base}_notification_progress",
    )


def _ensure(store: Any) -> tuple[str, str, str]:
    tables = _tables(store)
    if store in _ready:
        return tables
    notes, deliveries, progress = tables
    base = notes.split(".")[-1].strip('"')
    with _ready_lock:
        if store not in _ready:
            with store.write_cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {notes} (notification_id TEXT PRIMARY KEY, "
                    "event_id TEXT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, "
                    "language TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, "
                    "params TEXT NOT NULL, urgent INTEGER NOT NULL, case_id TEXT, payment_id TEXT, "
                    "licence_number TEXT, created_at TEXT NOT NULL, read_at TEXT, "
                    "UNIQUE (event_id, recipient))"
                )
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{base}_recipient_idx" '
                    f"ON {notes} (recipient, created_at)"
                )
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {deliveries} (notification_id TEXT NOT NULL, "
                    "channel TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
                    "next_at TEXT, claimed_at TEXT, reference TEXT, error TEXT, "
                    "updated_at TEXT NOT NULL, PRIMARY KEY (notification_id, channel))"
                )
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{base}_due_idx" ON {deliveries} (status, next_at)'
                )
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {progress} (consumer TEXT NOT NULL, "
                    "partition_no INTEGER NOT NULL, position BIGINT NOT NULL, "
                    "PRIMARY KEY (consumer, partition_no))"
                )
            _ready.add(store)
    return tables


# ---------------------------------------------------------------------- recording


def record(
    store: Any,
    notifications: Sequence[NewNotification],
    *,
    consumer: str | None = None,
    progress: dict[int, int] | None = None,
) -> list[str]:
    """Insert the notifications not yet recorded, with their deliveries (the inbox's
    delivered, the others queued), and the consumer's progress, in one transaction.
    Returns the ids of those inserted; a known (event, recipient) is skipped."""
    notes, deliveries, table = _ensure(store)
    inserted = []
    with store.write_cursor() as cursor:
        for n in notifications:
            created = iso(n.created_at)
            cursor.execute(
                store.q(
                    f"INSERT INTO {notes} (notification_id, event_id, recipient, kind, language, "
                    "title, body, params, urgent, case_id, payment_id, licence_number, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (event_id, recipient) DO NOTHING RETURNING notification_id"
                ),
                (
                    str(uuid.uuid4()),
                    n.event_id,
                    n.recipient,
                    n.kind,
                    n.language,
                    n.title,
                    n.body,
                    orjson.dumps(n.params).decode(),
                    int(n.urgent),
                    n.case_id,
                    n.payment_id,
                    n.licence_number,
                    created,
                ),
            )
            row = cursor.fetchone()
            if row is None:
                continue
            notification_id = row["notification_id"]
            inserted.append(notification_id)
            rows = [(notification_id, INBOX, DELIVERED, 0, None, created)]
            rows += [
                (notification_id, channel, QUEUED, 0, iso(at), created)
                for channel, at in n.channels.items()
            ]
            for values in rows:
                cursor.execute(
                    store.q(
                        f"INSERT INTO {deliveries} (notification_id, channel, status, attempts, "
                        "next_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s)"
                    ),
                    values,
                )
        if consumer is not None:
            for partition, position in (progress or {}).items():
                cursor.execute(
                    store.q(
                        f"INSERT INTO {table} AS p (consumer, partition_no, position) "
                        "VALUES (%s, %s, %s) ON CONFLICT (consumer, partition_no) DO UPDATE "
                        "SET position = CASE WHEN p.position > excluded.position "
                        "THEN p.position ELSE excluded.position END"
                    ),
                    (consumer, partition, position),
                )
    return inserted


def progress(store: Any, consumer: str) -> dict[int, int]:
    _, _, table = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(f"SELECT partition_no, position FROM {table} WHERE consumer = %s"), (consumer,)
        )
        return {int(r["partition_no"]): int(r["position"]) for r in cursor.fetchall()}


def recorded(store: Any, event_id: str, recipient: str) -> bool:
    """Whether the notification of `event_id` for `recipient` (a blind ref) is recorded."""
    notes, _, _ = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(f"SELECT 1 AS x FROM {notes} WHERE event_id = %s AND recipient = %s"),
            (event_id, recipient),
        )
        return cursor.fetchone() is not None


# ---------------------------------------------------------------------- sending

_DELIVERY_COLUMNS = (
    "d.notification_id, d.channel, d.status, d.attempts, d.reference, n.recipient, n.kind, "
    "n.language, n.params, n.urgent, n.created_at"
)


def _delivery(row: Any) -> Delivery:
    return Delivery(
        notification_id=row["notification_id"],
        channel=row["channel"],
        status=row["status"],
        attempts=int(row["attempts"]),
        reference=row["reference"],
        recipient=row["recipient"],
        kind=row["kind"],
        language=row["language"],
        params=orjson.loads(row["params"]),
        urgent=bool(row["urgent"]),
        created_at=row["created_at"],
    )


def due(store: Any, now: datetime, limit: int = 100) -> list[Delivery]:
    """Queued deliveries whose time has come, oldest first."""
    notes, deliveries, _ = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(
                f"SELECT {_DELIVERY_COLUMNS} FROM {deliveries} d JOIN {notes} n "
                "ON n.notification_id = d.notification_id "
                "WHERE d.status = %s AND d.next_at <= %s ORDER BY d.next_at LIMIT %s"
            ),
            (QUEUED, iso(now), limit),
        )
        return [_delivery(row) for row in cursor.fetchall()]


def claim(store: Any, delivery: Delivery, now: datetime, reference: str) -> bool:
    """The intent, committed before the send: `queued` -> `sending`, one more attempt, the
    reference the send will carry. False when another sender took it first."""
    _, deliveries, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"UPDATE {deliveries} SET status = %s, attempts = attempts + 1, claimed_at = %s, "
                "updated_at = %s, reference = %s WHERE notification_id = %s AND channel = %s "
                "AND status = %s AND attempts = %s RETURNING attempts"
            ),
            (
                SENDING,
                iso(now),
                iso(now),
                reference,
                delivery.notification_id,
                delivery.channel,
                QUEUED,
                delivery.attempts,
            ),
        )
        return cursor.fetchone() is not None


def finish(
    store: Any,
    notification_id: str,
    channel: str,
    *,
    attempts: int,
    status: str,
    now: datetime,
    next_at: datetime | None = None,
    reference: str | None = None,
    error: str | None = None,
    fallback: tuple[str, datetime] | None = None,
) -> bool:
    """The outcome of attempt `attempts`, recorded after the send (also over an `unknown`
    its slow process was given meanwhile); with `fallback`, that channel is queued too in
    the same transaction unless it already has a delivery."""
    _, deliveries, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"UPDATE {deliveries} SET status = %s, next_at = %s, updated_at = %s, "
                "reference = COALESCE(%s, reference), error = %s "
                "WHERE notification_id = %s AND channel = %s AND attempts = %s "
                "AND status IN (%s, %s) RETURNING attempts"
            ),
            (
                status,
                iso(next_at) if next_at else None,
                iso(now),
                reference,
                error[:500] if error else None,
                notification_id,
                channel,
                attempts,
                SENDING,
                UNKNOWN,
            ),
        )
        done = cursor.fetchone() is not None
        if done and fallback is not None:
            cursor.execute(
                store.q(
                    f"INSERT INTO {deliveries} (notification_id, channel, status, attempts, "
                    "next_at, updated_at) VALUES (%s, %s, %s, 0, %s, %s) "
                    "ON CONFLICT (notification_id, channel) DO NOTHING"
                ),
                (notification_id, fallback[0], QUEUED, iso(fallback[1]), iso(now)),
            )
        return done


def postpone(store: Any, delivery: Delivery, until: datetime, now: datetime) -> bool:
    """A queued delivery that may not be sent yet (the quiet hours): due again at `until`."""
    _, deliveries, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"UPDATE {deliveries} SET next_at = %s, updated_at = %s WHERE notification_id = %s "
                "AND channel = %s AND status = %s AND attempts = %s RETURNING attempts"
            ),
            (
                iso(until),
                iso(now),
                delivery.notification_id,
                delivery.channel,
                QUEUED,
                delivery.attempts,
            ),
        )
        return cursor.fetchone() is not None


def expire_claims(store: Any, claimed_before: datetime) -> int:
    """Claims older than the send timeout belong to a process that died mid-send: `unknown`."""
    _, deliveries, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"UPDATE {deliveries} SET status = %s WHERE status = %s AND claimed_at < %s "
                "RETURNING channel"
            ),
            (UNKNOWN, SENDING, iso(claimed_before)),
        )
        return len(cursor.fetchall())


def unknown(store: Any, limit: int = 100) -> list[Delivery]:
    notes, deliveries, _ = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(
                f"SELECT {_DELIVERY_COLUMNS} FROM {deliveries} d JOIN {notes} n "
                "ON n.notification_id = d.notification_id WHERE d.status = %s "
                "ORDER BY d.updated_at LIMIT %s"
            ),
            (UNKNOWN, limit),
        )
        return [_delivery(row) for row in cursor.fetchall()]


def requeue_unknown(store: Any, delivery: Delivery, now: datetime) -> bool:
    """An `unknown` send that reconciliation proved never arrived: queued again."""
    _, deliveries, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"UPDATE {deliveries} SET status = %s, next_at = %s, updated_at = %s "
                "WHERE notification_id = %s AND channel = %s AND status = %s "
                "AND attempts = %s RETURNING attempts"
            ),
            (
                QUEUED,
                iso(now),
                iso(now),
                delivery.notification_id,
                delivery.channel,
                UNKNOWN,
                delivery.attempts,
            ),
        )
        return cursor.fetchone() is not None


def delivery_counts(store: Any) -> dict[tuple[str, str], int]:
    """(channel, status) -> deliveries, for the metrics."""
    _, deliveries, _ = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(
            f"SELECT channel, status, COUNT(*) AS n FROM {deliveries} GROUP BY channel, status"
        )
        return {(r["channel"], r["status"]): int(r["n"]) for r in cursor.fetchall()}


# ---------------------------------------------------------------------- the inbox


def inbox(
    store: Any, recipient: str, *, unread_only: bool = False, offset: int = 0, limit: int = 20
) -> tuple[int, int, list[dict[str, Any]]]:
    """(total, unread, newest first page) of a party's notifications (`recipient`: their blind
    ref), with their deliveries."""
    notes, deliveries, _ = _ensure(store)
    key = recipient
    where = "recipient = %s" + (" AND read_at IS NULL" if unread_only else "")
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(
                "SELECT COUNT(*) AS total, "
                "COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) AS unread "
                f"FROM {notes} WHERE recipient = %s"
            ),
            (key,),
        )
        counts = cursor.fetchone()
        total, unread = int(counts["total"]), int(counts["unread"])
        cursor.execute(
            store.q(
                "SELECT notification_id, event_id, kind, title, body, case_id, payment_id, "
                f"licence_number, created_at, read_at FROM {notes} WHERE {where} "
                "ORDER BY created_at DESC, notification_id LIMIT %s OFFSET %s"
            ),
            (key, limit, offset),
        )
        items = [dict(row) for row in cursor.fetchall()]
        by_id = {item["notification_id"]: item for item in items}
        for item in items:
            item["deliveries"] = []
        if by_id:
            marks = ", ".join(["%s"] * len(by_id))
            cursor.execute(
                store.q(
                    f"SELECT notification_id, channel, status, attempts, updated_at FROM {deliveries} "
                    f"WHERE notification_id IN ({marks}) ORDER BY channel"
                ),
                tuple(by_id),
            )
            for row in cursor.fetchall():
                by_id[row["notification_id"]]["deliveries"].append(
                    {k: row[k] for k in ("channel", "status", "attempts", "updated_at")}
                )
    if unread_only:
        total = unread
    return total, unread, items


def mark_read(store: Any, recipient: str, notification_id: str, now: datetime) -> dict | None:
    """Mark one of the party's notifications read (the first reading counts); None when the
    party has no such notification."""
    notes, _, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"UPDATE {notes} SET read_at = COALESCE(read_at, %s) "
                "WHERE notification_id = %s AND recipient = %s RETURNING notification_id, read_at"
            ),
            (iso(now), notification_id, recipient),
        )
        row = cursor.fetchone()
    return dict(row) if row is not None else None


def kinds_of(store: Any, recipient: str) -> Iterable[str]:
    notes, _, _ = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(store.q(f"SELECT kind FROM {notes} WHERE recipient = %s"), (recipient,))
        return [r["kind"] for r in cursor.fetchall()]


def forget_recipient(store: Any, recipient: str) -> None:
    """Delete every notification of a party (and its deliveries) when the party is erased.
    Pending sends go with them: nobody is told after their erasure."""
    notes, deliveries, _ = _ensure(store)
    with store.write_cursor() as cursor:
        cursor.execute(
            store.q(
                f"DELETE FROM {deliveries} WHERE notification_id IN "
                f"(SELECT notification_id FROM {notes} WHERE recipient = %s)"
            ),
            (recipient,),
        )
        cursor.execute(store.q(f"DELETE FROM {notes} WHERE recipient = %s"), (recipient,))
