"""Preservation events: veraPDF's verdict on each document's archival copy, kept per run.

After a batch the new archival copies are validated in one veraPDF run, by default in a
process of its own that the batch does not wait for (starting the JVM alone took 4-5 s,
a third of a 12-page batch); a validator that is missing or fails is logged and the
batch stays as it is (the documents are stored already). Copies left without a verdict
that way, or after a crash, are validated by ``records fixity check --pdfa``, which also
re-validates every copy on demand.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
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
    #: documents handed to a background validation run, and its process id
    queued: int = 0
    pid: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "validated": self.validated,
            "compliant": self.compliant,
            "failed": self.failed,
            "validator": self.validator,
        }
        if self.pid is not None:
            out |= {"queued": self.queued, "pid": self.pid}
        return out


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
    if archive.settings.validate_in_background:
        return ValidationRun(queued=len(doc_ids), pid=_in_background(archive, doc_ids))
    try:
        return validate(archive, doc_ids, INGEST)
    except ExternalProgramError as exc:
        log.warning("archival copies not validated (records fixity check --pdfa later): %s", exc)
        return None


def _in_background(archive: Archive, doc_ids: list[int]) -> int:
    """Start ``python -m pipeline.preservation`` on ``doc_ids``; its log goes to the home."""
    s = archive.settings
    s.home.mkdir(parents=True, exist_ok=True)
    with open(s.home / "validation.log", "ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.preservation"],
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a clerk's Ctrl-C on the next batch does not stop it
        )
    assert proc.stdin is not None
    # settings through the pipe, not argv: a database URL may hold a password
    proc.stdin.write(json.dumps({"settings": s.model_dump_json(), "ids": doc_ids}).encode())
    proc.stdin.close()
    threading.Thread(target=proc.wait, daemon=True).start()  # reaped in long-lived callers
    return proc.pid


def _background_main() -> None:
    from pipeline.archive import Archive
    from pipeline.logs import setup
    from pipeline.settings import Settings

    setup(logging.INFO)
    job = json.loads(sys.stdin.read())
    archive = Archive.open(Settings.model_validate_json(job["settings"]))
    try:
        with archive.session() as session:
            pending = set(unvalidated(session))
        ids = [i for i in job["ids"] if i in pending]  # a fixity check may have been first
        run = validate(archive, ids, INGEST) if ids else ValidationRun()
        log.info("archival copies validated: %s", run.to_dict())
    finally:
        archive.close()


def latest(session: Session, doc_id: int, sha256: str | None = None) -> ArchivalValidation | None:
    """The newest validation event of a document (of these bytes, when given)."""
    query = select(ArchivalValidation).where(ArchivalValidation.document_id == doc_id)
    if sha256 is not None:
        query = query.where(ArchivalValidation.file_sha256 == sha256)
    return session.scalar(query.order_by(ArchivalValidation.id.desc()).limit(1))


def events(session: Session, doc_id: int) -> list[dict[str, Any]]:
    """Every validation event of a document, oldest first (for transfer metadata)."""
    from pipeline.views import ArchivalValidationView  # views reads this module too

    query = select(ArchivalValidation).where(ArchivalValidation.document_id == doc_id)
    rows = session.scalars(query.order_by(ArchivalValidation.id))
    return [ArchivalValidationView.model_validate(ev).to_json() for ev in rows]


if __name__ == "__main__":
    _background_main()
