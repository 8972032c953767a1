"""The data keys' table: one wrapped key per (subject, aggregate, purpose).

Deleting a key is the erasure: every value sealed under it stops opening, in the store, in
Kafka, in Elasticsearch and in every backup, at once. The rows hold only wrapped keys and blind
refs, never a name or an identity number. SQLite runs with `secure_delete` (freed pages are
zeroed) and the erasure truncates the WAL; PostgreSQL's `VACUUM FULL` of the table after an
erasure rewrites it into a new file, so no dead row survives in the files (docs/design.md,
"Personal data").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class DataKeyRow:
    key_id: str
    subject_ref: str
    aggregate_id: UUID
    purpose: str  # "data" | "snapshot"
    cipher: str
    master_id: str
    wrapped: bytes
    restricted: bool = False


class DataKeyStoreMixin:
    """Mixed into the recorders (eventstore/); they set `data_keys_table` and `snapshots_table`."""

    data_keys_table: str
    snapshots_table: str

    def q(self, statement: str) -> str: ...
    def write_cursor(self) -> Any: ...
    def read_cursor(self) -> Any: ...
    def id_param(self, originator_id: UUID) -> Any: ...
    def id_value(self, value: Any) -> UUID: ...

    def data_keys_ddl(self, blob: str, uuid: str) -> list[str]:
        t = self.data_keys_table
        index = t.replace('"', "").replace(".", "_") + "_aggregate_idx"
        return [
            f"CREATE TABLE IF NOT EXISTS {t} ("
            f"key_id text PRIMARY KEY, subject_ref text NOT NULL, aggregate_id {uuid} NOT NULL, "
            f"purpose text NOT NULL, cipher text NOT NULL, master_id text NOT NULL, "
            f"wrapped {blob} NOT NULL, restricted integer NOT NULL DEFAULT 0, "
            f"UNIQUE (subject_ref, aggregate_id, purpose))",
            f'CREATE INDEX IF NOT EXISTS "{index}" ON {t} (aggregate_id)',
        ]

    _COLUMNS = "key_id, subject_ref, aggregate_id, purpose, cipher, master_id, wrapped, restricted"

    def _key_row(self, row: Any) -> DataKeyRow:
        # sqlite3.Row and psycopg's dict rows both answer by column name.
        return DataKeyRow(
            key_id=row["key_id"],
            subject_ref=row["subject_ref"],
            aggregate_id=self.id_value(row["aggregate_id"]),
            purpose=row["purpose"],
            cipher=row["cipher"],
            master_id=row["master_id"],
            wrapped=bytes(row["wrapped"]),
            restricted=bool(row["restricted"]),
        )

    def find_data_key(
        self, cursor: Any, subject_ref: str, aggregate_id: UUID, purpose: str
    ) -> DataKeyRow | None:
        cursor.execute(
            self.q(
                f"SELECT {self._COLUMNS} FROM {self.data_keys_table} "
                "WHERE subject_ref = %s AND aggregate_id = %s AND purpose = %s"
            ),
            (subject_ref, self.id_param(aggregate_id), purpose),
        )
        row = cursor.fetchone()
        return self._key_row(row) if row else None

    def insert_data_key(self, cursor: Any, row: DataKeyRow) -> None:
        cursor.execute(
            self.q(
                f"INSERT INTO {self.data_keys_table} ({self._COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            ),
            (
                row.key_id,
                row.subject_ref,
                self.id_param(row.aggregate_id),
                row.purpose,
                row.cipher,
                row.master_id,
                row.wrapped,
                int(row.restricted),
            ),
        )

    def get_data_key(self, key_id: str) -> DataKeyRow | None:
        with self.read_cursor() as cursor:
            cursor.execute(
                self.q(f"SELECT {self._COLUMNS} FROM {self.data_keys_table} WHERE key_id = %s"),
                (key_id,),
            )
            row = cursor.fetchone()
        return self._key_row(row) if row else None

    def subject_keys(self, subject_ref: str) -> list[DataKeyRow]:
        with self.read_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"SELECT {self._COLUMNS} FROM {self.data_keys_table} WHERE subject_ref = %s"
                ),
                (subject_ref,),
            )
            return [self._key_row(r) for r in cursor.fetchall()]

    def all_data_keys(self) -> list[DataKeyRow]:
        with self.read_cursor() as cursor:
            cursor.execute(self.q(f"SELECT {self._COLUMNS} FROM {self.data_keys_table}"))
            return [self._key_row(r) for r in cursor.fetchall()]

    def rewrap_data_key(self, key_id: str, master_id: str, wrapped: bytes) -> None:
        with self.write_cursor() as cursor:
            cursor.execute(
                self.q(
                    f"UPDATE {self.data_keys_table} SET master_id = %s, wrapped = %s "
                    "WHERE key_id = %s"
                ),
                (master_id, wrapped, key_id),
            )

    def forget_keys(
        self,
        cursor: Any,
        *,
        delete: Sequence[str],
        restrict: Sequence[str],
        snapshots_of: Iterable[UUID],
    ) -> None:
        """Delete keys, mark others restricted, and drop the snapshots (a cache) of the
        aggregates concerned together with their snapshot keys."""
        for key_id in delete:
            cursor.execute(
                self.q(f"DELETE FROM {self.data_keys_table} WHERE key_id = %s"), (key_id,)
            )
        for key_id in restrict:
            cursor.execute(
                self.q(f"UPDATE {self.data_keys_table} SET restricted = 1 WHERE key_id = %s"),
                (key_id,),
            )
        for aggregate_id in set(snapshots_of):
            param = self.id_param(aggregate_id)
            cursor.execute(
                self.q(
                    f"DELETE FROM {self.data_keys_table} "
                    "WHERE aggregate_id = %s AND purpose = 'snapshot'"
                ),
                (param,),
            )
            cursor.execute(
                self.q(f"DELETE FROM {self.snapshots_table} WHERE originator_id = %s"), (param,)
            )

    def aggregate_keys(self, aggregate_ids: Iterable[UUID]) -> list[DataKeyRow]:
        rows: list[DataKeyRow] = []
        with self.read_cursor() as cursor:
            for aggregate_id in aggregate_ids:
                cursor.execute(
                    self.q(
                        f"SELECT {self._COLUMNS} FROM {self.data_keys_table} "
                        "WHERE aggregate_id = %s"
                    ),
                    (self.id_param(aggregate_id),),
                )
                rows.extend(self._key_row(r) for r in cursor.fetchall())
        return rows

    def scrub_after_erasure(self) -> None:
        """Make deleted rows leave the files (see the module's docstring)."""
