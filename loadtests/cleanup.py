"""Remove what a run left on the local servers: topics, consumer groups and indices by name.

Shared by the bench (`remove_run`), the HTTP probe and the test session. Indices are deleted by
name, fifty to a request: the cluster refuses wildcard deletes (`action.destructive_requires_name`).
"""

from __future__ import annotations

from collections.abc import Callable


def remove_named(
    ours: Callable[[str], bool], *, kafka: str, es: str, timeout_s: float = 30.0
) -> list[str]:
    """Delete every topic, consumer group and index whose name `ours` accepts; each server is
    tried even if the other is down. Returns what could not be cleaned, for the caller to say."""
    from consumers import kafka_admin
    from search.client import make_client

    problems: list[str] = []
    try:
        client = make_client(es, timeout_s=timeout_s)
        indices = [i for i in client.indices.get(index="*", expand_wildcards="all") if ours(i)]
        for chunk in range(0, len(indices), 50):
            client.indices.delete(index=",".join(indices[chunk : chunk + 50]))
    except Exception as exc:  # noqa: BLE001 - clean-up is best effort; the caller reports it
        problems.append(f"indices: {type(exc).__name__}: {exc}")
    try:
        admin = kafka_admin.admin_client(kafka, timeout_s=timeout_s)
        try:
            topics = [t for t in admin.list_topics() if ours(t)]
            if topics:
                admin.delete_topics(topics)
            groups = [g["group_id"] for g in admin.list_groups() if ours(g["group_id"])]
            if groups:
                admin.delete_groups(groups)
        finally:
            admin.close()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"topics and groups: {type(exc).__name__}: {exc}")
    return problems
