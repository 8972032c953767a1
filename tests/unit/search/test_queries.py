"""Query builders: scope is a filter inside every query, identifiers rank first, paging is bounded."""

from __future__ import annotations

from datetime import date

import pytest

from projections import PROJECTIONS
from search.analytics import case_counts_body, durations_body, revenue_body
from search.queries import (
    MATCH_NONE,
    SEARCH_TYPES,
    STAFF_WIDE,
    TITLE_COPIES,
    TYPE_VALUES,
    BadQuery,
    BlindTerms,
    Scope,
    by_id_body,
    catalog_body,
    list_body,
    page_window,
    scope_filters,
    search_request,
    search_total,
    text_query,
    worklist_body,
)

PERSON = "510104199005011231"
PERSON_REF = "br1:" + "5" * 32  # what the keyring computes for PERSON; no key here
NAME_REF = "br1:" + "a" * 32
CITIZEN = Scope(role="citizen", sub="citizen-sub", party_ref=PERSON_REF)
CLERK = Scope(role="clerk", sub="clerk-7", department="market-regulation", region_code="510100")


def _clauses(node):
    """Every dict in a query body, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _clauses(value)
    elif isinstance(node, list):
        for value in node:
            yield from _clauses(value)


def _type_clause(body: dict, value: str) -> dict:
    scoped = body["query"]["bool"]["filter"][0]["bool"]["should"]
    return next(c for c in scoped if value in c["bool"]["filter"][0]["terms"]["type"])


def test_a_citizen_is_scoped_to_records_naming_their_party():
    assert scope_filters(CITIZEN) == [{"term": {"party_ids": PERSON_REF}}]


def test_a_city_clerk_is_scoped_to_their_department_and_the_first_four_digits_of_their_region():
    assert scope_filters(CLERK) == [
        {"term": {"department": "market-regulation"}},
        {"prefix": {"region_code": "5101"}},
    ]


def test_a_province_clerk_covers_two_digits_and_a_county_clerk_only_their_county():
    province = Scope(role="clerk", department="d", region_code="510000")
    county = Scope(role="clerk", department="d", region_code="510104")
    assert scope_filters(province)[1] == {"prefix": {"region_code": "51"}}
    assert scope_filters(county)[1] == {"prefix": {"region_code": "510104"}}


@pytest.mark.parametrize("role", ["auditor", "analyst", "admin"])
def test_auditors_analysts_and_admins_see_everything(role):
    assert scope_filters(Scope(role=role)) == []


@pytest.mark.parametrize(
    "scope",
    [
        Scope(role="gateway"),
        Scope(role="public"),
        Scope(role="citizen"),
        Scope(role="clerk", department="d"),
    ],
)
def test_any_other_caller_or_an_incomplete_scope_matches_no_personal_record(scope):
    assert scope_filters(scope) == [MATCH_NONE]


def test_search_puts_the_scope_inside_the_query_for_every_personal_type_but_not_the_catalogue():
    body = search_request(q="食品", scope=CITIZEN).page
    for kind in ("case", "payment", "licence", "violation"):
        assert {"term": {"party_ids": PERSON_REF}} in _type_clause(body, kind)["bool"]["filter"]
    assert _type_clause(body, "item")["bool"]["filter"] == [
        {"terms": {"type": ["item", "catalog"]}}
    ]
    assert "post_filter" not in body  # nothing is filtered after the query


def _exact_boosts(q: str) -> dict[tuple[str, str | None], float]:
    boosts = {}
    for clause in text_query(q)["bool"]["should"]:
        if "multi_match" in clause:
            continue
        kind = None
        if "bool" in clause:
            kind = clause["bool"]["filter"][0]["term"]["type"]
            clause = clause["bool"]["must"][0]
        field = next(iter(clause["term"]))
        assert clause["term"][field]["value"] == q
        boosts[(field, kind)] = clause["term"][field]["boost"]
    return boosts


def test_search_ranks_exact_identifiers_far_above_names_and_fuzzy_latin_text():
    exact = _exact_boosts("SC-2026-510100-00000001")
    top = {
        exact[("case_number", "case")],
        exact[("licence_number", "licence")],
        exact[("transaction_ref", "payment")],
        exact[("code", None)],
    }
    assert top == {100}
    others = [c["multi_match"] for c in text_query("x")["bool"]["should"] if "multi_match" in c]
    assert max(m.get("boost", 1) for m in others) * 10 < 100
    latin = next(m for m in others if m.get("fuzziness"))
    assert latin["fuzziness"] == "AUTO" and all(".latin" in f for f in latin["fields"])
    assert any("title^" in f for m in others for f in m["fields"] if not m.get("fuzziness"))


def _fuzzy(q: str) -> list[dict]:
    return [
        c["multi_match"]
        for c in text_query(q)["bool"]["should"]
        if "multi_match" in c and c["multi_match"].get("fuzziness")
    ]


@pytest.mark.parametrize(
    "q, words",
    [
        ("SC-2026-510100-00000001", "SC"),
        ("permt market", "permt market"),
        ("Müller 2025", "Müller"),
        ("营业执照", None),
        ("510104199005011231", None),
        ("营业licnese执照", "licnese"),
    ],
)
def test_only_latin_words_are_matched_with_typos(q, words):
    fuzzy = _fuzzy(q)
    assert [m["query"] for m in fuzzy] == ([words] if words else [])
    latin_highlights = [
        f
        for f in search_request(q=q, scope=CLERK).page["highlight"]["fields"]
        if f.endswith(".latin")
    ]
    assert bool(latin_highlights) == bool(words)


def test_highlights_use_the_plain_highlighter_on_the_names_and_identifiers():
    fields = search_request(q="营业执照", scope=CLERK).page["highlight"]
    assert fields["type"] == "plain" and {"title", "case_number"} <= set(fields["fields"])
    # a name is highlighted in the title it is copied into (TITLE_COPIES), not twice
    assert not set(TITLE_COPIES.values()) & set(fields["fields"])


def test_each_name_is_matched_once_in_the_title_it_is_copied_into():
    text = search_request(q="营业执照 licnese", scope=CLERK).page["query"]["bool"]["must"][0]
    matched = [
        f for c in text["bool"]["should"] if "multi_match" in c for f in c["multi_match"]["fields"]
    ]
    assert "title^6" in matched and "title.latin^2" in matched
    assert not {f.split("^")[0].split(".")[0] for f in matched} & set(TITLE_COPIES.values())


def test_people_are_found_by_the_blind_refs_of_the_query_never_by_its_plaintext():
    # Read models hold a person's id and name only sealed: the query's plaintext matches no
    # personal field, its refs (computed by the API with the keyring) match the ref fields.
    body = search_request(
        q=PERSON, scope=CLERK, blind=BlindTerms(party_ref=PERSON_REF, name_ref=NAME_REF)
    ).page
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert {"term": {"party_ids": {"value": PERSON_REF, "boost": 50.0}}} in should
    assert {"term": {"name_refs": {"value": NAME_REF, "boost": 50.0}}} in should
    fields = {f for c in _clauses(text_query(PERSON)) for f in c.get("term", {})}
    fields |= {f for c in _clauses(text_query(PERSON)) for f in c.get("fields", [])}
    assert not fields & {"party_ids", "name_refs", "applicant.name", "payer_name", "party.name"}
    by_name = text_query("张小三", BlindTerms(name_ref=NAME_REF))["bool"]["should"]
    assert {"term": {"name_refs": {"value": NAME_REF, "boost": 50.0}}} in by_name


def test_a_citizen_without_a_party_ref_matches_no_personal_record():
    assert scope_filters(Scope(role="citizen", sub="x")) == [MATCH_NONE]


def test_a_licence_number_ranks_the_licence_above_the_case_that_mentions_it():
    exact = _exact_boosts("SCL-2026-510100-00000001")
    assert exact[("licence_number", "licence")] > exact[("licence_number", "case")]


def test_search_filters_by_type_department_and_status_after_facets_and_by_date_inside_the_query():
    asked = search_request(
        q=None,
        scope=CLERK,
        types=["case"],
        department="market-regulation",
        status="accepted",
        date_from=date(2026, 1, 1),
        date_to=date(2026, 1, 31),
    )
    body, facets = asked.page, asked.facets
    assert body["post_filter"]["bool"]["filter"] == [
        {"terms": {"type": ["case"]}},
        {"term": {"department": "market-regulation"}},
        {"term": {"status": "accepted"}},
    ]
    dates = body["query"]["bool"]["filter"][1]["range"]["updated_at"]
    assert (
        dates["gte"] == "2026-01-01"
        and dates["lte"] == "2026-01-31||/d"
        and dates["time_zone"] == "+08:00"
    )
    assert "highlight" in body and "must" not in body["query"]["bool"]
    # The facets ignore the post filter; the total counts what passes it.
    assert facets["query"] == body["query"] and "post_filter" not in facets
    assert set(facets["aggs"]) == {"type", "department", "status", "matching"}
    assert facets["aggs"]["matching"] == {"filter": body["post_filter"]}
    assert search_total({"aggregations": {"matching": {"doc_count": 7}}}) == 7


def test_with_text_one_request_finds_the_page_the_exact_total_and_the_facets():
    # Text matches few documents: a second request would only evaluate the text query again.
    asked = search_request(q="食品", scope=CLERK, status="accepted")
    assert asked.facets is None
    assert asked.page["track_total_hits"] is True and set(asked.page["aggs"]) == {
        "type",
        "department",
        "status",
    }
    assert (
        search_total({"hits": {"total": {"value": 42, "relation": "eq"}}, "aggregations": {}}) == 42
    )


def test_without_text_the_page_counts_nothing_and_the_facets_find_no_hits_so_they_are_cached():
    # A size-0 request is what the shard request cache keeps (until a refresh changes the
    # index); the page's total would cost a pass over every match, the facets answer has it.
    asked = search_request(q=None, scope=CLERK, page=3, size=10)
    assert asked.facets is not None and asked.facets["query"] == asked.page["query"]
    assert asked.page["track_total_hits"] is False and "aggs" not in asked.page
    assert asked.page["from"] == 20 and asked.page["size"] == 10
    assert asked.facets["size"] == 0 and asked.facets["track_total_hits"] is True
    assert "from" not in asked.facets  # every page of a query shares one cached answer
    assert asked.facets == search_request(q=" ", scope=CLERK, page=1).facets


def test_without_text_the_page_is_sorted_newest_first_alone_with_text_by_score_first():
    newest = {"updated_at": {"order": "desc", "unmapped_type": "date"}}
    assert search_request(q=None, scope=CLERK).page["sort"] == [newest]
    assert search_request(q="  ", scope=CLERK).page["sort"] == [newest]
    assert search_request(q="食品", scope=CLERK).page["sort"] == ["_score", newest]


def test_search_refuses_an_unknown_type_and_pages_beyond_the_window():
    with pytest.raises(BadQuery) as refused:
        search_request(q="x", scope=CLERK, types=["person"])
    assert refused.value.field == "type"
    with pytest.raises(BadQuery) as too_deep:
        search_request(q="x", scope=CLERK, page=101, size=100)
    assert too_deep.value.field == "page"


@pytest.mark.parametrize(
    ("page", "size", "window"), [(1, 20, (0, 20)), (3, 10, (20, 10)), (100, 100, (9900, 100))]
)
def test_pages_are_one_based_and_at_most_a_hundred_long(page, size, window):
    assert page_window(page, size) == window


@pytest.mark.parametrize(
    ("page", "size", "field"), [(0, 10, "page"), (1, 0, "size"), (1, 101, "size")]
)
def test_bad_pages_name_their_parameter(page, size, field):
    with pytest.raises(BadQuery) as refused:
        page_window(page, size)
    assert refused.value.field == field


def test_a_record_by_id_carries_the_scope_unless_it_is_public():
    assert by_id_body("case_id", "c1", CITIZEN)["query"]["bool"]["filter"] == [
        {"term": {"case_id": "c1"}},
        {"term": {"party_ids": PERSON_REF}},
    ]
    assert by_id_body("code", "x", Scope(role="public"), public=True)["query"]["bool"][
        "filter"
    ] == [{"term": {"code": "x"}}]


def test_lists_put_the_scope_first_and_sort_newest_first_by_default():
    body = list_body(CLERK, filters=[{"term": {"type": "case"}}], page=2, size=5)
    assert body["query"]["bool"]["filter"][:2] == scope_filters(CLERK)
    assert (body["from"], body["size"], body["sort"]) == (5, 5, [{"updated_at": {"order": "desc"}}])


def test_the_worklist_holds_open_cases_soonest_statutory_due_first():
    body = worklist_body(CLERK, today=date(2026, 3, 2))
    filters = body["query"]["bool"]["filter"]
    assert {
        "terms": {"status": ["submitted", "materials_requested", "accepted", "suspended"]}
    } in filters
    assert body["sort"][0] == {"statutory_due": {"order": "asc", "missing": "_last"}}


def test_the_worklist_filters_assigned_and_overdue_cases_with_the_clock():
    body = worklist_body(CLERK, today=date(2026, 3, 2), assigned_to="clerk-7", overdue=True)
    filters = body["query"]["bool"]["filter"]
    assert {"term": {"assigned_to": "clerk-7"}} in filters
    overdue = [c for c in _clauses(filters) if "range" in c]
    assert overdue == [{"range": {"statutory_due": {"lt": "2026-03-02"}}}]
    not_overdue = worklist_body(CLERK, today=date(2026, 3, 2), overdue=False)["query"]["bool"][
        "filter"
    ][-1]
    assert "must_not" in not_overdue["bool"]


def test_the_worklist_refuses_a_closed_status():
    with pytest.raises(BadQuery):
        worklist_body(CLERK, today=date(2026, 3, 2), status="approved")


def test_the_catalogue_in_a_county_includes_the_items_of_its_city_and_province():
    body = catalog_body(region_code="510104")
    region = body["query"]["bool"]["filter"][0]["bool"]["should"]
    assert {"prefix": {"region_code": "510104"}} in region
    assert {"terms": {"region_code": ["510000", "510100"]}} in region
    assert {"term": {"status": "published"}} in body["query"]["bool"]["filter"]
    assert {"term": {"status": "published"}} not in catalog_body(include_withdrawn=True)["query"][
        "bool"
    ]["filter"]


def test_case_analytics_count_per_group_with_the_overdue_filter_of_the_day():
    body = case_counts_body("item", today=date(2026, 3, 2))
    groups = body["aggs"]["groups"]
    assert groups["composite"]["sources"] == [{"group": {"terms": {"field": "item_code"}}}]
    assert {
        "decided",
        "approved",
        "rejected",
        "open",
        "overdue",
        "on_time",
        "timed",
        "rating",
    } <= set(groups["aggs"])
    with pytest.raises(BadQuery):
        case_counts_body("applicant", today=date(2026, 3, 2))


def test_processing_times_come_from_day_pairs_of_decided_cases():
    body = durations_body("department", after={"group": "x", "start": 1, "end": 2})
    sources = [next(iter(s)) for s in body["aggs"]["pairs"]["composite"]["sources"]]
    assert sources == ["group", "start", "end"]
    assert body["aggs"]["pairs"]["composite"]["after"] == {"group": "x", "start": 1, "end": 2}


def test_revenue_is_grouped_per_period_of_settlement_in_shanghai():
    body = revenue_body("kind", "day")
    histogram = body["aggs"]["groups"]["aggs"]["periods"]["date_histogram"]
    assert histogram["calendar_interval"] == "day" and histogram["time_zone"] == "Asia/Shanghai"
    with pytest.raises(BadQuery):
        revenue_body("kind", "week")


@pytest.mark.parametrize("role", sorted(STAFF_WIDE))
def test_a_caller_who_sees_everything_gets_no_type_clause_only_the_dates(role):
    body = search_request(q=None, scope=Scope(role=role), date_from="2025-03-01").page
    (only,) = body["query"]["bool"]["filter"]
    assert "range" in only


def test_the_read_models_searched_hold_only_the_types_a_scoped_clause_matches():
    # Why a caller who sees everything needs no type clause: every document of the five read
    # models searched, degraded ones included, has one of the types of its search type.
    for search_type, model in SEARCH_TYPES.items():
        assert PROJECTIONS[model].document_type in TYPE_VALUES[search_type]
