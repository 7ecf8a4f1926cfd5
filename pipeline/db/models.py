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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


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
    status: Mapped[str] = mapped_column(String(32), default="captured", index=True)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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
