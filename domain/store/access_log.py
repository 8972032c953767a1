"""The access log's append-only table, in the event store's own database.

Who read or found which records is not a case event (it would bump case versions and cause
false 409s), but it must survive Kafka being down: so it is appended here, in the same
database as the events, through the recorder's own cursors. A relay can publish it to
`casetrack.access` by reading `read_access_log(store, after, limit)` in position order,
exactly like the event log.

Two tables: the entries, and (entry, party) pairs so "who saw my records" is an index
lookup. The log is kept for years and must not become a second copy of personal data
(docs/api.md, "Access log"; docs/design.md, "Personal data"): the query text is masked before
it is written (`mask_query`), and the parties and a citizen's `sub` arrive as blind refs
(`api/access.py`), so neither the table, the `casetrack.access` topic nor its index holds an
identifier in plaintext; the (entry, party) table holds refs for the lookups. Entries are
masked again wherever they leave the table (`mask_sub`).

On PostgreSQL an insert takes the table's lock, so positions are assigned in commit order and
a reader tailing by position never passes one that a slower transaction fills in.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.identifiers import mask_id, mask_name

MAX_QUERY_CHARS = 500
_ready: weakref.WeakSet = weakref.WeakSet()
_ready_lock = threading.Lock()
MAX_BATCH = 200
_groups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


@dataclass(frozen=True)
class AccessEntry:
    """One read, search or verification: who, when, through which endpoint, which records."""

    position: int
    at: str  # ISO-8601 UTC
    role: str
    sub: str
    department: str | None
    region_code: str | None
    endpoint: str
    record_ids: list[str] = field(default_factory=list)
    party_ids: list[str] = field(default_factory=list)
    query: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Identity numbers (18 characters, also the old 15), credit codes and bank cards: a run of 15
# or more ASCII letters and digits with at least 6 digits, wherever it stands (also between
# Chinese characters). Mobile numbers: 11 digits starting 1[3-9].
_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])(?=(?:[A-Za-z]*\d){6})[0-9A-Za-z]{15,}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# A run of Chinese characters (with the stars of an earlier masking inside, so masking twice
# changes nothing).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"[{_HAN}][{_HAN}*]*")


def mask_query(text: str) -> str:
    """Query text as the access log keeps it: identity numbers, credit codes and mobile
    numbers keep their last 4 characters, and every run of Chinese characters is masked the
    way a name is (`张小三` -> `张*三`).

    A person's name cannot be told from other Chinese words by its shape (no spaces between
    words; segmenters split `查张小三` into `查张/小/三` and tag `许可` as a name), so every
    run is treated as one: `食品经营许可` is kept as `食****可`. The entry's record ids still say
    what was found. Full-width digits and letters are folded first (NFKC), so `５１０…` is
    caught too. Masking is idempotent.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    folded = _IDENTIFIER.sub(lambda m: mask_id(m.group()), folded)
    folded = _MOBILE.sub(lambda m: mask_id(m.group()), folded)
    return _HAN_RUN.sub(lambda m: mask_name(m.group()), folded)


def mask_sub(role: str, sub: str) -> str:
    """A reader's `sub` as others may see it (docs/api.md, "Access log").

    A citizen's is masked like an id (in development tokens it is their identity number). A
    staff member's is the handle the contract promises the person whose records were read,
    so it stays, unless it is itself personal data: an identity number or a name inside it is
    masked as in a query (`clerk-7` stays, `510104199005010123` becomes `**************0123`).
    """
    if role == "citizen":
        return mask_id(sub)
    return mask_query(sub)


def _is_postgres(store: Any) -> bool:
    return type(store).__name__.startswith("CasetrackPostgres")


def _tables(store: Any) -> tuple[str, str]:
    """(entries, parties) table names next to the store's counters table (schema-qualified on PostgreSQL)."""
    counters = getattr(store, "counters_table", None)
    if counters is None:
        raise RuntimeError("the access log needs an SQLite or PostgreSQL event store")
    if counters.endswith('"'):
        base = counters[: -len('_counters"')]
        return f'{base}_access_log"', f'{base}_access_parties"'
    base = counters.removesuffix("_counters")
    return f"{base}_access_log", f"{base}_access_parties"


def _ensure(store: Any) -> tuple[str, str]:
    entries, parties = _tables(store)
    if store in _ready:
        return entries, parties
    with _ready_lock:
        if store not in _ready:
            key = (
                "id bigserial PRIMARY KEY"
                if _is_postgres(store)
                else "id INTEGER PRIMARY KEY AUTOINCREMENT"
            )
            index_base = entries.split(".")[-1].strip('"')
            with store.write_cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {entries} ({key}, at TEXT NOT NULL, role TEXT NOT NULL, "
                    "sub TEXT NOT NULL, department TEXT, region_code TEXT, endpoint TEXT NOT NULL, "
                    "record_ids TEXT NOT NULL, party_ids TEXT NOT NULL, query TEXT NOT NULL)"
                )
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{index_base}_sub_idx" ON {entries} (sub, id)'
                )
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {parties} (party_id TEXT NOT NULL, entry_id BIGINT NOT NULL, "
                    "PRIMARY KEY (party_id, entry_id))"
                )
            _ready.add(store)
    return entries, parties


def append_access(
    store: Any,
    *,
    role: str,
    sub: str,
    endpoint: str,
    record_ids: Sequence[str] = (),
    party_ids: Sequence[str] = (),
    department: str | None = None,
    region_code: str | None = None,
    query: str = "",
    at: datetime | None = None,
) -> int:
    """Append one entry, committed before this returns; return its position.

    Concurrent appends in a process share one short write transaction (`_GroupCommit`).
    """
    entries, parties = _ensure(store)
    moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    distinct_parties = sorted({p for p in party_ids if p})
    masked_parties = [mask_id(p) for p in distinct_parties]
    row = (
        moment,
        role,
        sub,
        department,
        region_code,
        endpoint,
        orjson.dumps(list(record_ids)).decode(),
        orjson.dumps(masked_parties).decode(),
        mask_query(query)[:MAX_QUERY_CHARS],
    )
    with _groups_lock:
        group = _groups.get(store)
        if group is None:
            group = _groups[store] = _GroupCommit()
    return group.append(store, entries, parties, _Pending(row, distinct_parties))


@dataclass
class _Pending:
    row: tuple
    parties: list[str]
    position: int = 0
    error: BaseException | None = None
    done: bool = False


class _GroupCommit:
    """Group commit: appends that arrive while a batch is being written wait for it, then the
    first of them writes all of them in one transaction (at most `MAX_BATCH`).

    On PostgreSQL every append transaction takes the table's exclusive lock until its commit
    (positions in commit order, above), so one entry per transaction caps a store at one commit
    flush per entry, for every worker and host: about 200 a second here, and an anonymous flood
    of verifications queued staff searches behind it (loadtests/RESULTS.md). A batch holds the
    lock once for all its entries. Each caller still returns only once its entry is committed,
    and a failed batch fails every caller in it (nothing of it was written).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False

    def append(self, store: Any, entries: str, parties: str, pending: _Pending) -> int:
        with self._changed:
            self._queue.append(pending)
        while True:
            with self._changed:
                while self._writing and not pending.done:
                    self._changed.wait()
                if pending.done:
                    break
                # Oldest first: this caller's entry is in this batch or an earlier one.
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                self._writing = True
            try:
                _insert(store, entries, parties, batch)
            except BaseException as exc:
                for item in batch:
                    item.error = exc
            finally:
                with self._changed:
                    for item in batch:
                        item.done = True
                    self._writing = False
                    self._changed.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.position


def _insert(store: Any, entries: str, parties: str, batch: list[_Pending]) -> None:
    with store.write_cursor() as cursor:
        if _is_postgres(store):
            cursor.execute(f"LOCK TABLE {entries} IN EXCLUSIVE MODE")
        for item in batch:
            cursor.execute(
                store.q(
                    f"INSERT INTO {entries} (at, role, sub, department, region_code, endpoint, record_ids, "
                    "party_ids, query) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
                ),
                item.row,
            )
            item.position = int(cursor.fetchone()["id"])
            for party_id in item.parties:
                cursor.execute(
                    store.q(f"INSERT INTO {parties} (party_id, entry_id) VALUES (%s, %s)"),
                    (party_id, item.position),
                )


def _entry(row: Any) -> AccessEntry:
    return AccessEntry(
        position=int(row["id"]),
        at=row["at"],
        role=row["role"],
        sub=row["sub"],
        department=row["department"],
        region_code=row["region_code"],
        endpoint=row["endpoint"],
        record_ids=orjson.loads(row["record_ids"]),
        party_ids=orjson.loads(row["party_ids"]),
        query=row["query"],
    )


COLUMNS = "e.id, e.at, e.role, e.sub, e.department, e.region_code, e.endpoint, e.record_ids, e.party_ids, e.query"


def masked(entry: AccessEntry) -> AccessEntry:
    """The entry as it may leave the table: `sub` masked, the query and parties masked again
    (entries written before masking at write hold them in plaintext)."""
    return replace(
        entry,
        sub=mask_sub(entry.role, entry.sub),
        party_ids=[mask_id(p) for p in entry.party_ids],
        query=mask_query(entry.query),
    )


def read_access_log(store: Any, after: int = 0, limit: int = 1000) -> list[AccessEntry]:
    """Entries after position `after`, in position order, masked (for a relay to `casetrack.access`)."""
    entries, _ = _ensure(store)
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(f"SELECT {COLUMNS} FROM {entries} e WHERE e.id > %s ORDER BY e.id LIMIT %s"),
            (after, limit),
        )
        return [masked(_entry(row)) for row in cursor.fetchall()]


def find_access(
    store: Any,
    *,
    party_id: str | None = None,
    sub: str | Sequence[str] | None = None,
    exclude_sub: str | None = None,
    at_from: str | None = None,
    at_to: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[AccessEntry]]:
    """(total, newest first page) of the entries matching every given condition, masked.

    `party_id` and `sub` match the whole values; `at_from` / `at_to` are ISO-8601 UTC instants
    (inclusive from, exclusive to).
    """
    entries, parties = _ensure(store)
    joins, clauses, params = "", [], []
    if party_id:
        joins = f" JOIN {parties} p ON p.entry_id = e.id"
        clauses.append("p.party_id = %s")
        params.append(party_id)
    if sub:
        subs = [sub] if isinstance(sub, str) else list(sub)
        clauses.append(f"e.sub IN ({', '.join(['%s'] * len(subs))})")
        params.extend(subs)
    if exclude_sub:
        clauses.append("e.sub <> %s")
        params.append(exclude_sub)
    if at_from:
        clauses.append("e.at >= %s")
        params.append(at_from)
    if at_to:
        clauses.append("e.at < %s")
        params.append(at_to)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.read_cursor() as cursor:
        cursor.execute(
            store.q(f"SELECT COUNT(*) AS n FROM {entries} e{joins}{where}"), tuple(params)
        )
        total = int(cursor.fetchone()["n"])
        cursor.execute(
            store.q(
                f"SELECT {COLUMNS} FROM {entries} e{joins}{where} ORDER BY e.id DESC "
                "LIMIT %s OFFSET %s"
            ),
            (*params, limit, offset),
        )
        return total, [masked(_entry(row)) for row in cursor.fetchall()]
