"""The Elasticsearch client, made in one place so every caller shares its settings."""

from __future__ import annotations

from typing import Any

import orjson
from elasticsearch import Elasticsearch
from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer


class OrjsonNdjsonSerializer(NdjsonSerializer):
    """Bulk bodies through orjson too: the client's default encodes them with the standard
    library's `json`, which was the projector's largest single cost (profiled)."""

    def json_dumps(self, data: Any) -> bytes:
        return orjson.dumps(data, default=self.default)

    def json_loads(self, data: bytes) -> Any:
        return orjson.loads(data)


SERIALIZERS = {
    "application/json": OrjsonSerializer(),
    "application/x-ndjson": OrjsonNdjsonSerializer(),
}


def make_client(
    url: str, *, timeout_s: float = 10.0, retries: int = 0, ca_certs: str = ""
) -> Elasticsearch:
    """`url` may carry credentials (https://user:pass@host:9200); `ca_certs` verifies a private CA."""
    options = {"ca_certs": ca_certs} if ca_certs else {}
    return Elasticsearch(
        url,
        request_timeout=timeout_s,
        max_retries=retries,
        retry_on_timeout=False,
        serializers=SERIALIZERS,
        **options,
    )


def ping(client: Elasticsearch, *, timeout_s: float = 2.0) -> str:
    """Return the cluster health status (green/yellow); raise when unreachable or red."""
    health = client.options(request_timeout=timeout_s).cluster.health()
    status = health["status"]
    if status == "red":
        raise RuntimeError("cluster health is red")
    return status
