"""Full-text search: one interface, an embedded backend and an OpenSearch backend."""

from __future__ import annotations

from pipeline.search.base import (
    CLEARANCE_LEVELS,
    SearchBackend,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "CLEARANCE_LEVELS",
    "SearchBackend",
    "SearchFilters",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
]
