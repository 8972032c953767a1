"""Index definitions: analyzers, mappings, and the versioned index behind each alias.

Each read model lives in `<prefix>-<name>-v<N>` behind the alias `<prefix>-<name>`; a rebuild
fills `v<N+1>` and swaps the alias in one atomic request. Fields that are not mapped are
kept in `_source` but not indexed (`dynamic: false`), so a new event field never changes a
mapping by accident.

Personal values reach the documents sealed (`projections.personal`): they are kept for display
(`SEALED`: in `_source`, neither indexed nor in doc values, since ciphertext matches nothing) and
found through their blind refs, which are keywords (`party_ids`, `name_refs` and each party's
`party_ref` and `name_ref`). Each mapping carries its revision in `_meta`
(`MAPPING_REVISIONS`); an index of an older revision is served until `manage.py rebuild`
replaces it (docs/design.md, "Personal data in the read models").
"""

from __future__ import annotations

import copy
import re

SETTINGS = {
    "number_of_shards": 1,
    # One replica as soon as a second data node can hold it (none on a single node, where a
    # replica could never be assigned and would leave every index yellow).
    "auto_expand_replicas": "0-1",
    "refresh_interval": "1s",
    "max_ngram_diff": 8,
    "analysis": {
        "tokenizer": {
            "id_ngram": {
                "type": "ngram",
                "min_gram": 3,
                "max_gram": 8,
                "token_chars": ["letter", "digit"],
            },
        },
        "normalizer": {"lower": {"type": "custom", "filter": ["lowercase"]}},
        "analyzer": {
            "id_ngram": {"type": "custom", "tokenizer": "id_ngram", "filter": ["lowercase"]},
            "latin": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding"],
            },
        },
    },
}

# A rebuild's new index serves no query until its alias swap: it is written without periodic
# refreshes (each one a new segment to search, then to merge) and gets the serving values back
# just before the swap, which refreshes it once (`consumers.rebuild`, docs/design.md).
REBUILD_SETTINGS = {"refresh_interval": "-1"}
SERVING_SETTINGS = {key: SETTINGS[key] for key in REBUILD_SETTINGS}

KEYWORD = {"type": "keyword"}
# A keyword the search facets aggregate: its global ordinals are built when a refresh opens a
# new searcher, not by the first aggregation after it (projectors refresh every second).
# Updatable in place: `ReadModels.ensure` applies it to an index made before (FACETED_FIELDS).
FACETED = {"type": "keyword", "eager_global_ordinals": True}
IDENTIFIER = {
    "type": "keyword",
    "normalizer": "lower",
    "fields": {"ngram": {"type": "text", "analyzer": "id_ngram", "search_analyzer": "latin"}},
}
CHINESE_TEXT = {
    "type": "text",
    "analyzer": "cjk",
    "fields": {
        "keyword": {"type": "keyword", "ignore_above": 256},
        "latin": {"type": "text", "analyzer": "latin"},
    },
}
DATE = {"type": "date"}
LONG = {"type": "long"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STORED_ONLY = {"type": "object", "enabled": False}
# A sealed personal value (`ct1:...`) or a business's plain credit code beside it: shown after
# the API opens it, never searched (exact search goes through the refs).
SEALED = {"type": "keyword", "index": False, "doc_values": False}

COMMON = {
    "type": FACETED,
    "title": CHINESE_TEXT,
    "status": FACETED,
    "department": FACETED,
    "region_code": KEYWORD,
    "party_ids": KEYWORD,  # blind party refs: scoping and search by identity number
    "name_refs": KEYWORD,  # blind name refs: search by full name
    "position": LONG,
    "aggregate_version": LONG,
    "updated_at": DATE,
    "degraded": BOOL,
    "degraded_reason": {"type": "text", "index": False},
}

PARTY = {
    "properties": {
        "party_id": SEALED,
        "kind": KEYWORD,
        "name": SEALED,
        "party_ref": KEYWORD,
        "name_ref": KEYWORD,
    }
}

MODELS: dict[str, dict] = {
    "cases": {
        "case_id": KEYWORD,
        "case_number": IDENTIFIER,
        "item_code": IDENTIFIER,
        "item_name": CHINESE_TEXT,
        "item_type": KEYWORD,
        "item_revision": INT,
        "fee_fen": LONG,
        "statutory_days": INT,
        "promised_days": INT,
        "applicant": PARTY,
        "channel": KEYWORD,
        "assigned_to": KEYWORD,
        "submitted_at": DATE,
        "submitted_on": DATE,
        "accepted_on": DATE,
        "promised_due": DATE,
        "statutory_due": DATE,
        "suspended_on": DATE,
        "decided_on": DATE,
        "on_time": BOOL,
        "extended_days": INT,
        "licence_number": IDENTIFIER,
        "fee_payment_id": KEYWORD,
        "rating": {"properties": {"score": INT, "comment": SEALED}},
        "decision": {
            "properties": {
                "outcome": KEYWORD,
                "decided_at": DATE,
                "reasons": {"type": "text", "analyzer": "cjk"},
            }
        },
        "timeline": STORED_ONLY,
        "payments": {"properties": {"payment_id": KEYWORD, "kind": KEYWORD}},
    },
    "payments": {
        "payment_id": KEYWORD,
        "kind": KEYWORD,
        "amount_fen": LONG,
        "paid_fen": LONG,
        "refunded_fen": LONG,
        "payer_party_id": SEALED,
        "payer_name": SEALED,
        "payer_party_ref": KEYWORD,
        "payer_name_ref": KEYWORD,
        "case_id": KEYWORD,
        "violation_id": KEYWORD,
        "due_date": DATE,
        "requested_at": DATE,
        "settled_at": DATE,
        "channel": KEYWORD,
        "transaction_ref": IDENTIFIER,
        "gateway": KEYWORD,
        "fee_fen": LONG,
        "movement_days": DATE,
        "movements": STORED_ONLY,
    },
    "licences": {
        "licence_id": KEYWORD,
        "licence_number": IDENTIFIER,
        "licence_type": CHINESE_TEXT,
        "holder": PARTY,
        "item_code": IDENTIFIER,
        "item_name": CHINESE_TEXT,
        "case_id": KEYWORD,
        "valid_from": DATE,
        "valid_until": DATE,
        "issued_at": DATE,
        "history": STORED_ONLY,
    },
    "catalog": {
        "item_id": KEYWORD,
        "code": IDENTIFIER,
        "name": CHINESE_TEXT,
        "item_type": KEYWORD,
        "level": KEYWORD,
        "conditions": {"type": "text", "analyzer": "cjk"},
        "legal_basis": {"type": "text", "analyzer": "cjk"},
        "statutory_days": INT,
        "promised_days": INT,
        "fee_fen": LONG,
        "licence_type": CHINESE_TEXT,
        "revision": INT,
        "published_at": DATE,
    },
    "violations": {
        "violation_id": KEYWORD,
        "party": PARTY,
        "description": CHINESE_TEXT,
        "location": {"type": "text", "analyzer": "cjk"},
        "occurred_at": DATE,
        "recorded_at": DATE,
        "fine_fen": LONG,
        "fine_payment_id": KEYWORD,
        "outcome": KEYWORD,
    },
}

MODELS["reconciliations"] = {
    "reconciliation_id": KEYWORD,
    "gateway": KEYWORD,
    "date": DATE,
    "sequence": INT,
    "recorded_at": DATE,
    "open_exceptions": INT,
    "exceptions": STORED_ONLY,
    "totals": STORED_ONLY,
}

MODELS["access"] = {
    "entry_id": KEYWORD,
    "at": DATE,
    "role": KEYWORD,
    "sub": KEYWORD,
    "endpoint": KEYWORD,
    "record_ids": KEYWORD,
    "query": {"type": "text", "analyzer": "cjk"},
}

# Raised with every change of a model's mapping; written into the index's `_meta`, so an index
# made before the change is known (`ReadModels.stale`) and rebuilt into a new version.
# Revision 2: personal values sealed and searched through blind refs.
MAPPING_REVISIONS: dict[str, int] = {
    "cases": 2,
    "payments": 3,  # 3: the days and gateway of settlements and refunds (reconciliation)
    "licences": 2,
    "catalog": 2,  # 2: retention and successor_code
    "violations": 2,
    "access": 2,
    "reconciliations": 1,
}

FACETED_FIELDS = {name: FACETED for name in ("type", "department", "status")}

CHECKPOINTS = {"projection": KEYWORD, "partition": INT, "position": LONG, "updated_at": DATE}


def index_body(model: str, settings: dict | None = None) -> dict:
    """The index's settings and mapping; `settings` overrides some settings (a rebuild's)."""
    return {
        "settings": {**copy.deepcopy(SETTINGS), **(settings or {})},
        "mappings": {
            "dynamic": False,
            "_meta": {"revision": MAPPING_REVISIONS[model]},
            "properties": {**COMMON, **MODELS[model]},
        },
    }


class Names:
    """Alias and index names under one prefix (tests use their own)."""

    def __init__(self, prefix: str = "casetrack") -> None:
        self.prefix = prefix

    def alias(self, model: str) -> str:
        return f"{self.prefix}-{model}"

    def index(self, model: str, version: int) -> str:
        return f"{self.prefix}-{model}-v{version}"

    def version_of(self, index: str) -> int:
        match = re.search(r"-v(\d+)$", index)
        if not match:
            raise ValueError(f"{index} is not a versioned index name")
        return int(match.group(1))

    @property
    def checkpoints(self) -> str:
        return f"{self.prefix}-checkpoints"
