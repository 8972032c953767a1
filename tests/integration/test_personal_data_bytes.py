"""Erased means erased in the bytes (docs/design.md, "Personal data"): a person's name and
identity number never reach a file as plain bytes, on either store, in Kafka's segments, in
Elasticsearch (documents, live or in the translog) or in a log; the chain still verifies after
their erasure and a rebuild needs no key.

The person is made unique per run (name and number), so other tests' data cannot hide or fake
a finding. The relay sends uncompressed batches (kafka-python's default), so a byte search of
the segments is meaningful; Elasticsearch is not flushed, so the translog still holds every
indexed source as JSON.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from elasticsearch import ApiError

from consumers.topics import Topics
from domain.identifiers import make_resident_id
from domain.privacy import ERASED
from domain.services import Casetrack
from projections import EVENT_PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support.processes import kill, manage
from tests.support.scenarios import ADMIN, CLERK, MATERIALS, item_terms
from tests.support.stack import is_local, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
HAN = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def _person(seed: str) -> tuple[str, str]:
    rng = random.Random(seed)
    name = "司徒" + "".join(rng.choice(HAN) for _ in range(3))
    number = make_resident_id("510104", date(1960 + rng.randrange(40), 3, 7), rng.randrange(999))
    return name, number


def _files(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def _holding(secrets: list[bytes], files: list[Path]) -> list[str]:
    found = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # a file rotated away while reading
        found += [f"{path}: {s.decode()}" for s in secrets if s in data]
    return found


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path, postgres_url, unique):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.db'}"
        return
    schema = f"bytes_{unique}"
    yield f"{postgres_url}?schema={schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_no_file_holds_the_person_before_or_after_their_erasure(
    store_url, tmp_path, kafka_bootstrap, es_url, postgres_url, unique
):
    name, number = _person(unique)
    secrets = [name.encode(), number.encode()]
    prefix = f"test-bytes-{unique}"
    env = {
        "CASETRACK_EVENT_STORE": store_url,
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_INDEX_PREFIX": prefix,
        "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CASETRACK_ES_URL": es_url,
        "CASETRACK_PARTITIONS": "2",
    }
    app = Casetrack(env={"CASETRACK_EVENT_STORE": store_url, "CASETRACK_SNAPSHOT_INTERVAL": "2"})
    workers = [
        manage("relay", env=env, log=tmp_path / "relay.log"),
        manage("project", "all", env=env, log=tmp_path / "project.log"),
    ]
    es = make_client(es_url)
    try:
        code = f"510100-XK-{int(unique[:6], 16) % 10000:04d}"
        app.publish_item(
            code=code, actor=ADMIN, **item_terms(licence_type="许可证", licence_valid_days=365)
        )
        person = {"party_id": number, "kind": "person", "name": name}
        citizen = {"role": "citizen", "subject": "citizen-opaque", "party_id": number}
        case = app.submit_case(
            item_code=code,
            applicant=person,
            channel="web",
            actor=citizen,
            materials=MATERIALS,
            form={"contact_name": name, "note": f"身份证号 {number}"},
        )["case_id"]
        app.accept_case(case_id=case, actor=CLERK)
        app.decide_case(case_id=case, outcome="approved", legal_basis="食品安全法", actor=CLERK)
        app.rate_case(case_id=case, score=4, comment=f"{name}很满意", actor=citizen)

        def case_document() -> dict | None:
            try:
                found = es.search(index=f"{prefix}-cases*", query={"ids": {"values": [case]}})
            except ApiError:  # the index is still being created
                return None
            hits = found["hits"]["hits"]
            return hits[0]["_source"] if hits else None

        def projected() -> bool:
            return case_document() is not None

        wait_until(projected, timeout_s=120, interval_s=1, what="the case to be projected")
        assert app.repository.get(UUID(case)).applicant == person

        app.erase_party(party_id=number, legal_basis="PIPL art. 47", reason="request", actor=ADMIN)
        assert app.repository.get(UUID(case)).applicant["name"] == ERASED
        assert app.verify().ok
        head = app.max_position()

        read_models = ReadModels(es, Names(prefix))

        def caught_up() -> bool:
            try:
                return all(read_models.watermark(p, 2) >= head for p in EVENT_PROJECTIONS)
            except ApiError:  # a checkpoint index still being created
                return False

        wait_until(caught_up, timeout_s=120, interval_s=1, what="the erasure to be projected")
    finally:
        for worker in workers:
            kill(worker)
        app.close()

    sources = es.search(index=f"{prefix}-*", size=1000, query={"match_all": {}})["hits"]["hits"]
    assert sources, "the read models hold documents to search"
    raw = str([hit["_source"] for hit in sources]).encode()
    assert not [s for s in secrets if s in raw], "a document holds the person in plain text"

    folders = [tmp_path, ROOT / "var" / "log"]
    if is_local("kafka"):
        folders.append(ROOT / "var" / "kafka")
    if is_local("elasticsearch"):
        folders.append(ROOT / "var" / "elasticsearch")
    if store_url.startswith("postgres") and is_local("postgres"):
        # Every write is in the WAL (pg_wal, uncompressed by default) before it reaches a
        # table's file, so the data directory is searched without forcing a checkpoint (which
        # needs a superuser).
        folders.append(ROOT / "var" / "postgres")
    assert not _holding(secrets, _files(*folders))
    assert Topics(prefix).events  # the topic the relay wrote is among the segments searched
