"""The local Elasticsearch server (docker/local/es.sh) is a real Elasticsearch 8 that the
official client accepts, with the features the read side relies on: the ``cjk`` analyzer and
bulk writes with ``version_type=external`` rejecting older versions as conflicts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch, helpers

pytestmark = pytest.mark.integration

ES_URL = os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200")


@pytest.fixture
def es() -> Iterator[Elasticsearch]:
    client = Elasticsearch(ES_URL, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def index_name(es: Elasticsearch) -> Iterator[str]:
    name = f"test-es-server-{uuid.uuid4().hex[:10]}"
    yield name
    es.options(ignore_status=404).indices.delete(index=name)


def test_server_is_elasticsearch_8_for_the_official_client(es: Elasticsearch) -> None:
    info = es.info()  # the client itself rejects a server without X-Elastic-Product
    assert info["version"]["number"].startswith("8.")
    assert info.meta.headers.get("X-Elastic-Product") == "Elasticsearch"
    assert es.ping()


def test_cjk_analyzer_finds_a_chinese_word(es: Elasticsearch, index_name: str) -> None:
    es.indices.create(
        index=index_name,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"title": {"type": "text", "analyzer": "cjk"}}},
    )
    es.index(index=index_name, id="a1", document={"title": "申请营业执照变更登记"})
    es.index(index=index_name, id="a2", document={"title": "建筑工程施工许可证核发"})
    es.indices.refresh(index=index_name)

    tokens = [
        t["token"]
        for t in es.indices.analyze(index=index_name, field="title", text="营业执照")["tokens"]
    ]
    assert tokens == ["营业", "业执", "执照"]

    hits = es.search(
        index=index_name, query={"match": {"title": "执照"}}, highlight={"fields": {"title": {}}}
    )["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["a1"]
    assert "<em>执照</em>" in hits["hits"][0]["highlight"]["title"][0]

    assert (
        es.search(index=index_name, query={"match": {"title": "许可"}})["hits"]["hits"][0]["_id"]
        == "a2"
    )
    assert es.count(index=index_name, query={"match": {"title": "护照"}})["count"] == 0


def test_bulk_external_version_rejects_older_version(es: Elasticsearch, index_name: str) -> None:
    es.indices.create(index=index_name, settings={"number_of_shards": 1, "number_of_replicas": 0})

    def action(version: int, state: str) -> dict:
        return {
            "_op_type": "index",
            "_index": index_name,
            "_id": "case-1",
            "version": version,
            "version_type": "external",
            "_source": {"state": state, "version": version},
        }

    ok, errors = helpers.bulk(es, [action(3, "approved")], raise_on_error=False)
    assert (ok, errors) == (1, [])

    # an older (and an equal) version is a conflict, and does not change the document
    ok, errors = helpers.bulk(
        es, [action(2, "submitted"), action(3, "approved")], raise_on_error=False
    )
    assert ok == 0
    assert [e["index"]["status"] for e in errors] == [409, 409]
    assert {e["index"]["error"]["type"] for e in errors} == {"version_conflict_engine_exception"}

    # a newer version is applied
    ok, errors = helpers.bulk(es, [action(4, "licensed")], raise_on_error=False)
    assert (ok, errors) == (1, [])

    es.indices.refresh(index=index_name)
    doc = es.get(index=index_name, id="case-1")
    assert doc["_version"] == 4
    assert doc["_source"] == {"state": "licensed", "version": 4}
