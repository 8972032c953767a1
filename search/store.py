"""Read-model storage in Elasticsearch: aliases, realtime reads, idempotent bulk writes, checkpoints.

Writes are `index` actions with `version_type=external` and `version` = the aggregate version,
so a duplicate or stale write is refused by Elasticsearch itself (409) and counts as applied.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from elasticsearch import Elasticsearch, NotFoundError

from search.indices import (
    CHECKPOINTS,
    FACETED_FIELDS,
    MAPPING_REVISIONS,
    MODELS,
    SERVING_SETTINGS,
    Names,
    index_body,
)
from search.queries import SearchRequest

log = logging.getLogger(__name__)


# What a bulk's answer is cut down to: whether anything failed, and each item's status and error.
BULK_ANSWER = ["errors", "items.*.status", "items.*.error"]


class SearchFailed(Exception):
    """Elasticsearch refused one of the requests of a multi-search."""

    def __init__(self, error: dict, status: int) -> None:
        super().__init__(f"{status}: {error.get('type')}: {error.get('reason')}")
        self.error = error
        self.status = status


class BulkFailed(Exception):
    """Elasticsearch refused part of a bulk for a reason other than a version conflict."""


@dataclass
class BulkResult:
    written: int = 0
    already_applied: int = 0
    failures: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Write:
    doc_id: str
    version: int
    document: dict


class ReadModels:
    def __init__(self, client: Elasticsearch, names: Names) -> None:
        self.client = client
        self.names = names

    # ------------------------------------------------------------------ indices and aliases

    def ensure(self, model: str) -> str:
        """Create `<alias>` -> `<index>-v1` if the alias does not exist; return the index behind it."""
        alias = self.names.alias(model)
        current = self.current_index(model)
        if current:
            if self.stale(model):
                log.warning(
                    "%s has an older mapping than this code's (revision %s): run `manage.py "
                    "rebuild %s --drop-old`",
                    current,
                    MAPPING_REVISIONS[model],
                    model,
                )
            # Mapping parameters that can change in place need no rebuild.
            self.client.indices.put_mapping(index=current, properties=FACETED_FIELDS)
            return current
        index = self.names.index(model, 1)
        if not self.client.indices.exists(index=index):
            self.client.indices.create(index=index, **index_body(model))
        self.client.indices.update_aliases(actions=[{"add": {"index": index, "alias": alias}}])
        return index

    def ensure_all(self) -> None:
        for model in MODELS:
            self.ensure(model)
        self.ensure_checkpoints()

    def current_index(self, model: str) -> str | None:
        try:
            found = self.client.indices.get_alias(name=self.names.alias(model))
        except NotFoundError:
            return None
        return sorted(found)[-1] if found else None

    def mapping_revision(self, model: str) -> int | None:
        """The mapping revision of the index behind the alias (1 before revisions were written)."""
        index = self.current_index(model)
        if index is None:
            return None
        mapping = self.client.indices.get_mapping(index=index)[index]["mappings"]
        return int((mapping.get("_meta") or {}).get("revision", 1))

    def stale(self, model: str) -> bool:
        """The index behind the alias was made with an older mapping: rebuild it."""
        revision = self.mapping_revision(model)
        return revision is not None and revision < MAPPING_REVISIONS[model]

    def create_next_index(self, model: str, settings: dict | None = None) -> str:
        """The next version's index; `settings` overrides some of the mapping's settings (a
        rebuild's, undone by `serve` before its swap)."""
        versions = [self.names.version_of(i) for i in self._indices_of(model)]
        index = self.names.index(model, max(versions, default=0) + 1)
        self.client.indices.create(index=index, **index_body(model, settings))
        return index

    def serve(self, index: str) -> None:
        """Give an index made with a rebuild's settings the serving values back."""
        self.client.indices.put_settings(index=index, settings=SERVING_SETTINGS)

    def _indices_of(self, model: str) -> list[str]:
        pattern = f"{self.names.alias(model)}-v*"
        return list(self.client.indices.get(index=pattern, expand_wildcards="open"))

    def swap_alias(self, model: str, new_index: str) -> str | None:
        """Point the alias at `new_index` in one atomic request; return the old index."""
        alias = self.names.alias(model)
        old = self.current_index(model)
        actions = [{"add": {"index": new_index, "alias": alias}}]
        if old and old != new_index:
            actions.insert(0, {"remove": {"index": old, "alias": alias}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def drop_index(self, index: str) -> None:
        self.client.indices.delete(index=index)

    # ------------------------------------------------------------------ documents

    def get_many(self, target: str, ids: Iterable[str]) -> dict[str, dict]:
        """Realtime read of the current documents (refresh not needed)."""
        ids = list(ids)
        if not ids:
            return {}
        response = self.client.mget(index=target, ids=ids, realtime=True)
        return {d["_id"]: d["_source"] for d in response["docs"] if d.get("found")}

    def write(
        self, target: str, writes: list[Write], *, version_type: str = "external"
    ) -> BulkResult:
        """One bulk of `index` actions. The body is built as bytes with orjson (no dict per
        action line), and Elasticsearch answers only each item's status and error
        (`filter_path`): the full answer, ~250 bytes an item, was parsed for nothing."""
        result = BulkResult()
        if not writes:
            return result
        head = b'{"index":{"_index":%s,"_id":' % orjson.dumps(target)
        tail = b',"version_type":%s}}\n' % orjson.dumps(version_type)
        body = bytearray()
        for w in writes:
            body += head
            body += orjson.dumps(w.doc_id)
            body += b',"version":%d' % w.version
            body += tail
            body += orjson.dumps(w.document)
            body += b"\n"
        response = self.client.bulk(operations=bytes(body), filter_path=BULK_ANSWER)
        if not response.get("errors"):
            result.written = len(writes)
            return result
        for item in response["items"]:
            outcome = item["index"]
            status = outcome.get("status", 500)
            if status < 300:
                result.written += 1
            elif status == 409:
                result.already_applied += 1
            else:
                result.failures.append(outcome)
        if result.failures:
            raise BulkFailed(
                f"{len(result.failures)} documents refused, first: {result.failures[0].get('error')}"
            )
        return result

    def find(self, target: str, request: SearchRequest) -> tuple[dict, dict]:
        return find(self.client, target, request)

    def refresh(self, target: str) -> None:
        self.client.indices.refresh(index=target)

    # ------------------------------------------------------------------ checkpoints

    def ensure_checkpoints(self) -> None:
        index = self.names.checkpoints
        if not self.client.indices.exists(index=index):
            self.client.options(ignore_status=400).indices.create(
                index=index,
                settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"},
                mappings={"dynamic": False, "properties": CHECKPOINTS},
            )

    def save_checkpoints(self, projection: str, positions: Mapping[int, int]) -> None:
        if not positions:
            return
        now = datetime.now(UTC).isoformat()
        operations: list[dict] = []
        for partition, position in positions.items():
            # external_gte: a checkpoint never moves backwards, even if an old writer is late.
            operations.append(
                {
                    "index": {
                        "_index": self.names.checkpoints,
                        "_id": f"{projection}:{partition}",
                        "version": position,
                        "version_type": "external_gte",
                    }
                }
            )
            operations.append(
                {
                    "projection": projection,
                    "partition": partition,
                    "position": position,
                    "updated_at": now,
                }
            )
        response = self.client.bulk(operations=operations)
        bad = [
            i["index"]
            for i in response["items"]
            if i["index"].get("status", 500) >= 300 and i["index"].get("status") != 409
        ]
        if bad:
            raise BulkFailed(f"checkpoint write refused: {bad[0].get('error')}")

    def checkpoints(self, projection: str, partitions: int) -> dict[int, int]:
        ids = [f"{projection}:{p}" for p in range(partitions)]
        found = self.get_many(self.names.checkpoints, ids)
        return {p: found.get(f"{projection}:{p}", {}).get("position", 0) for p in range(partitions)}

    def watermark(self, projection: str, partitions: int) -> int:
        """Everything up to this position is applied and searchable in `projection`."""
        return min(self.checkpoints(projection, partitions).values(), default=0)


def find(
    client: Elasticsearch, target: str, request: SearchRequest, *, request_cache: bool = True
) -> tuple[dict, dict]:
    """The (page, facets) answers of a `search.queries.SearchRequest` in one round trip (the
    same answer twice when the page holds the facets).

    The facets request asks for the shard request cache explicitly (size-0 requests use it by
    default unless an index turns it off; `request_cache=False` is for measuring without)."""
    if request.facets is None:
        answer = client.search(index=target, **request.page)
        return answer, answer
    response = client.msearch(
        searches=[
            {"index": target},
            request.page,
            {"index": target, "request_cache": request_cache},
            request.facets,
        ]
    )
    answers = response["responses"]
    for answer in answers:
        if "error" in answer:
            raise SearchFailed(answer["error"], int(answer.get("status", 500)))
    return answers[0], answers[1]
