"""What the CLI's ``--json`` output and the web API return, and the read queries behind them.

One typed model per shape: ``records show --json`` and ``GET /api/documents/N`` print the
same :class:`DocumentView`, ``records status --json`` and ``GET /api/status`` the same
:class:`ArchiveStatus`, and so on. The API declares these models as its response models;
the CLI prints ``model.model_dump(mode="json")``. Times serialise as Python's
``isoformat()`` in both, so the two answers are byte-for-byte comparable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from pipeline import audit, classify, lifecycle, preservation
from pipeline.archive import Archive
from pipeline.auth import Actor
from pipeline.db.models import AuditEntry, Batch, BatchItem, Document, Page, StoredFile
from pipeline.di.metadata import part_dicts, sign_off_dicts
from pipeline.docheader import printed_values
from pipeline.errors import RecordsError

#: a time as ``datetime.isoformat()`` writes it (the CLI's JSON since its first version)
Timestamp = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str,
                                                when_used="json")]


class View(BaseModel):
    """A read-only answer; built from ORM rows by attribute."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    def to_json(self) -> Any:
        """The JSON the API sends (aliases such as ``from``, times in ISO form)."""
        return self.model_dump(mode="json", by_alias=True)


class PageView(View):
    page: int
    source: str
    confidence: float | None
    rotation: int
    skew: float
    chars: int
    #: the page's text; None when it was not asked for
    text: str | None = None

    @classmethod
    def of(cls, p: Page, with_text: bool) -> PageView:
        return cls(page=p.number, source=p.source, confidence=p.confidence,
                   rotation=p.rotation, skew=p.skew, chars=len(p.text),
                   text=p.text if with_text else None)


class ArchivalValidationView(View):
    """The newest preservation event of a document's archival copy (docs/preservation.md)."""

    profile: str | None
    compliant: bool
    validator: str
    validator_version: str
    validated_at: Timestamp
    trigger: str
    file_sha256: str
    failed_rules: list[dict[str, Any]]
    error: str | None


class DocumentView(View):
    """``records show --json`` and ``GET /api/documents/N``."""

    id: int
    title: str | None
    original_name: str
    media_type: str
    page_count: int
    status: str
    class_code: str | None
    record_type: str | None
    confidentiality: str
    division: str | None
    box: str | None
    folder: str | None
    operator: str | None
    document_date: date | None
    #: the record type's typed fields (docs/record-types.md)
    fields: dict[str, Any]
    #: 檔號, 保存年限, 密等, 解密條件 as printed on the document (docs/classification.md)
    printed: dict[str, Any]
    sha256: str
    batch_id: int | None
    created_at: Timestamp
    original: str
    archival: str | None
    #: veraPDF's latest verdict on the archival copy; None: not validated yet
    archival_validation: ArchivalValidationView | None = None
    pages: list[PageView]
    #: a born-digital package's parts and sign-off chain (empty for other documents)
    parts: list[dict[str, Any]]
    sign_offs: list[dict[str, Any]]

    @classmethod
    def of(cls, doc: Document, with_text: bool) -> DocumentView:
        return cls(
            id=doc.id, title=doc.title, original_name=doc.original_name,
            media_type=doc.media_type, page_count=doc.page_count, status=doc.status,
            class_code=doc.class_code, record_type=doc.record_type,
            confidentiality=doc.confidentiality, division=doc.division, box=doc.box,
            folder=doc.folder, operator=doc.operator, document_date=doc.document_date,
            fields=doc.fields, printed=printed_values(doc.printed), sha256=doc.sha256,
            batch_id=doc.batch_id,
            created_at=doc.created_at, original=doc.original.store_path,
            archival=doc.archival.store_path if doc.archival else None,
            archival_validation=_validation(doc),
            pages=[PageView.of(p, with_text) for p in doc.pages],
            **_package(doc),
        )


def _validation(doc: Document) -> ArchivalValidationView | None:
    session = object_session(doc)
    event = preservation.latest(session, doc.id) if session else None
    return ArchivalValidationView.model_validate(event) if event else None


def _package(doc: Document) -> dict[str, list[dict[str, Any]]]:
    session = object_session(doc)
    if session is None or doc.id is None:
        return {"parts": [], "sign_offs": []}
    return {"parts": part_dicts(session, doc.id), "sign_offs": sign_off_dicts(session, doc.id)}


class HistoryEvent(View):
    from_state: str = Field(serialization_alias="from")
    to_state: str = Field(serialization_alias="to")
    actor: str
    at: Timestamp
    reason: str
    audit_id: int


class DocumentHistory(View):
    """``records lifecycle history --json`` and ``GET /api/documents/N/history``."""

    document: int
    status: str
    events: list[HistoryEvent]


def document_history(session: Session, doc: Document) -> DocumentHistory:
    """Every state change of a document, oldest first."""
    events = [HistoryEvent.model_validate(e) for e in lifecycle.history(session, doc.id)]
    return DocumentHistory(document=doc.id, status=doc.status, events=events)


class ArchiveStatus(View):
    """``records status --json`` and ``GET /api/status``."""

    home: str
    database: str
    search_backend: str
    documents: int
    pages: int
    by_status: dict[str, int]
    batches: int
    quarantined_files: int
    preserved_not_processed: int
    store_bytes: int
    #: what classifies new documents: the archive's model (model:<id>), the starter or rules
    classifier: str
    #: below this confidence a decision goes to review (the classifier's own, if it has one)
    review_threshold: float | None


def _count(session: Session, column: Any) -> int:
    return int(session.scalar(select(func.count(column))) or 0)


def awaiting_ocr(session: Session) -> int:
    """Originals preserved in the store that never became a document (nor were quarantined)."""
    quarantined = select(BatchItem.sha256).where(BatchItem.outcome == "quarantined",
                                                  BatchItem.sha256.is_not(None))
    return session.scalar(select(func.count(StoredFile.id)).where(
        StoredFile.kind == "original", ~StoredFile.sha256.in_(select(Document.sha256)),
        ~StoredFile.sha256.in_(quarantined))) or 0


def quarantined_files(session: Session) -> int:
    """Input files (by path) whose last attempt was quarantined."""
    return session.scalar(select(func.count(func.distinct(BatchItem.path))).where(
        BatchItem.outcome == "quarantined")) or 0


def archive_status(archive: Archive) -> ArchiveStatus:
    """Counts of documents, pages, batches, quarantined and unfinished files."""
    with archive.session() as session:
        by_status = session.execute(
            select(Document.status, func.count(Document.id)).group_by(Document.status)).all()
        size = session.scalar(select(func.coalesce(func.sum(StoredFile.size), 0))) or 0
        return ArchiveStatus(
            home=str(archive.settings.home),
            database=archive.engine.url.render_as_string(),
            search_backend=archive.search.name,
            documents=_count(session, Document.id),
            pages=_count(session, Page.id),
            by_status={str(s): int(n) for s, n in by_status},
            batches=_count(session, Batch.id),
            quarantined_files=quarantined_files(session),
            preserved_not_processed=awaiting_ocr(session),
            store_bytes=int(size),
            **_classifier(session, archive),
        )


def _classifier(session: Session, archive: Archive) -> dict[str, Any]:
    try:
        ctx = classify.load_context(session, archive.settings)
    except RecordsError as exc:  # a broken rules folder: the counts are still worth seeing
        return {"classifier": f"unavailable: {exc}", "review_threshold": None}
    return {"classifier": ctx.model_name or "rules", "review_threshold": ctx.threshold}


class WhoAmI(View):
    """``records whoami --json`` and ``GET /api/whoami``."""

    name: str
    role: str | None
    clearance: str
    division: str | None
    permissions: list[str]

    @classmethod
    def of(cls, actor: Actor) -> WhoAmI:
        return cls(name=actor.name, role=actor.role.value if actor.role else None,
                   clearance=actor.clearance, division=actor.division,
                   permissions=sorted(p.value for p in actor.perms))


class AuditEntryView(View):
    id: int
    at: Timestamp
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditLog(View):
    """``records audit log --json`` and ``GET /api/audit/log``: newest first."""

    entries: list[AuditEntryView]


def audit_log(session: Session, target: str | None = None, limit: int = 50,
              before: int | None = None) -> AuditLog:
    rows: list[AuditEntry] = audit.entries(session, target, limit, before)
    return AuditLog(entries=[AuditEntryView.model_validate(e) for e in rows])


class ItemAnswer(View):
    id: int
    status: str


class ItemAnswers(View):
    """``records disposal approve --json`` and the API's approve and reject answers."""

    items: list[ItemAnswer]


class ReviewDecision(View):
    """The API's answer to accepting or correcting a proposed class."""

    id: int
    status: str
    class_code: str | None
