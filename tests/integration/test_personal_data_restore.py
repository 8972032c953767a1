"""A restore of the event store from before an erasure does not bring the person back
(docs/design.md, "Personal data"): `reapply_erasures` reads the erasures from the event topic,
which is not restored with the store, and deletes the restored keys again."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from consumers.erasures import erasures_on_topic, reapply_erasures
from consumers.topics import Topics
from domain.privacy import ERASED
from domain.services import Casetrack
from tests.support.processes import kill, manage
from tests.support.scenarios import ADMIN, PERSON, PERSON_ID, run_full_day
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def _backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # a consistent copy, as an online backup takes it


def _restore(backup: Path, store: Path) -> None:
    for leftover in store.parent.glob(store.name + "-*"):
        leftover.unlink()  # the WAL and shared memory of the store being replaced
    store.write_bytes(backup.read_bytes())


def test_a_restore_from_before_an_erasure_is_erased_again(tmp_path, kafka_bootstrap, unique):
    store = tmp_path / "events.db"
    url = f"sqlite:///{store}"
    prefix = f"test-restore-{unique}"
    env = {
        "CASETRACK_EVENT_STORE": url,
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CASETRACK_PARTITIONS": "2",
    }
    app = Casetrack(env={"CASETRACK_EVENT_STORE": url, "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    made = run_full_day(app)
    app.close()
    _backup(store, tmp_path / "backup.db")

    relay = manage("relay", env=env, log=tmp_path / "relay.log")
    try:
        app = Casetrack(env={"CASETRACK_EVENT_STORE": url, "CASETRACK_SNAPSHOT_INTERVAL": "0"})
        app.erase_party(party_id=PERSON_ID, legal_basis="PIPL art. 47", reason="x", actor=ADMIN)
        app.close()
        topic = Topics(prefix).events
        wait_until(
            lambda: bool(erasures_on_topic(bootstrap=kafka_bootstrap, topic=topic)),
            timeout_s=90,
            interval_s=1,
            what="the erasure to reach the topic",
        )
    finally:
        kill(relay)

    _restore(tmp_path / "backup.db", store)
    app = Casetrack(env={"CASETRACK_EVENT_STORE": url, "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        case_id = UUID(made.cases[0])
        assert app.repository.get(case_id).applicant == PERSON  # the backup brought them back
        assert reapply_erasures(app, bootstrap=kafka_bootstrap, topic=topic) > 0
        assert app.repository.get(case_id).applicant["name"] == ERASED
        assert app.verify().ok
        files = b"".join(p.read_bytes() for p in tmp_path.glob("events.db*"))
        assert PERSON["name"].encode() not in files and PERSON_ID.encode() not in files
        assert reapply_erasures(app, bootstrap=kafka_bootstrap, topic=topic) == 0  # idempotent
    finally:
        app.close()
