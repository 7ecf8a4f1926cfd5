"""Fixity: re-hash every stored blob and compare it with what the database recorded.

Known blobs are the live rows of the ``files`` table (originals and archival copies not
destroyed) and the destruction certificates. Each is read back from the store and hashed
again: a blob that is gone is *missing*, one whose bytes changed is *mismatched*.

The other direction matters too: a blob on disk that nothing references is an *orphan*
(a copy that escaped a disposal, a file dropped into the store by hand, the leftover of a
crash before its row was written). A very recent unreferenced blob may belong to an ingest
that is committing right now, so it only counts as an orphan once it is older than
``orphan_grace`` seconds. Temporary files under ``store/tmp`` (an interrupted copy) are
listed apart: they never carry a final name and the store never reads them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline import audit, preservation
from pipeline.auth import Actor, Perm
from pipeline.db.models import (
    AuditEntry,
    BlobRemoval,
    DestructionCertificate,
    StoredFile,
    Tombstone,
)
from pipeline.errors import IntegrityFailure
from pipeline.store import ContentStore, hash_file

if TYPE_CHECKING:
    from pipeline.archive import Archive

#: an unreferenced blob younger than this may be an ingest that has not committed yet
ORPHAN_GRACE_SECONDS = 3600.0
TMP_DIR = "tmp"
AUDIT_ATTEMPTS = 5


@dataclass(frozen=True)
class Expected:
    """A blob the database says is in the store."""

    relpath: str
    sha256: str
    kind: str
    size: int | None = None


@dataclass(frozen=True)
class Problem:
    """One blob that failed the check."""

    relpath: str
    kind: str
    problem: str  # missing | mismatch
    expected_sha256: str
    actual_sha256: str | None = None


@dataclass
class FixityReport:
    """What ``records fixity check`` found."""

    checked: int = 0
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    recent_unreferenced: list[str] = field(default_factory=list)
    temp_leftovers: list[str] = field(default_factory=list)
    #: destruction certificates that disagree with the audit trail or their tombstones
    certificates: list[str] = field(default_factory=list)
    #: veraPDF's re-validation of the archival copies (``--pdfa``), else None
    archival: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def missing(self) -> list[Problem]:
        return [p for p in self.problems if p.problem == "missing"]

    @property
    def mismatched(self) -> list[Problem]:
        return [p for p in self.problems if p.problem == "mismatch"]

    @property
    def ok(self) -> bool:
        failed_pdfa = bool(self.archival and self.archival["failed"])
        return not (self.problems or self.orphans or self.certificates or failed_pdfa)

    def summary(self) -> str:
        return (
            f"fixity: {self.checked} blobs ({self.bytes} bytes) re-hashed in {self.seconds:.1f} s; "
            f"{len(self.missing)} missing, {len(self.mismatched)} mismatched, "
            f"{len(self.orphans)} orphans, {len(self.certificates)} certificate problems, "
            f"{len(self.temp_leftovers)} temporary leftovers"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "bytes": self.bytes,
            "missing": [asdict(p) for p in self.missing],
            "mismatched": [asdict(p) for p in self.mismatched],
            "orphans": self.orphans,
            "recent_unreferenced": self.recent_unreferenced,
            "temp_leftovers": self.temp_leftovers,
            "certificates": self.certificates,
            "archival_validation": self.archival,
            "seconds": round(self.seconds, 3),
        }


def pending_removals(session: Session) -> set[str]:
    """Blobs of an executed disposal not removed yet: legally gone, maybe still on disk."""
    query = select(BlobRemoval.relpath).where(BlobRemoval.removed_at.is_(None))
    return set(session.scalars(query))


def expected_blobs(session: Session) -> list[Expected]:
    """Every blob the database expects in the store, each once."""
    found: dict[str, Expected] = {}
    pending = pending_removals(session)
    rows = session.execute(
        select(StoredFile.store_path, StoredFile.sha256, StoredFile.kind, StoredFile.size).where(
            StoredFile.destroyed_at.is_(None)
        )
    ).all()
    for rel, sha, kind, size in rows:
        if rel not in pending:
            found[rel] = Expected(rel, sha, kind, int(size))
    for cert in session.scalars(select(DestructionCertificate)):
        pairs = ((cert.json_path, cert.json_sha256), (cert.html_path, cert.html_sha256))
        for cert_rel, cert_sha in pairs:
            if cert_rel and cert_sha:
                found.setdefault(cert_rel, Expected(cert_rel, cert_sha, "certificate"))
    return sorted(found.values(), key=lambda e: e.relpath)


def check_blob(store: ContentStore, blob: Expected) -> tuple[Problem | None, int]:
    """Re-hash one blob: (problem or None, bytes read)."""
    path = store.path(blob.relpath)
    try:
        actual, size = hash_file(path)
    except FileNotFoundError:
        return Problem(blob.relpath, blob.kind, "missing", blob.sha256), 0
    except OSError as exc:
        return Problem(blob.relpath, blob.kind, f"unreadable: {exc.strerror}", blob.sha256), 0
    if actual != blob.sha256:
        return Problem(blob.relpath, blob.kind, "mismatch", blob.sha256, actual), size
    return None, size


def stored_relpaths(root: Path) -> Iterator[str]:
    """Every file under the store root except its temporary folder, as relative paths."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and TMP_DIR in dirnames:
            dirnames.remove(TMP_DIR)
        for name in filenames:
            yield (Path(dirpath) / name).relative_to(root).as_posix()


def temp_leftovers(root: Path) -> list[str]:
    tmp = root / TMP_DIR
    return sorted(f"{TMP_DIR}/{p.name}" for p in tmp.iterdir()) if tmp.is_dir() else []


def _unreferenced(
    root: Path, known: set[str], grace: float, now: float
) -> tuple[list[str], list[str]]:
    old: list[str] = []
    recent: list[str] = []
    for rel in stored_relpaths(root):
        if rel in known:
            continue
        try:
            age = now - (root / rel).stat().st_mtime
        except FileNotFoundError:
            continue  # removed meanwhile (a disposal finishing)
        (old if age >= grace else recent).append(rel)
    return sorted(old), sorted(recent)


def check(
    session: Session, store: ContentStore, orphan_grace: float = ORPHAN_GRACE_SECONDS
) -> FixityReport:
    """Re-hash every expected blob and look for unreferenced ones."""
    started = time.monotonic()
    report = FixityReport()
    expected = expected_blobs(session)
    for blob in expected:
        problem, size = check_blob(store, blob)
        report.checked += 1
        report.bytes += size
        if problem is not None:
            report.problems.append(problem)
    known = {b.relpath for b in expected} | pending_removals(session)
    report.orphans, report.recent_unreferenced = _unreferenced(
        store.root, known, orphan_grace, time.time()
    )
    report.temp_leftovers = temp_leftovers(store.root)
    report.certificates = certificate_problems(session, store)
    report.seconds = time.monotonic() - started
    return report


def require_intact(report: FixityReport) -> None:
    """Raise IntegrityFailure (exit code 10) naming the first problems."""
    if report.ok:
        return
    shown = [f"{p.relpath}: {p.problem}" for p in report.problems[:5]]
    shown += [f"{rel}: orphan (not referenced by the database)" for rel in report.orphans[:5]]
    shown += report.certificates[:5]
    failed = report.archival["failed"] if report.archival else []
    shown += [f"document {f['document_id']}: not {f['profile'] or 'PDF/A'}" for f in failed[:5]]
    raise IntegrityFailure(f"{report.summary()}: " + "; ".join(shown))


def _execution_entry(session: Session, cert: DestructionCertificate) -> AuditEntry | None:
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.action == "disposal.execute",
            AuditEntry.target == f"disposal_item:{cert.item_id}",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def _certificate_body(store: ContentStore, cert: DestructionCertificate) -> dict[str, Any] | None:
    if (
        not cert.json_path
        or not cert.json_sha256
        or not store.verify(cert.json_path, cert.json_sha256)
    ):
        return None  # missing or changed: reported by the blob check
    body: dict[str, Any] = json.loads(store.path(cert.json_path).read_text(encoding="utf-8"))
    return body


def _body_blobs(body: dict[str, Any]) -> list[str]:
    return sorted(b["sha256"] for d in body.get("documents", []) for b in d.get("blobs", []))


def _one_certificate(session: Session, store: ContentStore, cert: DestructionCertificate) -> str:
    entry = _execution_entry(session, cert)
    if entry is None:
        return "no disposal.execute entry in the audit trail"
    d = entry.details
    recorded = (d.get("certificate"), d.get("json_sha256"), d.get("html_sha256"))
    if recorded != (cert.id, cert.json_sha256, cert.html_sha256):
        return f"differs from audit entry {entry.id}"
    body = _certificate_body(store, cert)
    if body is not None and _body_blobs(body) != sorted(d.get("blobs", [])):
        return f"lists other blobs than audit entry {entry.id}"
    tombs = session.scalars(select(Tombstone).where(Tombstone.certificate_id == cert.id))
    if body is not None and sorted(b["sha256"] for t in tombs for b in t.blobs) != _body_blobs(
        body
    ):
        return "lists other blobs than its tombstones"
    return ""


def certificate_problems(session: Session, store: ContentStore) -> list[str]:
    """Each destruction certificate against its audit entry and its tombstones."""
    out = []
    for cert in session.scalars(select(DestructionCertificate).order_by(DestructionCertificate.id)):
        if problem := _one_certificate(session, store, cert):
            out.append(f"destruction certificate {cert.id}: {problem}")
    return out


def _still_expected(session: Session, problems: list[Problem]) -> list[Problem]:
    """Drop problems of blobs that a disposal removed while the check ran."""
    live = {b.relpath for b in expected_blobs(session)}
    return [p for p in problems if p.relpath in live]


def run(
    archive: Archive,
    actor: Actor,
    orphan_grace: float = ORPHAN_GRACE_SECONDS,
    pdfa: bool = False,
) -> FixityReport:
    """Check the archive's store and write the outcome to the audit trail.

    With ``pdfa`` every archival copy is validated again by veraPDF (a preservation event
    each); a copy that is not compliant fails the check.
    """
    actor.require(Perm.audit_read)
    with archive.session() as session:
        report = check(session, archive.store, orphan_grace)
    if report.problems:
        with archive.session() as session:
            report.problems = _still_expected(session, report.problems)
    if pdfa:
        report.archival = preservation.validate(archive, None, preservation.FIXITY).to_dict()
    append_audit(archive, actor.name, "fixity.check", "store", _audit_details(report))
    return report


def append_audit(
    archive: Archive, actor: str, action: str, target: str, details: dict[str, Any]
) -> None:
    """One audit entry in its own transaction, retried when a concurrent writer took its number.

    ``audit.append`` reads the chain head and inserts the next id; when the transaction
    starts with that read, another writer can commit the same id first (the unique id and
    ``prev_hash`` refuse the fork). Reading again and retrying is then correct.
    """
    for attempt in range(AUDIT_ATTEMPTS):
        try:
            with audit.audited_session(archive) as session:
                audit.append(session, actor, action, target, details)
            return
        except IntegrityError:
            if attempt == AUDIT_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _audit_details(report: FixityReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "checked": report.checked,
        "bytes": report.bytes,
        "missing": [p.relpath for p in report.missing][:100],
        "mismatched": [p.relpath for p in report.mismatched][:100],
        "orphans": report.orphans[:100],
        "archival_not_compliant": [f["document_id"] for f in report.archival["failed"]][:100]
        if report.archival
        else None,
    }
