"""The search interface every backend implements.

Writes are split in two so that the database stays the source of truth:
``stage`` runs inside the database transaction that changes a document (the
embedded index writes its rows there; a remote backend writes an outbox row),
and ``flush`` runs after the commit (a remote backend sends the outbox).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from pipeline.errors import ConfigError
from pipeline.text import query_terms

#: what a typed-field name looks like (it becomes part of a JSON path in the query)
FIELD_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: clearance and confidentiality levels in increasing order: the one ordering every
#: comparison uses (pipeline.secrecy has their legal names). A user sees documents at or
#: below their clearance. ``restricted`` is 密 (一般公務機密); ``confidential``, ``secret``
#: and ``top_secret`` are the national-secret levels 機密, 極機密 and 絕對機密.
CLEARANCE_LEVELS = ("public", "internal", "restricted", "confidential", "secret", "top_secret")
#: levels that are classified: nothing at these levels is destroyed or transferred before
#: its declassification is recorded
CLASSIFIED_LEVELS = CLEARANCE_LEVELS[2:]
#: bounds of a query: every term is a phrase query (8,000 terms took seconds), and
#: nobody types more than a sentence or two into a search box
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 16


def level_rank(level: str | None) -> int:
    """Position of a level in :data:`CLEARANCE_LEVELS`; an unknown level ranks above all."""
    return CLEARANCE_LEVELS.index(level) if level in CLEARANCE_LEVELS else len(CLEARANCE_LEVELS)


def clears(clearance: str, level: str | None) -> bool:
    """Does ``clearance`` reach ``level``? (an unknown clearance reaches nothing)"""
    return clearance in CLEARANCE_LEVELS and level_rank(clearance) >= level_rank(level)


def stricter(a: str, b: str | None) -> str:
    """The higher of two levels (an unknown one wins: it is treated as the most secret)."""
    return a if b is None or level_rank(a) >= level_rank(b) else b


#: typed fields counted as facets beside the document columns (tagged fields of 公文)
FIELD_FACETS = ("doc_kind", "issuing_agency")


@dataclass(frozen=True)
class SearchFilters:
    """Filters applied inside the query itself (never by hiding results afterwards)."""

    class_code: str | None = None
    division: str | None = None
    status: str | None = None
    record_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: highest confidentiality the searching user may see
    clearance: str = "internal"
    #: typed fields (``Document.fields``, see docs/record-types.md): key -> value, all must
    #: equal; values compare as text (``86`` matches 86, ``true`` matches true)
    fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in self.fields:
            if not FIELD_KEY_RE.match(key):
                raise ConfigError(f"not a field name: {key!r}")

    def visible_levels(self) -> tuple[str, ...]:
        return tuple(level for level in CLEARANCE_LEVELS if clears(self.clearance, level))


def parse_field_filters(pairs: list[str]) -> dict[str, str]:
    """``--field gift_date=2023-04-12`` (repeatable) -> ``{"gift_date": "2023-04-12"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--field wants KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class SearchQuery:
    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 10
    offset: int = 0
    sort: str = "relevance"  # relevance | date

    def __post_init__(self) -> None:
        if len(self.text) > MAX_QUERY_CHARS:
            raise ConfigError(
                f"the query is too long: at most {MAX_QUERY_CHARS} characters ({len(self.text)})",
                code="search.too_long", max=MAX_QUERY_CHARS, n=len(self.text))
        terms = len(query_terms(self.text))
        if terms > MAX_QUERY_TERMS:
            raise ConfigError(f"too many search terms: at most {MAX_QUERY_TERMS} ({terms})",
                              code="search.too_many_terms", max=MAX_QUERY_TERMS, n=terms)


@dataclass(frozen=True)
class SearchHit:
    """One document that matches: its best page (whose snippet is shown) and every page
    of it that matches, in order."""

    document_id: int
    page: int
    score: float
    snippet: str
    title: str | None = None
    original_name: str | None = None
    pages: tuple[int, ...] = ()


@dataclass
class SearchResult:
    """``total`` counts documents, as the facets do; ``hits`` is one page of documents."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "hits": [asdict(h) for h in self.hits], "facets": self.facets}


class SearchBackend(Protocol):
    """What the pipeline needs of a full-text index."""

    name: str

    def stage_document(self, session: Session, document_id: int) -> None:
        """Index (or re-index) every page of a document, inside the caller's transaction."""

    def stage_removal(self, session: Session, document_id: int) -> None:
        """Remove a document from the index, inside the caller's transaction."""

    def flush(self) -> None:
        """Deliver staged changes after commit (a no-op for the embedded index)."""

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        """Ranked documents, each with its matching pages and a highlighted snippet."""

    def indexed_document_ids(self, session: Session) -> set[int]:
        """Every document id present in the index (for drift checks)."""
