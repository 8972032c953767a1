"""The bytes Elasticsearch keeps of an index on disk: segments, soft-deleted documents and the
translog, for tests that must prove a value never reached an index in plaintext.

Only for a node on this machine whose data path the tests can read (the local stack); elsewhere
the caller skips. A byte search is only as good as its positive control: stored fields are
compressed in segments, so a test also finds a value it knows is there (the translog keeps each
operation's source as sent).
"""

from __future__ import annotations

from pathlib import Path


def index_files(client, pattern: str) -> list[Path] | None:
    """Every file of the indices matching `pattern`, or None when the node's data path is not
    readable from here."""
    uuids = [
        settings["settings"]["index"]["uuid"]
        for settings in client.indices.get_settings(
            index=pattern, name="index.uuid", expand_wildcards="all"
        ).values()
    ]
    stats = client.nodes.stats(node_id="_local", metric="fs")
    paths = [
        Path(data["path"])
        for node in stats["nodes"].values()
        for data in node.get("fs", {}).get("data", [])
    ]
    directories = [p / "indices" / u for p in paths for u in uuids]
    if not directories or not all(d.is_dir() for d in directories):
        return None
    return [f for d in directories for f in d.rglob("*") if f.is_file()]


def files_holding(files: list[Path], text: str) -> list[Path]:
    """The files whose bytes contain `text` in UTF-8."""
    needle = text.encode()
    found = []
    for path in files:
        try:
            if needle in path.read_bytes():
                found.append(path)
        except FileNotFoundError:  # a merge or translog roll removed it meanwhile
            continue
    return found
