"""The Elasticsearch client, made in one place so every caller shares its settings."""
from __future__ import annotations

from elasticsearch import Elasticsearch


def make_client(url: str, *, timeout_s: float = 10.0, retries: int = 0, ca_certs: str = "") -> Elasticsearch:
    """`url` may carry credentials (https://user:pass@host:9200); `ca_certs` verifies a private CA."""
    options = {"ca_certs": ca_certs} if ca_certs else {}
    return Elasticsearch(url, request_timeout=timeout_s, max_retries=retries, retry_on_timeout=False, **options)


def ping(client: Elasticsearch, *, timeout_s: float = 2.0) -> str:
    """Return the cluster health status (green/yellow); raise when unreachable or red."""
    health = client.options(request_timeout=timeout_s).cluster.health()
    status = health["status"]
    if status == "red":
        raise RuntimeError("cluster health is red")
    return status
