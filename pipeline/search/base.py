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

#: what a typed-field name looks like (it becomes part of a JSON path in the query)
FIELD_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: clearance levels in increasing order; a user sees documents at or below theirs
CLEARANCE_LEVELS = ("public", "internal", "confidential")
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
        top = CLEARANCE_LEVELS.index(self.clearance) if self.clearance in CLEARANCE_LEVELS else 0
        return CLEARANCE_LEVELS[: top + 1]


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


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    page: int
    score: float
    snippet: str
    title: str | None = None
    original_name: str | None = None


@dataclass
class SearchResult:
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
        """Ranked page hits with highlighted snippets."""

    def indexed_document_ids(self, session: Session) -> set[int]:
        """Every document id present in the index (for drift checks)."""
