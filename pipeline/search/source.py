"""What the index should contain, read from the database (the source of truth).

A page of a document belongs in the search index while its document exists
and is not disposed. Remote backends build their page documents here, and the
drift check (``records index verify``) compares the index with these counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pipeline.db.models import Document, Page
from pipeline.states import State

#: lifecycle states whose documents must not be found by search
UNSEARCHABLE_STATUSES = (State.disposed,)

#: document columns copied onto every page document of a remote index
DOCUMENT_FIELDS = (
    "title",
    "original_name",
    "class_code",
    "division",
    "status",
    "confidentiality",
    "record_type",
    "document_date",
    "box",
    "folder",
    "batch_id",
    "media_type",
    "created_at",
)


def page_doc_id(document_id: int, page: int) -> str:
    """The id of one page in a remote index."""
    return f"{document_id}-{page}"


def live_documents() -> Select[int]:
    """Ids of the documents that belong in the index."""
    return select(Document.id).where(Document.status.not_in(UNSEARCHABLE_STATUSES))


def iter_live_ids(session: Session, chunk: int = 500) -> Iterator[list[int]]:
    """Live document ids in ascending chunks (bounded memory for a full reindex)."""
    last = 0
    while True:
        ids = list(
            session.scalars(
                live_documents().where(Document.id > last).order_by(Document.id).limit(chunk)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def database_page_counts(session: Session) -> dict[int, int]:
    """Pages per live document: what a complete index holds."""
    rows = session.execute(
        select(Page.document_id, func.count(Page.id))
        .where(Page.document_id.in_(live_documents()))
        .group_by(Page.document_id)
    ).all()
    return {int(doc): int(n) for doc, n in rows}


def page_documents(
    session: Session, document_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """Index documents of every page of the live documents among ``document_ids``.

    A document that is absent from the result (deleted, disposed) must leave the index.
    """
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    meta = {
        row.id: _metadata(row)
        for row in session.execute(
            select(
                Document.id, Document.fields, *(getattr(Document, f) for f in DOCUMENT_FIELDS)
            ).where(Document.id.in_(ids), Document.status.not_in(UNSEARCHABLE_STATUSES))
        )
    }
    out: dict[int, list[dict[str, Any]]] = {doc_id: [] for doc_id in meta}
    pages = session.execute(
        select(Page.document_id, Page.number, Page.text, Page.source, Page.confidence)
        .where(Page.document_id.in_(list(meta)))
        .order_by(Page.document_id, Page.number)
    )
    for p in pages:
        out[p.document_id].append(
            {**meta[p.document_id], "document_id": p.document_id, "page": p.number,
             "text": p.text, "source": p.source, "confidence": p.confidence}
        )
    return out


def _metadata(row: Any) -> dict[str, Any]:
    meta = {f: _json_value(getattr(row, f)) for f in DOCUMENT_FIELDS}
    meta["field_values"] = field_terms(row.fields or {})
    return meta


def field_terms(fields: Mapping[str, Any]) -> list[str]:
    """Typed fields as ``key=value`` keywords, each value as text (86, true, 2024-05-20)."""
    return [f"{key}={field_text(value)}" for key, value in sorted(fields.items())
            if isinstance(value, (str, int, float, bool))]


def field_text(value: Any) -> str:
    """A typed field's value as the text a filter compares with."""
    return value if isinstance(value, str) else json.dumps(value)


def field_filter_term(key: str, value: str) -> str:
    """The keyword a ``SearchFilters.fields`` entry must match (true/false in any case)."""
    lowered = value.strip().lower()
    return f"{key}={lowered if lowered in ('true', 'false') else value}"


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
