"""SQLAlchemy models: batches, documents, pages, stored files.

The database is the source of truth. Every schema change comes with an Alembic
migration in ``pipeline/db/migrations/versions``; a test checks that the
models and the migrations agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from pipeline.states import State

#: the largest value of an ``Integer`` column (PostgreSQL's int4); ids and numbers above it
#: cannot exist, and SQLite or PostgreSQL would raise an overflow on them
MAX_INT = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class StateType(TypeDecorator[State]):
    """A lifecycle :class:`State` stored as its plain string value (the column stays
    ``VARCHAR(32)``: no schema change, and SQL written by hand still compares strings)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: State | str | None, dialect: Dialect) -> str | None:
        # a plain string too: a filter such as ``--status`` compares whatever it was given
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> State | None:
        return None if value is None else State(value)


class Batch(Base):
    """One run of ``records ingest`` (or one hot-folder pick-up)."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lang: Mapped[str] = mapped_column(String(64))
    force_ocr: Mapped[bool] = mapped_column(default=False)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    items: Mapped[list[BatchItem]] = relationship(back_populates="batch")


class BatchItem(Base):
    """What became of one input file of a batch: stored, duplicate or quarantined."""

    __tablename__ = "batch_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    batch: Mapped[Batch] = relationship(back_populates="items")


class StoredFile(Base):
    """A blob in the content-addressed store (an original or an archival copy)."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # original | archival
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    store_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: set when the blob was destroyed under an approved disposal
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("sha256", "kind", name="uq_files_sha256_kind"),)


class Document(Base):
    """One scanned or born-digital document: one input file after processing."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    archival_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    original_name: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(64))
    status: Mapped[State] = mapped_column(StateType(), default=State.captured, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    class_code: Mapped[str | None] = mapped_column(String(32), index=True)
    record_type: Mapped[str | None] = mapped_column(String(64), index=True)
    confidentiality: Mapped[str] = mapped_column(String(16), default="internal")
    division: Mapped[str | None] = mapped_column(String(64), index=True)
    box: Mapped[str | None] = mapped_column(String(64))
    folder: Mapped[str | None] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(String(64))
    document_date: Mapped[date | None] = mapped_column(Date)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: 檔號, 保存年限, 密等, 解密條件 as printed on the document (pipeline.docheader.Printed)
    printed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: 解密條件 of a classified document (e.g. "本案公布後解密"), see pipeline.secrecy
    declassify_condition: Mapped[str | None] = mapped_column(Text)
    #: the date its 保密期限 ends, when one was set
    declassify_on: Mapped[date | None] = mapped_column(Date)
    #: when its classification is next reviewed (檢討)
    secrecy_review_on: Mapped[date | None] = mapped_column(Date)

    pages: Mapped[list[Page]] = relationship(
        back_populates="document", order_by="Page.number", cascade="all, delete-orphan"
    )
    original: Mapped[StoredFile] = relationship(foreign_keys=[original_file_id])
    archival: Mapped[StoredFile | None] = relationship(foreign_keys=[archival_file_id])


class Page(Base):
    """One page: its text, where the text came from, and word boxes for highlighting."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))  # ocr | text_layer
    confidence: Mapped[float | None] = mapped_column(Float)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    skew: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int] = mapped_column(Integer)
    #: [[text, left, top, width, height, confidence], ...] in page pixels at ``dpi``
    words: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)

    document: Mapped[Document] = relationship(back_populates="pages")

    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_pages_doc_number"),)


class DocumentPart(Base):
    """A file of a born-digital package (DI, SI, attachment, page image), kept write-once."""

    __tablename__ = "document_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    #: the file's name inside the package
    name: Mapped[str] = mapped_column(Text)
    #: di | di_version | si | roster | attachment | page_image | container | other
    role: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)

    file: Mapped[StoredFile] = relationship()


class SignOff(Base):
    """One sign-off point of an online-signing record (SI 簽核點): part of the history."""

    __tablename__ = "sign_offs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    point: Mapped[str] = mapped_column(String(128))
    #: 異動別: 送件, 核稿, 陳核, 決行, 送歸檔 ...
    action: Mapped[str | None] = mapped_column(String(32))
    signer: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(128))
    agency: Mapped[str | None] = mapped_column(String(128))
    #: local time as written in the SI (ROC yyyMMddHHmm)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    opinion: Mapped[str | None] = mapped_column(Text)
    #: an XML signature is present (not verified against a certificate chain)
    signed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("document_id", "seq", name="uq_sign_offs_doc_seq"),)


class IndexOutbox(Base):
    """Index changes committed with the records, delivered to a remote index afterwards.

    A row is written in the same transaction as the change it describes and
    deleted only once the search backend has acknowledged it, so a change made
    while the index is down is delivered when it returns.
    """

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(16))  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


# ── Records lifecycle (issue #3, items 4-9): files, holds, users, audit, disposal, transfer ──
# Document.status is written only by ``pipeline.lifecycle``; see docs/lifecycle.md.


class RecordFile(Base):
    """A file (案卷): documents of one class and year, the unit of retention and disposal.

    Its number is ``年度號-分類號-案次號``; a document inside it adds ``卷次號-目次號``.
    """

    __tablename__ = "record_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ROC year (年度號)
    year: Mapped[int] = mapped_column(Integer)
    class_code: Mapped[str] = mapped_column(String(32), index=True)
    #: case number within year and class (案次號)
    case_no: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    division: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(String(16), default="internal")
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    #: "permanent" or the schedule's term in years, as text
    retention: Mapped[str | None] = mapped_column(String(16))
    trigger_date: Mapped[date | None] = mapped_column(Date)
    #: first day the retention is over (extensions included); None: permanent or awaiting event
    due_date: Mapped[date | None] = mapped_column(Date)
    #: dates of trigger events, e.g. {"contract_end": "2024-12-31"}
    events: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("year", "class_code", "case_no", name="uq_record_files_number"),
    )

    @property
    def number(self) -> str:
        return f"{self.year:03d}-{self.class_code}-{self.case_no:04d}"


class FileAssignment(Base):
    """A document's place in a file: volume (卷次號) and item (目次號)."""

    __tablename__ = "file_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    volume: Mapped[int] = mapped_column(Integer, default=1)
    item: Mapped[int] = mapped_column(Integer)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    file: Mapped[RecordFile] = relationship()

    __table_args__ = (
        UniqueConstraint("file_id", "volume", "item", name="uq_file_assignments_place"),
    )


class AuditEntry(Base):
    """One entry of the hash-chained audit log (see ``pipeline.audit``).

    ``prev_hash`` is unique: two entries can never claim the same predecessor, so
    concurrent writers cannot fork the chain.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(128), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class LifecycleEvent(Base):
    """One state change of a document, with who, when, why and its audit entry."""

    __tablename__ = "lifecycle_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"))


class Hold(Base):
    """A legal, audit or investigation hold on a document, a file or a class (and sub-classes)."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # legal | audit | investigation
    scope: Mapped[str] = mapped_column(String(16))  # document | file | class
    target: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(128))
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_reason: Mapped[str | None] = mapped_column(Text)


class User(Base):
    """A person using the system: role, clearance and an argon2 password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    clearance: Mapped[str] = mapped_column(String(16), default="internal")
    division: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginThrottle(Base):
    """Failed log-ins of one account or one client address and its lockout (pipeline.throttle)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``account`` (the name typed) or ``address`` (the client's IP address)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthToken(Base):
    """A login session: only the SHA-256 of the random token is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DisposalList(Base):
    """A numbered destruction list (銷毀目錄): one batch of due files sent to the archives
    authority, whose approval letter (文號 and date) is recorded once for the whole list."""

    __tablename__ = "disposal_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ROC year the list was made in, and its number within that year
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: open (awaiting the authority) | approved
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    authority_ref: Mapped[str | None] = mapped_column(String(128))
    approved_on: Mapped[date | None] = mapped_column(Date)
    approval_recorded_by: Mapped[str | None] = mapped_column(String(64))
    approval_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("year", "seq", name="uq_disposal_lists_number"),)

    @property
    def number(self) -> str:
        return f"{self.year:03d}-{self.seq:03d}"


class DisposalItem(Base):
    """One file on the destruction list (銷毀目錄), from queueing to execution."""

    __tablename__ = "disposal_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    #: queued | approved | executed | withdrawn
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: schedule (disposition "destroy") | appraisal (an appraisal decided destruction)
    origin: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date | None] = mapped_column(Date)
    queued_by: Mapped[str] = mapped_column(String(64))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: the archives authority's approval letter number, once two officers approved
    authority_ref: Mapped[str | None] = mapped_column(String(128))
    executed_by: Mapped[str | None] = mapped_column(String(64))
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    #: the numbered list (銷毀目錄) the item is on, and its 項次 there
    list_id: Mapped[int | None] = mapped_column(ForeignKey("disposal_lists.id"), index=True)
    position: Mapped[int | None] = mapped_column(Integer)
    #: 監銷人員 at execution: [{"unit": ..., "name": ...}]
    supervisors: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)

    file: Mapped[RecordFile] = relationship()
    disposal_list: Mapped[DisposalList | None] = relationship()


class DisposalApproval(Base):
    """A records officer's approval of one destruction-list item; one per officer and item."""

    __tablename__ = "disposal_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    officer: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    authority_ref: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("item_id", "user_id", name="uq_disposal_approvals_officer"),)


class DisposalComment(Base):
    """A comment of the owning division on a destruction-list item."""

    __tablename__ = "disposal_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_items.id"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    division: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExtensionRequest(Base):
    """A division's request to keep a file longer (years and reason), and its decision."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_items.id"), index=True)
    division: Mapped[str | None] = mapped_column(String(64))
    years: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: pending | granted | refused
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class RetentionChange(Base):
    """A change of a file's retention (an extension), with its reason: shown on the list."""

    __tablename__ = "retention_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    years: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    old_due: Mapped[date | None] = mapped_column(Date)
    new_due: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Declassification(Base):
    """Recorded declassification (解密) of a document or a whole file."""

    __tablename__ = "declassifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # document | file
    target_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditConsent(Base):
    """The audit authority's consent to destroy an accounting-record file (審計機關同意)."""

    __tablename__ = "audit_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    reference: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DestructionCertificate(Base):
    """The certificate of one executed disposal: JSON and HTML blobs in the store."""

    __tablename__ = "destruction_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_items.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    json_path: Mapped[str | None] = mapped_column(Text)
    json_sha256: Mapped[str | None] = mapped_column(String(64))
    html_path: Mapped[str | None] = mapped_column(Text)
    html_sha256: Mapped[str | None] = mapped_column(String(64))


class Tombstone(Base):
    """What remains of a destroyed document: its metadata and the hashes of its blobs."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_items.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("destruction_certificates.id"))
    file_number: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    blobs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    destroyed_by: Mapped[str] = mapped_column(String(64))
    destroyed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BlobRemoval(Base):
    """A store blob to remove after a committed disposal; ``removed_at`` set once it is gone."""

    __tablename__ = "blob_removals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("destruction_certificates.id"), index=True
    )
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    relpath: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Transfer(Base):
    """A permanent transfer to the national archives: one exported BagIt bag and its receipt."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: listed | approved (by the archives authority) | exported | confirmed | cancelled
    status: Mapped[str] = mapped_column(String(16), index=True)
    bag_path: Mapped[str] = mapped_column(Text)
    payload_oxum: Mapped[str | None] = mapped_column(String(64))
    tagmanifest_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    receipt_ref: Mapped[str | None] = mapped_column(String(128))
    received_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: the archives authority's approval of the transfer list (移轉目錄), before export
    authority_ref: Mapped[str | None] = mapped_column(String(128))
    approved_on: Mapped[date | None] = mapped_column(Date)
    approval_recorded_by: Mapped[str | None] = mapped_column(String(64))


class AppraisalRecord(Base):
    """An appraisal (鑑定) of a file's value: before a transfer, or when its retention ran out."""

    __tablename__ = "appraisals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)
    #: transfer (國家檔案移轉辦法 art. 4) | retention (屆期後鑑定)
    purpose: Mapped[str] = mapped_column(String(16))
    #: transfer | retain | destroy
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    #: the appraisal report (鑑定報告) reference, if one was written
    report_ref: Mapped[str | None] = mapped_column(String(128))
    appraised_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TransferItem(Base):
    """A file included in a transfer."""

    __tablename__ = "transfer_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("record_files.id"), index=True)


# ── Classification (issue #3, item 2): decisions, training examples, trained models ──
# Written by ``pipeline.classify``; see docs/classification.md.


class ClassifierModel(Base):
    """A trained statistical classifier: its file under RECORDS_HOME and that file's hash."""

    __tablename__ = "classifier_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: relative to RECORDS_HOME
    path: Mapped[str] = mapped_column(Text)
    #: checked before the file is unpickled
    sha256: Mapped[str] = mapped_column(String(64))
    format_version: Mapped[int] = mapped_column(Integer)
    schedule_id: Mapped[str] = mapped_column(String(64))
    schedule_version: Mapped[int] = mapped_column(Integer)
    n_examples: Mapped[int] = mapped_column(Integer)
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: held-out macro-F1, accuracy and split sizes measured when it was trained
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trained_by: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Classification(Base):
    """One class decision for a document, automatic or by an officer; the newest counts."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    #: None when nothing in the schedule or the model pointed anywhere
    class_code: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    #: rules | model | combined | none (automatic), review (an officer decided)
    method: Mapped[str] = mapped_column(String(16))
    #: classified | needs_review
    outcome: Mapped[str] = mapped_column(String(16))
    #: evidence, alternatives, header fields read from the text (docs/classification.md)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    schedule_id: Mapped[str] = mapped_column(String(64))
    schedule_version: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("classifier_models.id"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingExample(Base):
    """A confirmed class: a document an officer accepted or corrected, or a seed text.

    A document's text is read from its pages at training time (so a destroyed document
    stops being training data); ``text`` is only set for examples without a document.
    """

    __tablename__ = "training_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    class_code: Mapped[str] = mapped_column(String(32), index=True)
    #: accept | correct | seed
    source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _forget_destroyed_content(_mapper: Any, connection: Any, target: Document) -> None:
    """Explanations quote the text (snippets): a destroyed document's quotes go with it."""
    from sqlalchemy import inspect, update

    if target.status != State.disposed or not inspect(target).attrs.status.history.has_changes():
        return
    connection.execute(
        update(Classification)
        .where(Classification.document_id == target.id)
        .values(explanation={"redacted": "the document was destroyed"})
    )


def _listen() -> None:
    # registered with the models, so every process that can destroy a document has it
    from sqlalchemy import event

    event.listen(Document, "before_update", _forget_destroyed_content)


_listen()


class ArchivalValidation(Base):
    """A preservation event: one validation of a document's archival copy (veraPDF).

    Kept per run, never updated: the latest row is the copy's current standing, the older
    ones its history (``records fixity check --pdfa`` adds one each time).
    """

    __tablename__ = "archival_validations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    #: the bytes validated (the archival blob's hash at the time)
    file_sha256: Mapped[str] = mapped_column(String(64))
    validator: Mapped[str] = mapped_column(String(32))
    validator_version: Mapped[str] = mapped_column(String(32))
    #: the profile validated against ("PDF/A-2U"); None: the file declares no PDF/A part
    profile: Mapped[str | None] = mapped_column(String(16))
    compliant: Mapped[bool] = mapped_column()
    #: [{"rule": "6.2.4.3-4", "description": ..., "failed_checks": n}, ...]
    failed_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: why the validator could not judge the file (unparseable, encrypted)
    error: Mapped[str | None] = mapped_column(Text)
    #: ingest | fixity
    trigger: Mapped[str] = mapped_column(String(16))
    validated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
