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


def node_urls(url: str) -> list[str]:
    """`CASETRACK_ES_URL` names one node or several, comma-separated (a cluster's nodes)."""
    urls = [part.strip() for part in url.split(",") if part.strip()]
    if not urls:
        raise ValueError("no Elasticsearch URL given")
    return urls


def make_client(
    url: str, *, timeout_s: float = 10.0, retries: int = 0, ca_certs: str = ""
) -> Elasticsearch:
    """`url` may carry credentials (https://user:pass@host:9200); `ca_certs` verifies a private CA.

    Given several nodes, requests go round-robin over them, and a request that fails to
    connect or times out on one is retried on another (up to once per other node, on top of
    `retries`); a node that failed rests (elastic-transport's back-off, 1 s doubling to 30 s)
    before it is tried again. Every request Casetrack sends may be repeated: reads, and writes
    with external versions. No sniffing: the nodes are the ones configured, never the
    addresses the cluster publishes (which behind NAT, a proxy or containers are not
    reachable from here)."""
    urls = node_urls(url)
    options = {"ca_certs": ca_certs} if ca_certs else {}
    return Elasticsearch(
        urls,
        request_timeout=timeout_s,
        max_retries=retries + len(urls) - 1,
        retry_on_timeout=len(urls) > 1,
        sniff_on_start=False,
        sniff_on_node_failure=False,
        serializers=SERIALIZERS,
        **options,
    )


def ping(client: Elasticsearch, *, timeout_s: float = 2.0) -> str:
    """The cluster's health and size (`green, 3 nodes`); raise when unreachable or red.

    Yellow is ready: every primary is assigned, so every document can be read and written; a
    cluster that lost a node is yellow until the missing replicas are rebuilt elsewhere."""
    health = client.options(request_timeout=timeout_s).cluster.health()
    status = health["status"]
    if status == "red":
        raise RuntimeError(f"cluster health is red ({health['number_of_nodes']} nodes)")
    nodes = health["number_of_nodes"]
    return f"{status}, {nodes} node{'s' if nodes != 1 else ''}"
