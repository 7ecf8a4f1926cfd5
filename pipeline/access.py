"""Who may see which document, and the audit entry every view of a confidential one leaves.

The one access policy of the CLI, the web pages and the API. A document above the
user's clearance does not exist for that user: the lookup raises
:class:`~pipeline.errors.NotFound` exactly as for a missing id, so a direct URL or a
``records show`` answers "not found" and reveals nothing. Search applies the same rule
inside the query (:func:`search_filters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pipeline import audit, disposal
from pipeline.auth import Actor, Perm
from pipeline.db.models import DisposalItem, Document, RecordFile
from pipeline.errors import NotFound
from pipeline.search.base import CLASSIFIED_LEVELS, SearchFilters
from pipeline.states import State

#: the confidentiality levels whose every view is written to the audit trail: 密 and above
AUDITED_LEVELS = CLASSIFIED_LEVELS


def visible_levels(actor: Actor) -> tuple[str, ...]:
    return SearchFilters(clearance=actor.clearance).visible_levels()


def search_filters(actor: Actor, *, class_code: str | None = None,
                   division: str | None = None, status: str | None = None,
                   record_type: str | None = None, date_from: date | None = None,
                   date_to: date | None = None,
                   fields: Mapping[str, str] | None = None) -> SearchFilters:
    """Search filters with this actor's clearance applied inside the query."""
    return SearchFilters(class_code=class_code, division=division, status=status,
                         record_type=record_type, date_from=date_from, date_to=date_to,
                         clearance=actor.clearance, fields=dict(fields or {}))


def visible_clause(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: documents this actor may know of (for counts and lists)."""
    return Document.confidentiality.in_(visible_levels(actor))


def may_see(actor: Actor, doc: Document) -> bool:
    return actor.can(Perm.search) and doc.confidentiality in visible_levels(actor)


def visible_document(session: Session, actor: Actor, document_id: int) -> Document:
    """The document if this actor may see it; NotFound otherwise (missing or forbidden)."""
    doc = session.get(Document, document_id)
    if doc is None or not may_see(actor, doc):
        raise NotFound(f"no document {document_id}")
    return doc


def file_visible(actor: Actor, file: RecordFile) -> bool:
    return file.confidentiality in visible_levels(actor)


def visible_item(session: Session, actor: Actor, item_id: int) -> DisposalItem:
    """A disposal item whose file this user may see (NotFound otherwise)."""
    item = disposal.get_item(session, item_id)
    if not file_visible(actor, item.file):
        raise NotFound(f"no disposal item {item_id}")
    return item


def may_download(actor: Actor, doc: Document, kind: str) -> bool:
    """Archival PDF: whoever may see the document. Original scan: clerks, officers, auditors.

    Nothing of a destroyed document can be downloaded.
    """
    if doc.status == State.disposed or not may_see(actor, doc):
        return False
    if kind == "archival":
        return True
    return any(actor.can(p) for p in (Perm.ingest, Perm.classify, Perm.audit_read))


def audit_view(session: Session, actor: Actor, doc: Document, part: str, via: str) -> None:
    """Record a view of a confidential document (page, image, text or download)."""
    if doc.confidentiality in AUDITED_LEVELS:
        audit.append(session, actor.name, "document.view", f"document:{doc.id}",
                     {"part": part, "via": via})


def audit_hits(session: Session, actor: Actor, document_ids: set[int], via: str) -> None:
    """Record that snippets of confidential documents were shown in search results."""
    if not document_ids:
        return
    secret = session.scalars(select(Document.id).where(
        Document.id.in_(document_ids), Document.confidentiality.in_(AUDITED_LEVELS)))
    for doc_id in sorted(secret):
        audit.append(session, actor.name, "document.view", f"document:{doc_id}",
                     {"part": "search snippet", "via": via})
