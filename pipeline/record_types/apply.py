"""The enrichment step: recognise a new document's type and store its typed fields.

Runs first among the enrichers (``pipeline.enrich``), inside the ingest transaction:
classification runs after it and may weigh the class the type proposes, which is kept in
``Document.fields["proposed_class"]`` (read it with ``proposed_class(doc)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from pipeline.db.models import Document, Page
from pipeline.record_types.base import (
    CONFIDENCE_KEY,
    CONFIDENTIALITY_LEVELS,
    PROPOSED_CLASS_KEY,
    PageText,
    RecordType,
    Scalar,
    full_text,
)
from pipeline.record_types.registry import RecordTypeError, Registry, installed_types
from pipeline.settings import Settings

#: a type must be at least this sure to be assigned
THRESHOLD = 0.5


@dataclass(frozen=True)
class TypeMatch:
    """The type chosen for a text, and how sure its recogniser was."""

    rtype: RecordType
    score: float


def score_types(registry: Registry, text: str) -> list[TypeMatch]:
    """Every type's confidence for ``text``, best first (ties by name, for stable results)."""
    matches = [TypeMatch(t, _checked_score(t, t.recognise(text))) for t in registry]
    return sorted(matches, key=lambda m: (-m.score, m.rtype.name))


def _checked_score(rtype: RecordType, score: object) -> float:
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise RecordTypeError(f"record type {rtype.name!r}: recognise() returned {score!r}, "
                              "not a number from 0 to 1")
    return float(score)


def choose_type(registry: Registry, text: str, threshold: float = THRESHOLD) -> TypeMatch | None:
    """The best specific type above ``threshold``; else the best general (fallback) one."""
    passing = [m for m in score_types(registry, text) if m.score >= threshold]
    specific = [m for m in passing if not m.rtype.fallback]
    best = specific or passing
    return best[0] if best else None


def page_texts(pages: Sequence[Page]) -> list[PageText]:
    return [PageText.from_rows(p.number, p.text or "", p.words or []) for p in pages]


def typed_fields(rtype: RecordType, pages: Sequence[PageText]) -> dict[str, Scalar]:
    """The type's extraction, validated by its ``Fields`` model, as flat JSON scalars."""
    raw = rtype.extract(pages)
    try:
        model = rtype.Fields.model_validate(raw)
    except ValidationError as exc:
        raise RecordTypeError(
            f"record type {rtype.name!r} extracted invalid fields: {exc}"
        ) from exc
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    for key, value in dumped.items():
        if not isinstance(value, (str, int, float, bool)):
            raise RecordTypeError(f"record type {rtype.name!r}: field {key!r} is not a scalar")
    return dumped


def raise_confidentiality(current: str, wanted: str) -> str:
    """The higher of two levels; an unknown current level is kept (never lowered by guess)."""
    if wanted not in CONFIDENTIALITY_LEVELS:
        raise RecordTypeError(f"unknown confidentiality level {wanted!r}")
    if current not in CONFIDENTIALITY_LEVELS:
        return current
    return max(current, wanted, key=CONFIDENTIALITY_LEVELS.index)


def apply_match(doc: Document, match: TypeMatch, pages: Sequence[PageText]) -> None:
    """Store the type, its fields, its proposed class; raise confidentiality; date the doc."""
    rtype = match.rtype
    fields = typed_fields(rtype, pages)
    extra: dict[str, Scalar] = {CONFIDENCE_KEY: round(match.score, 3)}
    if rtype.proposed_class is not None:
        extra[PROPOSED_CLASS_KEY] = rtype.proposed_class
    doc.record_type = rtype.name
    doc.fields = {**(doc.fields or {}), **fields, **extra}  # a new dict: the JSON column sees it
    doc.confidentiality = raise_confidentiality(doc.confidentiality or "internal",
                                                rtype.confidentiality_for(fields))
    if doc.document_date is None:  # the scanning manifest, when it has a date, wins
        doc.document_date = _field_date(fields, rtype.date_field)


def _field_date(fields: Mapping[str, Scalar], key: str | None) -> date | None:
    value = fields.get(key) if key else None
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)


def apply_record_type(session: Session, settings: Settings, doc: Document) -> None:
    """Enrichment step: type the document if an installed type recognises it.

    A type set from tags before this step (a born-digital DI) is kept: tags beat text.
    """
    if doc.record_type:
        return
    pages = page_texts(doc.pages)
    match = choose_type(installed_types(), full_text(pages))
    if match is not None:
        apply_match(doc, match, pages)


def proposed_class(doc: Document) -> str | None:
    """The retention class the document's record type proposes, if any (for classifiers)."""
    value = (doc.fields or {}).get(PROPOSED_CLASS_KEY)
    return value if isinstance(value, str) else None
