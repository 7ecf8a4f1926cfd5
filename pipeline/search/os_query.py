"""OpenSearch request bodies built from a ``SearchQuery``, and responses read back.

User text never reaches a query parser: ``pipeline.text.query_terms`` splits
it (quoted phrases kept), and every term becomes ``match_phrase`` clauses
whose text is only analysed. All terms are required, as in the embedded index.
Filters, confidentiality included, sit in the bool query's filter context, so
hits, totals and facets never count what the user may not see.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.search.base import (
    FIELD_FACETS,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from pipeline.search.source import UNSEARCHABLE_STATUSES, field_filter_term
from pipeline.text import cjk_tokens, highlight, is_cjk, query_terms

FACET_FIELDS = ("division", "class_code", "status", "record_type")
SNIPPET_CHARS = 80
_SOURCE = ["document_id", "page", "title", "original_name", "text"]
_ADJACENT_MARKS = re.compile(r"</mark>(\s*)<mark>")


def term_clause(term: str) -> dict[str, Any]:
    """One user term: an exact run of characters/words, scored also by bigrams and stems."""
    should: list[dict[str, Any]] = [
        {"match_phrase": {"text.chars": {"query": term}}},
        {"match_phrase": {"text": {"query": term}}},
    ]
    if not any(is_cjk(ch) for ch in term):
        should.append({"match_phrase": {"text.english": {"query": term}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def filter_clauses(filters: SearchFilters) -> list[dict[str, Any]]:
    """Confidentiality, facets and the date range: each narrows, none scores."""
    clauses: list[dict[str, Any]] = [
        {"terms": {"confidentiality": list(filters.visible_levels())}}
    ]
    for name in FACET_FIELDS:
        value = getattr(filters, name)
        if value is not None:
            clauses.append({"term": {name: value}})
    dates: dict[str, str] = {}
    if filters.date_from:
        dates["gte"] = filters.date_from.isoformat()
    if filters.date_to:
        dates["lte"] = filters.date_to.isoformat()
    if dates:
        clauses.append({"range": {"document_date": dates}})
    for key, value in sorted(filters.fields.items()):
        clauses.append({"term": {"field_values": field_filter_term(key, value)}})
    return clauses


#: at most this many matching pages of one document are listed with it
MAX_PAGES_LISTED = 100


def search_body(query: SearchQuery, terms: list[str]) -> dict[str, Any]:
    """The whole request: query, sort, page, highlight and facet aggregations.

    The index holds pages; ``collapse`` on the document id turns them into documents
    (the best page first, its matching pages as inner hits), and the total is the
    number of distinct documents, counted like the facets count them."""
    return {
        "query": {
            "bool": {
                "must": [term_clause(t) for t in terms],
                "filter": filter_clauses(query.filters),
                "must_not": [{"terms": {"status": list(UNSEARCHABLE_STATUSES)}}],
            }
        },
        "from": query.offset,
        "size": query.limit,
        "sort": _sort(query.sort),
        "track_total_hits": True,
        "track_scores": True,
        "_source": _SOURCE,
        "highlight": _highlight(),
        "collapse": {
            "field": "document_id",
            "inner_hits": {"name": "pages", "size": MAX_PAGES_LISTED, "_source": ["page"],
                           "sort": [{"page": "asc"}]},
        },
        "aggs": {
            **{name: _facet(name) for name in FACET_FIELDS},
            **{key: _field_facet(key) for key in FIELD_FACETS},
            DOCUMENTS_AGG: _documents(),
        },
    }


def _sort(order: str) -> list[Any]:
    tie = [{"document_id": "asc"}, {"page": "asc"}]
    if order == "date":
        return [{"document_date": {"order": "desc", "missing": "_last"}}, "_score", *tie]
    return ["_score", *tie]


def _highlight() -> dict[str, Any]:
    field = {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1}
    return {
        "type": "unified",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fields": {"text.chars": field, "text.english": field},
    }


DOCUMENTS_AGG = "matching_documents"


def _documents() -> dict[str, Any]:
    """Distinct documents (exact up to the threshold, far above what one archive holds of
    one query's matches in practice)."""
    return {"cardinality": {"field": "document_id", "precision_threshold": 40000}}


def _facet(name: str) -> dict[str, Any]:
    return {"terms": {"field": name, "size": 100}, "aggs": {"documents": _documents()}}


def _field_facet(key: str) -> dict[str, Any]:
    """A typed field's values, from its ``key=value`` keywords (prefix stripped on reading)."""
    facet = _facet("field_values")
    facet["terms"]["include"] = re.escape(f"{key}=") + ".*"
    return facet


def read_result(response: dict[str, Any], terms: list[str]) -> SearchResult:
    """Hits with snippets, the exact total and per-facet document counts."""
    hits = [_hit(h, terms) for h in response["hits"]["hits"]]
    aggs = dict(response.get("aggregations", {}))
    documents = aggs.pop(DOCUMENTS_AGG, {}).get("value", 0)
    facets = {
        name: {str(b["key"]).removeprefix(f"{name}="): int(b["documents"]["value"])
               for b in agg["buckets"]}
        for name, agg in aggs.items()
    }
    return SearchResult(int(documents), hits, facets)


def _hit(raw: dict[str, Any], terms: list[str]) -> SearchHit:
    src = raw["_source"]
    return SearchHit(
        int(src["document_id"]),
        int(src["page"]),
        round(float(raw.get("_score") or 0.0), 4),
        snippet(raw.get("highlight", {}), src.get("text", ""), terms),
        src.get("title"),
        src.get("original_name"),
        _pages(raw, int(src["page"])),
    )


def _pages(raw: dict[str, Any], best: int) -> tuple[int, ...]:
    inner = raw.get("inner_hits", {}).get("pages", {}).get("hits", {}).get("hits", [])
    return tuple(sorted({int(h["_source"]["page"]) for h in inner} | {best}))


def snippet(fragments: dict[str, list[str]], text: str, terms: list[str]) -> str:
    """OpenSearch's fragment, whitespace flattened and a phrase's marks merged.

    A page found only through a stem has no exact fragment: the snippet is then
    built here the way the embedded index builds it.
    """
    for field in ("text.chars", "text.english"):
        if fragments.get(field):
            flat = " ".join(fragments[field][0].split())
            return _ADJACENT_MARKS.sub(_merge_gap, flat)
    return highlight(text, terms, SNIPPET_CHARS)


def _merge_gap(m: re.Match[str]) -> str:
    """``<mark>臺</mark><mark>南</mark>`` → one mark; keep a space between words."""
    return m.group(1)


def usable_terms(text: str) -> list[str]:
    """The query's terms that can match anything (punctuation-only terms dropped)."""
    return [t for t in query_terms(text) if cjk_tokens(t)]
