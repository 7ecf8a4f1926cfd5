"""Preservation events: veraPDF's verdict on each document's archival copy, kept per run.

After a batch the new archival copies are validated in one veraPDF run; a validator that
is missing or fails is reported and the batch stays as it is (the documents are stored
already). Copies left without a verdict that way, or after a crash, are validated by
``records fixity check --pdfa``, which also re-validates every copy on demand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline._exec import verapdf
from pipeline.db.models import ArchivalValidation, Document, StoredFile
from pipeline.errors import ExternalProgramError
from pipeline.states import State

if TYPE_CHECKING:
    from pipeline.archive import Archive

log = logging.getLogger(__name__)

INGEST, FIXITY = "ingest", "fixity"


@dataclass
class ValidationRun:
    """What one validation run found."""

    validated: int = 0
    compliant: int = 0
    #: documents whose copy failed, with the profile and the rules it broke
    failed: list[dict[str, Any]] = field(default_factory=list)
    validator: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "validated": self.validated,
            "compliant": self.compliant,
            "failed": self.failed,
            "validator": self.validator,
        }


def _targets(session: Session, doc_ids: list[int] | None) -> list[tuple[Document, StoredFile]]:
    """Live documents and the blob that is their archival copy (the original if none)."""
    query = select(Document).where(Document.status != State.disposed).order_by(Document.id)
    if doc_ids is not None:
        query = query.where(Document.id.in_(doc_ids))
    out = []
    for doc in session.scalars(query):
        blob = doc.archival or doc.original
        if blob.destroyed_at is None:
            out.append((doc, blob))
    return out


def unvalidated(session: Session) -> list[int]:
    """Documents whose current archival copy has no validation event yet."""
    return [
        doc.id
        for doc, blob in _targets(session, None)
        if latest(session, doc.id, blob.sha256) is None
    ]


def validate(archive: Archive, doc_ids: list[int] | None, trigger: str) -> ValidationRun:
    """Validate the archival copies of ``doc_ids`` (all when None); store one event each."""
    with archive.session() as session:
        targets = [(d.id, b.id, b.sha256, b.store_path) for d, b in _targets(session, doc_ids)]
    s = archive.settings
    paths = [archive.store.path(rel) for *_, rel in targets]
    verdicts = verapdf.validate(paths, s.verapdf_dir, s.verapdf_timeout)
    run = ValidationRun()
    with archive.session() as session:
        for (doc_id, file_id, sha, _), v in zip(targets, verdicts, strict=True):
            session.add(_event(doc_id, file_id, sha, v, trigger))
            _count(run, doc_id, v)
    return run


def _event(doc_id: int, file_id: int, sha: str, v: verapdf.Verdict, trigger: str) -> Any:
    return ArchivalValidation(
        document_id=doc_id,
        file_id=file_id,
        file_sha256=sha,
        validator=v.validator,
        validator_version=v.version,
        profile=v.profile,
        compliant=v.compliant,
        failed_rules=v.failed_rules,
        error=v.error,
        trigger=trigger,
    )


def _count(run: ValidationRun, doc_id: int, v: verapdf.Verdict) -> None:
    run.validated += 1
    run.validator = f"{v.validator} {v.version}"
    if v.compliant:
        run.compliant += 1
        return
    rules = [r.get("rule", "") for r in v.failed_rules]
    run.failed.append(
        {"document_id": doc_id, "profile": v.profile, "rules": rules, "error": v.error}
    )


def after_batch(archive: Archive, doc_ids: list[int]) -> ValidationRun | None:
    """The follow-up step of a batch: never raises for a validator problem."""
    if not archive.settings.validate_archival or not doc_ids:
        return None
    try:
        return validate(archive, doc_ids, INGEST)
    except ExternalProgramError as exc:
        log.warning("archival copies not validated (records fixity check --pdfa later): %s", exc)
        return None


def latest(session: Session, doc_id: int, sha256: str | None = None) -> ArchivalValidation | None:
    """The newest validation event of a document (of these bytes, when given)."""
    query = select(ArchivalValidation).where(ArchivalValidation.document_id == doc_id)
    if sha256 is not None:
        query = query.where(ArchivalValidation.file_sha256 == sha256)
    return session.scalar(query.order_by(ArchivalValidation.id.desc()).limit(1))


def event_dict(ev: ArchivalValidation | None) -> dict[str, Any] | None:
    """The ``archival_validation`` of ``records show --json``."""
    if ev is None:
        return None
    return {
        "profile": ev.profile,
        "compliant": ev.compliant,
        "validator": ev.validator,
        "validator_version": ev.validator_version,
        "validated_at": ev.validated_at,
        "trigger": ev.trigger,
        "file_sha256": ev.file_sha256,
        "failed_rules": ev.failed_rules,
        "error": ev.error,
    }


def events(session: Session, doc_id: int) -> list[dict[str, Any]]:
    """Every validation event of a document, oldest first (for transfer metadata)."""
    query = select(ArchivalValidation).where(ArchivalValidation.document_id == doc_id)
    return [
        d
        for ev in session.scalars(query.order_by(ArchivalValidation.id))
        if (d := event_dict(ev)) is not None
    ]
