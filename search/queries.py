"""Query builders of the read side: plain dict bodies, no client, unit-testable.

Scoping is always part of the query (a filter), never a filter over results afterwards:
whatever Elasticsearch returns, counts and facets included, is already what the caller may
see. The scope of a caller comes from their token (docs/api.md, "Identifiers and scope").

Read models hold no plaintext personal data (docs/design.md, "Personal data in the read
models"): a citizen is scoped by the blind ref of their party id, and people are found by
identity number or full name through blind refs of the query (`BlindTerms`), both computed by
the API with the keyring. No builder here holds a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.identifiers import region_prefix

MAX_SIZE = 100
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window

# The `type` of a hit -> the read model it lives in and the field holding its public id.
SEARCH_TYPES: dict[str, str] = {
    "case": "cases",
    "payment": "payments",
    "licence": "licences",
    "violation": "violations",
    "item": "catalog",
}
ID_FIELDS: dict[str, str] = {
    "case": "case_id",
    "payment": "payment_id",
    "licence": "licence_number",
    "violation": "violation_id",
    "item": "code",
}
# Values of the documents' `type` field per search type (a degraded catalogue document
# carries the projection's name).
TYPE_VALUES: dict[str, list[str]] = {
    "case": ["case"],
    "payment": ["payment"],
    "licence": ["licence"],
    "violation": ["violation"],
    "item": ["item", "catalog"],
}
PUBLIC_TYPES = frozenset({"item"})  # the catalogue: everyone sees it

OPEN_STATUSES = ("submitted", "materials_requested", "accepted", "suspended")
# The statutory clock runs in these statuses (a suspended case's clock is stopped).
RUNNING_STATUSES = ("accepted", "materials_requested")
DECIDED_STATUSES = ("approved", "rejected")

STAFF_WIDE = frozenset({"auditor", "analyst", "admin"})
MATCH_NONE = {"bool": {"must_not": [{"match_all": {}}]}}

# Exact identifiers: `term` on keywords (IDENTIFIER keywords are lower-cased by their normalizer),
# each boosted on the record it identifies: a licence number ranks the licence above the
# case that mentions it.
EXACT_FIELDS: list[tuple[str, str | None, float]] = [
    ("case_number", "case", 100.0),
    ("licence_number", "licence", 100.0),
    ("transaction_ref", "payment", 100.0),
    ("code", None, 100.0),
    ("case_id", "case", 100.0),
    ("payment_id", "payment", 100.0),
    ("violation_id", "violation", 100.0),
    ("licence_number", "case", 20.0),
    ("item_code", None, 20.0),
    ("case_id", None, 20.0),
]
# A person or business found by identity number / credit code or by full name: a term on the
# blind refs, ranked like an identifier the record mentions.
BLIND_BOOST = 50.0
# Part of an identifier (a few digits of a case number): the ngram subfields.
PARTIAL_ID_FIELDS = [
    "case_number.ngram^4",
    "licence_number.ngram^4",
    "transaction_ref.ngram^4",
    "code.ngram^4",
    "item_code.ngram^2",
]
# Every name is searched once, as `title`: the projections copy an item's name into the `title`
# of its catalogue item, cases and licences (`TITLE_COPIES`), so matching `name` and
# `item_name` as well found the same documents with the same best score again, and was 40-45 %
# of a partial item name's cost at a million cases (loadtests/RESULTS.md, 2026-12-01 fifth
# session).
TITLE_COPIES = {"catalog": "name", "cases": "item_name", "licences": "item_name"}
# Chinese names and titles, analysed with `cjk` (bigrams).
CHINESE_FIELDS = [
    "title^6",
    "licence_type^3",
    "description^3",
    "location^2",
    "conditions",
    "decision.reasons",
]
# Latin text with typo tolerance (the `.latin` subfields).
LATIN_FIELDS = [
    "title.latin^2",
    "description.latin",
    "licence_type.latin",
]
HIGHLIGHT_FIELDS = [
    "title",
    "description",
    "location",
    "case_number",
    "licence_number",
    "code",
    "transaction_ref",
    "title.latin",
]
SOURCE_FIELDS = [
    "type",
    "title",
    "status",
    "department",
    "region_code",
    "updated_at",
    "position",
    "degraded",
    "party_ids",
    "case_number",
    "kind",
    *sorted(set(ID_FIELDS.values())),
]


@dataclass(frozen=True)
class Scope:
    """Who is asking, as far as scoping goes (built from the token's claims)."""

    role: str
    sub: str = ""
    party_ref: str | None = None  # the blind ref of a citizen's party id (never the id)
    department: str | None = None
    region_code: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in STAFF_WIDE


@dataclass(frozen=True)
class BlindTerms:
    """The blind refs of a query string: of the party id it is (an identity number or credit
    code), and of the name it may be. Exact matches only: part of a name finds no one."""

    party_ref: str | None = None
    name_ref: str | None = None

    def clauses(self) -> list[dict]:
        found = []
        if self.party_ref:
            found.append({"term": {"party_ids": {"value": self.party_ref, "boost": BLIND_BOOST}}})
        if self.name_ref:
            found.append({"term": {"name_refs": {"value": self.name_ref, "boost": BLIND_BOOST}}})
        return found


class BadQuery(ValueError):
    """Parameters that cannot make a query (the caller answers 422 naming `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ------------------------------------------------------------------ scope


def scope_filters(scope: Scope) -> list[dict]:
    """Filter clauses restricting personal records to the caller's scope ([] = everything)."""
    if scope.role == "citizen":
        if not scope.party_ref:
            return [MATCH_NONE]
        return [{"term": {"party_ids": scope.party_ref}}]
    if scope.role == "clerk":
        if not (scope.department and scope.region_code):
            return [MATCH_NONE]
        return [
            {"term": {"department": scope.department}},
            {"prefix": {"region_code": region_prefix(scope.region_code)}},
        ]
    if scope.sees_everything:
        return []
    return [MATCH_NONE]


def region_filter(region_code: str) -> dict:
    """Records inside `region_code` by the prefix rule (a province covers its cities ...)."""
    return {"prefix": {"region_code": region_prefix(region_code)}}


def _type_clause(search_type: str, scope: Scope) -> dict:
    filters: list[dict] = [{"terms": {"type": TYPE_VALUES[search_type]}}]
    if search_type not in PUBLIC_TYPES:
        filters += scope_filters(scope)
    return {"bool": {"filter": filters}}


def scoped_types_filter(types: Iterable[str], scope: Scope) -> dict:
    """One clause matching documents of `types`, each type under its own scope rule."""
    return {"bool": {"should": [_type_clause(t, scope) for t in types], "minimum_should_match": 1}}


# ------------------------------------------------------------------ paging


def page_window(page: int, size: int) -> tuple[int, int]:
    """(from, size) of a 1-based page; refuses pages beyond what Elasticsearch can page to."""
    if page < 1:
        raise BadQuery("page", "must be at least 1")
    if not 1 <= size <= MAX_SIZE:
        raise BadQuery("size", f"must be between 1 and {MAX_SIZE}")
    start = (page - 1) * size
    if start + size > MAX_WINDOW:
        raise BadQuery(
            "page", f"page * size must not exceed {MAX_WINDOW}; narrow the query instead"
        )
    return start, size


# ------------------------------------------------------------------ find any result


def _exact(field: str, kind: str | None, q: str, boost: float) -> dict:
    term = {"term": {field: {"value": q, "boost": boost}}}
    if kind is None:
        return term
    return {"bool": {"must": [term], "filter": [{"term": {"type": kind}}]}}


# Words of Latin letters: the only part of a query worth matching with typos. Digits are
# not (a fuzzy "2025" also matches 2024, 2026, ...; a fuzzy case number costs more than all
# the other clauses together, measured by loadtests/bench/search.py per query kind).
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def latin_words(q: str) -> str:
    return " ".join(_LATIN_WORD.findall(q))


def text_query(q: str, blind: BlindTerms | None = None) -> dict:
    """Exact identifiers and people first, then Chinese names and titles, then Latin text with typos."""
    q = q.strip()
    should: list[dict] = [_exact(field, kind, q, boost) for field, kind, boost in EXACT_FIELDS]
    if blind is not None:
        should += blind.clauses()
    should += [
        {
            "multi_match": {
                "query": q,
                "fields": PARTIAL_ID_FIELDS,
                "type": "best_fields",
                "boost": 1.0,
                "minimum_should_match": "100%",
            }
        },
        {
            "multi_match": {
                "query": q,
                "fields": CHINESE_FIELDS,
                "type": "best_fields",
                "boost": 3.0,
                "minimum_should_match": "75%",
            }
        },
    ]
    words = latin_words(q)
    if words:
        should.append(
            {
                "multi_match": {
                    "query": words,
                    "fields": LATIN_FIELDS,
                    "type": "best_fields",
                    "fuzziness": "AUTO",
                    "prefix_length": 1,
                    "boost": 1.0,
                }
            }
        )
    return {"bool": {"should": should, "minimum_should_match": 1}}


def highlight(q: str | None) -> dict:
    """The plain highlighter: the unified one re-ran the whole query per field per hit and
    was most of a name search's time. The Latin subfields only for a query with Latin words."""
    fields = [f for f in HIGHLIGHT_FIELDS if not f.endswith(".latin") or (q and latin_words(q))]
    return {
        "type": "plain",
        "fields": {f: {} for f in fields},
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "require_field_match": True,
    }


def date_range(field: str, start: date | str | None, end: date | str | None) -> dict | None:
    """Inclusive range in Asia/Shanghai days; None when neither bound is given."""
    bounds: dict = {}
    if start:
        bounds["gte"] = str(start)
    if end:
        bounds["lte"] = f"{end}||/d"  # the whole last day
    if not bounds:
        return None
    return {
        "range": {
            field: {
                **bounds,
                "format": "strict_date_optional_time||yyyy-MM-dd",
                "time_zone": "+08:00",
            }
        }
    }


@dataclass(frozen=True)
class SearchRequest:
    """`GET /search`: one request, or without text two over the same query in one multi-search.

    With text, `page` is everything: the hits of one page, the exact total and the facets
    (text matches few documents, and a second request would evaluate the text query again).
    Without text a query matches up to every document the caller may see, and aggregating over
    all of them is the costly part: `page` then finds one page's hits and counts nothing, and
    `facets` (size 0) counts the total and the facets. Elasticsearch's shard request cache keeps
    a size-0 answer until a refresh changes the index, so they are computed once per query and
    index state, reused by every later page and caller of the same scope; a write that becomes
    searchable invalidates them.
    """

    page: dict
    facets: dict | None = None


FACETS = {
    "type": {"terms": {"field": "type", "size": 10}},
    "department": {"terms": {"field": "department", "size": 100}},
    "status": {"terms": {"field": "status", "size": 50}},
}
# The facets answer's count of the hits that pass the type, department and status filters.
MATCHING = "matching"


def search_request(
    *,
    q: str | None,
    scope: Scope,
    blind: BlindTerms | None = None,
    types: Sequence[str] = (),
    department: str | None = None,
    status: str | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    page: int = 1,
    size: int = 20,
) -> SearchRequest:
    """The requests of `GET /search`, to run over the aliases of `types` (all when empty).

    Scope and date bounds are in `query`, so facets count only what the caller may see;
    type, department and status are a `post_filter`, so each facet still shows the other
    values the caller could choose, and the total counts them with a filter aggregation.
    """
    unknown = [t for t in types if t not in SEARCH_TYPES]
    if unknown:
        raise BadQuery("type", f"must be one of {', '.join(SEARCH_TYPES)}")
    chosen = list(types) or list(SEARCH_TYPES)
    start, size = page_window(page, size)
    # A caller who sees everything needs no clause: it would match every document of the five
    # read models searched (each holds only its own types, `TYPE_VALUES`), and evaluating it
    # was two thirds of an analyst's browse at a million cases (loadtests/RESULTS.md,
    # 2026-12-01 fifth session).
    filters: list[dict] = (
        [] if scope.sees_everything else [scoped_types_filter(SEARCH_TYPES, scope)]
    )
    dates = date_range("updated_at", date_from, date_to)
    if dates:
        filters.append(dates)
    query: dict = {"bool": {"filter": filters}}
    text = bool(q and q.strip())
    if text:
        query["bool"]["must"] = [text_query(q or "", blind)]
    post: list[dict] = []
    if types:
        post.append({"terms": {"type": [v for t in chosen for v in TYPE_VALUES[t]]}})
    if department:
        post.append({"term": {"department": department}})
    if status:
        post.append({"term": {"status": status}})
    newest = {"updated_at": {"order": "desc", "unmapped_type": "date"}}
    hits: dict = {
        "query": query,
        "from": start,
        "size": size,
        "track_total_hits": True,
        "_source": SOURCE_FIELDS,
        "sort": ["_score", newest],
        "aggs": dict(FACETS),
        "highlight": highlight(q),
    }
    if post:
        hits["post_filter"] = {"bool": {"filter": post}}
    if text:
        return SearchRequest(page=hits)
    aggs = hits.pop("aggs")
    if post:
        aggs[MATCHING] = {"filter": hits["post_filter"]}
    # Without text every score is the same: newest first alone is the same order, and lets
    # Elasticsearch skip documents that cannot make the page.
    hits.update(track_total_hits=False, sort=[newest])
    facets = {"query": query, "size": 0, "track_total_hits": True, "aggs": aggs}
    return SearchRequest(page=hits, facets=facets)


def search_total(facets: dict) -> int:
    """The exact number of hits, from the answer holding the facets of a `SearchRequest`."""
    matching = facets.get("aggregations", {}).get(MATCHING)
    return int(matching["doc_count"] if matching else facets["hits"]["total"]["value"])


def search_type_of(document: dict) -> str:
    return "item" if document.get("type") in TYPE_VALUES["item"] else document.get("type", "")


# ------------------------------------------------------------------ single records and lists


def by_id_body(id_field: str, value: str, scope: Scope, *, public: bool = False) -> dict:
    """One record by its id field, only if the caller may see it (else no hit: 404)."""
    filters: list[dict] = [{"term": {id_field: value}}]
    if not public:
        filters += scope_filters(scope)
    return {"query": {"bool": {"filter": filters}}, "size": 1}


def list_body(
    scope: Scope,
    *,
    filters: Sequence[dict] = (),
    sort: Sequence = (),
    page: int = 1,
    size: int = 20,
    source: Sequence[str] | None = None,
) -> dict:
    start, size = page_window(page, size)
    body: dict = {
        "query": {"bool": {"filter": [*scope_filters(scope), *filters]}},
        "from": start,
        "size": size,
        "track_total_hits": True,
        "sort": list(sort) or [{"updated_at": {"order": "desc"}}],
    }
    if source is not None:
        body["_source"] = list(source)
    return body


def overdue_filter(today: date) -> dict:
    """Open cases whose statutory clock runs and whose statutory due day has passed."""
    return {
        "bool": {
            "filter": [
                {"terms": {"status": list(RUNNING_STATUSES)}},
                {"range": {"statutory_due": {"lt": today.isoformat()}}},
            ]
        }
    }


def worklist_body(
    scope: Scope,
    *,
    today: date,
    status: str | None = None,
    assigned_to: str | None = None,
    overdue: bool | None = None,
    page: int = 1,
    size: int = 20,
) -> dict:
    """Open cases of the clerk's department and region, soonest due first."""
    if status is not None and status not in OPEN_STATUSES:
        raise BadQuery("status", f"must be an open status: {', '.join(OPEN_STATUSES)}")
    filters: list[dict] = [
        {"term": {"type": "case"}},
        {"terms": {"status": [status] if status else list(OPEN_STATUSES)}},
    ]
    if assigned_to:
        filters.append({"term": {"assigned_to": assigned_to}})
    if overdue is True:
        filters.append(overdue_filter(today))
    elif overdue is False:
        filters.append({"bool": {"must_not": [overdue_filter(today)]}})
    sort = [
        {"statutory_due": {"order": "asc", "missing": "_last"}},
        {"promised_due": {"order": "asc", "missing": "_last"}},
        {"submitted_at": {"order": "asc"}},
    ]
    return list_body(scope, filters=filters, sort=sort, page=page, size=size)


def catalog_body(
    *,
    q: str | None = None,
    department: str | None = None,
    level: str | None = None,
    region_code: str | None = None,
    include_withdrawn: bool = False,
    page: int = 1,
    size: int = 20,
) -> dict:
    """Public catalogue search. A region filter finds the items available there: those of
    the region and the regions inside it, and those of the city and province above it.

    Facets count items per department and per level; each facet ignores its own filter (so it
    still shows the values one could choose) but keeps the other: department and level filter
    the hits through `post_filter`."""
    start, size = page_window(page, size)
    filters: list[dict] = []
    chosen = {"department": department, "level": level}
    narrowing = {f: {"term": {f: v}} for f, v in chosen.items() if v}
    if region_code:
        above = sorted({f"{region_code[:2]}0000", f"{region_code[:4]}00"} - {region_code})
        filters.append(
            {
                "bool": {
                    "should": [region_filter(region_code), {"terms": {"region_code": above}}],
                    "minimum_should_match": 1,
                }
            }
        )
    if not include_withdrawn:
        filters.append({"term": {"status": "published"}})
    query: dict = {"bool": {"filter": filters}}
    if q and q.strip():
        query["bool"]["must"] = [text_query(q)]
    aggs = {
        facet: {
            "filter": {"bool": {"filter": [n for f, n in narrowing.items() if f != facet]}},
            "aggs": {"values": {"terms": {"field": facet, "size": 100}}},
        }
        for facet in chosen
    }
    return {
        "query": query,
        "post_filter": {"bool": {"filter": list(narrowing.values())}},
        "aggs": aggs,
        "from": start,
        "size": size,
        "track_total_hits": True,
        "sort": ["_score", {"code": {"order": "asc"}}],
    }


def popular_items_body(*, since: date, size: int) -> dict:
    """The items with the most applications submitted on or after `since` (cases of every
    department and region: counts only, nothing about who applied)."""
    return {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"type": "case"}},
                    {"range": {"submitted_on": {"gte": since.isoformat()}}},
                ]
            }
        },
        "size": 0,
        "aggs": {"items": {"terms": {"field": "item_code", "size": size}}},
    }


def items_by_code_body(codes: Sequence[str]) -> dict:
    """Published catalogue items with these codes (case-insensitive, as codes are stored)."""
    return {
        "query": {
            "bool": {
                "filter": [
                    {"terms": {"code": [c.lower() for c in codes]}},
                    {"term": {"status": "published"}},
                ]
            }
        },
        "size": len(codes),
    }


def degraded_count_body() -> dict:
    return {"query": {"term": {"degraded": True}}}
