"""The access log never holds a query or a party list in plaintext (docs/api.md, "Access
log"), on either adapter: what is written is masked, whole party ids live only in the lookup
table (so "who saw my records" and the auditor's filter by party still work), and every entry
read back is masked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from domain.application import CasetrackApplication
from domain.identifiers import make_credit_code, make_resident_id
from domain.store.access_log import _tables, append_access, find_access, read_access_log

PERSON_ID = make_resident_id("510104", date(1990, 5, 1), 123)
REPRESENTATIVE = make_resident_id("510105", date(1985, 3, 9), 456)
BUSINESS_ID = make_credit_code("510100", "MA6CABCD")


class AccessLogAtRest:
    @pytest.fixture
    def app(self) -> Iterator[CasetrackApplication]:
        raise NotImplementedError

    def rows(self, app: CasetrackApplication) -> tuple[list[dict], list[dict]]:
        entries, parties = _tables(app.store)
        with app.store.read_cursor() as cursor:
            cursor.execute(f"SELECT * FROM {entries}")
            logged = [dict(r) for r in cursor.fetchall()]
            cursor.execute(f"SELECT * FROM {parties}")
            return logged, [dict(r) for r in cursor.fetchall()]

    def test_a_staff_search_by_identity_number_and_name_is_written_masked(self, app) -> None:
        position = append_access(
            app.store,
            role="clerk",
            sub="clerk-7",
            endpoint="GET /api/v1/search",
            record_ids=["c-1"],
            party_ids=[PERSON_ID, BUSINESS_ID],
            department="market-regulation",
            region_code="510100",
            query=f"张小三 {PERSON_ID}",
        )
        [row], parties = self.rows(app)
        assert row["query"] == f"张*三 {'*' * 14}{PERSON_ID[-4:]}"
        for column in ("query", "party_ids"):
            assert PERSON_ID not in row[column] and BUSINESS_ID not in row[column]
            assert "张小三" not in row[column]
        # Whole ids only in the lookup table, which is what the filters use.
        assert {(p["party_id"], int(p["entry_id"])) for p in parties} == {
            (PERSON_ID, position),
            (BUSINESS_ID, position),
        }
        total, [entry] = find_access(app.store, party_id=PERSON_ID)
        assert total == 1 and entry.position == position
        assert entry.party_ids == sorted(["*" * 14 + PERSON_ID[-4:], "*" * 14 + BUSINESS_ID[-4:]])
        assert find_access(app.store, party_id="*" * 14 + PERSON_ID[-4:])[0] == 0

    def test_entries_leave_the_table_with_a_citizens_sub_masked_and_found_by_the_whole_one(
        self, app
    ) -> None:
        append_access(
            app.store,
            role="citizen",
            sub=REPRESENTATIVE,
            endpoint="GET /api/v1/search",
            record_ids=["c-2"],
            party_ids=[BUSINESS_ID],
            query="营业执照",
        )
        [relayed] = read_access_log(app.store, 0, 10)
        assert relayed.sub == "*" * 14 + REPRESENTATIVE[-4:] and relayed.query == "营**照"
        total, [found] = find_access(app.store, sub=REPRESENTATIVE)
        assert total == 1 and found.sub == relayed.sub
        assert find_access(app.store, party_id=BUSINESS_ID, exclude_sub=REPRESENTATIVE)[0] == 0

    def test_an_entry_written_in_plaintext_before_masking_is_read_back_masked(self, app) -> None:
        append_access(app.store, role="clerk", sub="clerk-7", endpoint="GET /api/v1/search")
        entries, _ = _tables(app.store)
        with app.store.write_cursor() as cursor:
            cursor.execute(
                app.store.q(f"UPDATE {entries} SET query = %s, party_ids = %s"),
                (f"李小四 {PERSON_ID}", f'["{PERSON_ID}"]'),
            )
        [relayed] = read_access_log(app.store, 0, 10)
        [found] = find_access(app.store)[1]
        for entry in (relayed, found):
            assert entry.query == f"李*四 {'*' * 14}{PERSON_ID[-4:]}"
            assert entry.party_ids == ["*" * 14 + PERSON_ID[-4:]]


class TestSqliteAccessLog(AccessLogAtRest):
    @pytest.fixture
    def app(self, tmp_path) -> Iterator[CasetrackApplication]:
        application = CasetrackApplication(
            {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"}
        )
        yield application
        application.close()


@pytest.mark.integration
class TestPostgresAccessLog(AccessLogAtRest):
    @pytest.fixture
    def app(self) -> Iterator[CasetrackApplication]:
        url = os.environ.get(
            "CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
        )
        schema = f"ct_test_{uuid4().hex[:12]}"
        application = CasetrackApplication(
            {"CASETRACK_EVENT_STORE": f"{url}?schema={schema}&pool_size=2"}
        )
        yield application
        application.close()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
