"""Execution of an approved disposal: tombstones, certificate, then removal of the blobs.

Order, and why:

1. One database transaction re-checks everything against today's date (the item is on a
   destruction list the archives authority approved, two distinct officers confirmed it,
   retention over, no hold, declassified if classified, audit consent if accounting, and
   the supervisors (監銷人員, with their units) are named), then writes a tombstone per document,
   removes the pages and the index entries, moves the documents to ``disposed``, writes the
   certificate (JSON and HTML, into the store; hashes into the audit log) and one pending
   ``BlobRemoval`` row per original or archival blob. Nothing is deleted from disk yet.
2. After the commit the blobs are removed and their rows marked removed in a second
   transaction (with an audit entry), then the search index is flushed.

If step 1 fails nothing changed (certificate blobs written before the failure are removed
again). If removing a blob fails after step 1 committed, the record is legally disposed and
says so; the blob stays listed as pending and ``records disposal execute ID`` finishes the
removal later, so the database never claims a blob is gone while it is still on disk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline import audit, dates, disposal, filing, reports
from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.db.models import (
    BlobRemoval,
    DestructionCertificate,
    DisposalItem,
    Document,
    DocumentPart,
    FileAssignment,
    StoredFile,
    Tombstone,
)
from pipeline.disposal import ItemStatus
from pipeline.errors import AccessDenied, ConfigError, NotFound, NotPermitted, StorageError
from pipeline.lifecycle import State, transition
from pipeline.retention.schedule import Schedule

CERTIFICATE_FORMAT = "tainan-records/destruction-certificate"
CERTIFICATE_VERSION = 2
_UNIT_NAME = re.compile(r"^\s*(?P<unit>[^:：\s]+)\s*[:：\s]\s*(?P<name>\S.*?)\s*$")


def parse_supervisors(given: Sequence[str] | str | None) -> list[dict[str, str]]:
    """監銷人員 as ``單位 姓名`` (or ``單位:姓名``): at least one, each with a unit.

    機關檔案保存年限及銷毀辦法 art. 12 has destruction done under supervision; without a
    named supervisor nothing is destroyed.
    """
    values = [given] if isinstance(given, str) else list(given or [])
    values = [v for v in values if v.strip()]
    if not values:
        raise NotPermitted("銷毀須有監銷人員：請以 --supervisor \"單位 姓名\" 指定（例：政風室 "
                           "王小明） (destruction needs at least one supervisor with their unit)",
                           code="disposal.no_supervisor")
    out = []
    for value in values:
        m = _UNIT_NAME.match(value)
        if m is None:
            raise ConfigError(f"監銷人員 {value!r} 應寫為「單位 姓名」，例：政風室 王小明",
                              code="disposal.bad_supervisor", value=value.strip()[:40])
        out.append({"unit": m["unit"], "name": m["name"]})
    return out


@dataclass
class Execution:
    item_id: int
    certificate_id: int
    documents: list[int]
    certificate: dict[str, str]
    removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "certificate_id": self.certificate_id,
                "documents": self.documents, "certificate": self.certificate,
                "removed_blobs": self.removed}


def today() -> date:
    """Execution always uses the real date: no option moves it."""
    return dates.today()


def execute(archive: Archive, actor: Actor, schedule: Schedule, item_id: int,
            supervisors: Sequence[str] | str | None = None) -> Execution:
    """Destroy one approved destruction-list item (see the module docstring for the order)."""
    actor.require(Perm.execute)
    if actor.user_id is None:
        raise AccessDenied("disposal is executed by a logged-in records officer")
    written: list[str] = []
    try:
        with audit.audited_session(archive) as session:
            result = _execute_in(archive, session, actor, schedule, item_id, supervisors,
                                 written)
    except BaseException:
        for relpath in written:  # the transaction did not commit: no certificate either
            archive.store.remove(relpath)
        raise
    result.removed = finish_removals(archive, actor, result.certificate_id)
    archive.search.flush()
    return result


def _execute_in(archive: Archive, session: Session, actor: Actor, schedule: Schedule,
                item_id: int, supervisors: Sequence[str] | str | None, written: list[str]
                ) -> Execution:
    item = disposal.get_item(session, item_id)
    if item.status == ItemStatus.executed:
        return _already_executed(session, item)  # finishing blob removals needs no new witness
    watchers = parse_supervisors(supervisors)
    _recheck(session, schedule, item)
    _claim(session, item)
    cert = DestructionCertificate(item_id=item.id)
    session.add(cert)
    session.flush()
    documents = filing.file_documents(session, item.file)
    # 案名 from the subjects, read before destruction clears the documents' fields
    case = reports.case_title([d for d, _ in documents], item.file.title)
    destroyed = [_destroy_document(archive, session, actor, item, cert, d, a)
                 for d, a in documents]
    item.executed_by, item.executed_at = actor.name, datetime.now(UTC)
    item.supervisors = watchers
    body = certificate_body(session, schedule, item, cert, destroyed, actor, case)
    paths = _store_certificate(archive, cert, body, written)
    audit.append(session, actor.name, "disposal.execute", f"disposal_item:{item.id}",
                 {"certificate": cert.id, "authority_ref": item.authority_ref,
                  "supervisors": watchers, **paths,
                  "blobs": [b["sha256"] for d in destroyed for b in d["blobs"]]})
    return Execution(item.id, cert.id, [d["document_id"] for d in destroyed], paths)


def _already_executed(session: Session, item: DisposalItem) -> Execution:
    """Re-running execute on an executed item only finishes pending blob removals."""
    cert = session.scalar(select(DestructionCertificate).where(
        DestructionCertificate.item_id == item.id))
    if cert is None or not pending_removals(session, cert.id):
        raise NotPermitted(f"disposal item {item.id} was executed already")
    docs = [d.id for d in filing.documents_of(session, item.file)]
    return Execution(item.id, cert.id, docs, _paths(cert))


def _recheck(session: Session, schedule: Schedule, item: DisposalItem) -> None:
    problems = disposal.approval_problems(session, item)
    if item.status != ItemStatus.approved:
        problems.insert(0, f"item is {item.status}, not approved")
    problems += disposal.eligibility_problems(session, schedule, item, today())
    docs = filing.documents_of(session, item.file)
    problems += [f"document {d.id} is {d.status}" for d in docs if d.status != State.approved]
    if problems:
        raise NotPermitted(f"disposal item {item.id} cannot be executed: " + "; ".join(problems),
                           code="disposal.not_executable", id=item.id, problems=problems)


def _claim(session: Session, item: DisposalItem) -> None:
    """Flip approved -> executed with a conditional update: two runs cannot both destroy."""
    result = session.execute(update(DisposalItem).where(
        DisposalItem.id == item.id, DisposalItem.status == ItemStatus.approved)
        .values(status=ItemStatus.executed).execution_options(synchronize_session="fetch"))
    if getattr(result, "rowcount", 0) != 1:
        raise NotPermitted(f"disposal item {item.id} is being executed elsewhere")


def _blob_rows(session: Session, doc: Document) -> list[StoredFile]:
    parts = session.scalars(select(DocumentPart.file_id).where(DocumentPart.document_id == doc.id))
    ids = dict.fromkeys(i for i in (doc.original_file_id, doc.archival_file_id, *parts)
                        if i is not None)  # a born-digital package's parts go with it
    return [row for i in ids if (row := session.get(StoredFile, i)) is not None]


def _shared(session: Session, blob: StoredFile, doc: Document) -> bool:
    """Another live document uses the same blob (identical archival copies): keep it."""
    other = session.scalar(select(Document.id).where(
        Document.id != doc.id, Document.status != State.disposed,
        (Document.original_file_id == blob.id) | (Document.archival_file_id == blob.id)
        | Document.id.in_(select(DocumentPart.document_id).where(DocumentPart.file_id == blob.id))
    ).limit(1))
    return other is not None


def _fixity(archive: Archive, blob: StoredFile) -> str:
    if not archive.store.path(blob.store_path).is_file():
        return "missing"
    return "verified" if archive.store.verify(blob.store_path, blob.sha256) else "mismatch"


def _blob_entry(archive: Archive, session: Session, blob: StoredFile, doc: Document,
                cert: DestructionCertificate) -> dict[str, Any]:
    shared = _shared(session, blob, doc)
    if not shared:
        session.add(BlobRemoval(certificate_id=cert.id, stored_file_id=blob.id,
                                relpath=blob.store_path, sha256=blob.sha256))
    return {"kind": blob.kind, "sha256": blob.sha256, "size": blob.size,
            "store_path": blob.store_path, "fixity": _fixity(archive, blob),
            "removed": not shared}


def _snapshot(doc: Document) -> dict[str, Any]:
    return {"title": doc.title, "original_name": doc.original_name, "class_code": doc.class_code,
            "division": doc.division, "document_date": doc.document_date,
            "record_type": doc.record_type, "confidentiality": doc.confidentiality,
            "media_type": doc.media_type, "page_count": doc.page_count, "sha256": doc.sha256,
            "box": doc.box, "folder": doc.folder, "batch_id": doc.batch_id}


def _destroy_document(archive: Archive, session: Session, actor: Actor, item: DisposalItem,
                      cert: DestructionCertificate, doc: Document,
                      assignment: FileAssignment) -> dict[str, Any]:
    number = filing.item_number(item.file, assignment)
    blobs = [_blob_entry(archive, session, b, doc, cert) for b in _blob_rows(session, doc)]
    meta = json.loads(audit.canonical_json(_snapshot(doc)))
    session.add(Tombstone(document_id=doc.id, item_id=item.id, certificate_id=cert.id,
                          file_number=number, meta=meta, blobs=blobs, destroyed_by=actor.name))
    archive.search.stage_removal(session, doc.id)  # before the pages go: it looks them up
    doc.pages.clear()
    doc.fields = {}
    transition(session, actor, doc, State.disposed, f"destroyed under {item.authority_ref}",
               {"certificate": cert.id})
    return {"document_id": doc.id, "item": number, "meta": meta, "blobs": blobs}


def certificate_body(session: Session, schedule: Schedule, item: DisposalItem,
                     cert: DestructionCertificate, destroyed: list[dict[str, Any]],
                     actor: Actor, case_title: str) -> dict[str, Any]:
    file = filing.file_dict(session, item.file)
    file.pop("documents")
    file["title"] = case_title
    file["retention_changes"] = reports.retention_changes(session, item.file)
    dl = item.disposal_list
    return {
        "format": CERTIFICATE_FORMAT, "version": CERTIFICATE_VERSION,
        "certificate_id": cert.id, "disposal_item": item.id, "agency": schedule.agency.zh_tw,
        "schedule": f"{schedule.schedule_id} v{schedule.version}",
        "disposal_list": dl.number if dl else None, "list_position": item.position,
        "authority_ref": item.authority_ref,
        "authority_approved_on": dl.approved_on if dl else None,
        "executed_at": item.executed_at, "executed_by": actor.name,
        "supervisors": item.supervisors or [], "file": file,
        "approvals": [{"officer": a.officer, "at": a.at, "authority_ref": a.authority_ref,
                       "reason": a.reason} for a in disposal.approvals(session, item)],
        "documents": destroyed,
    }


def _store_certificate(archive: Archive, cert: DestructionCertificate, body: dict[str, Any],
                       written: list[str]) -> dict[str, str]:
    data = json.loads(audit.canonical_json(body))
    as_json = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    work = archive.settings.work_dir / "certificates"
    work.mkdir(parents=True, exist_ok=True)
    for suffix, text in (("json", as_json), ("html", reports.render_certificate_html(data))):
        tmp = work / f"certificate-{cert.id}.{suffix}"
        tmp.write_text(text, encoding="utf-8")
        blob = archive.store.put(tmp, "certificate")
        tmp.unlink()
        written.append(blob.relpath)
        setattr(cert, f"{suffix}_path", blob.relpath)
        setattr(cert, f"{suffix}_sha256", blob.sha256)
    return _paths(cert)


def _paths(cert: DestructionCertificate) -> dict[str, str]:
    return {"json_path": cert.json_path or "", "json_sha256": cert.json_sha256 or "",
            "html_path": cert.html_path or "", "html_sha256": cert.html_sha256 or ""}


def pending_removals(session: Session, certificate_id: int) -> list[BlobRemoval]:
    return list(session.scalars(select(BlobRemoval).where(
        BlobRemoval.certificate_id == certificate_id, BlobRemoval.removed_at.is_(None))))


def _remove_blobs(archive: Archive, rows: list[BlobRemoval]) -> tuple[list[int], list[str]]:
    done, failed = [], []
    for row in rows:
        try:
            archive.store.remove(row.relpath)
        except OSError as exc:  # reported below and left pending: re-run finishes it
            failed.append(f"{row.relpath}: {exc}")
            continue
        done.append(row.id)
    return done, failed


def finish_removals(archive: Archive, actor: Actor, certificate_id: int) -> list[str]:
    """Remove the pending blobs of an executed disposal; StorageError names any left."""
    with archive.session() as session:
        rows = pending_removals(session, certificate_id)
    done, failed = _remove_blobs(archive, rows)
    if done:
        _mark_removed(archive, actor, certificate_id, [r for r in rows if r.id in done])
    if failed:
        raise StorageError("the disposal is recorded, but these blobs could not be removed yet "
                           "(run `records disposal execute` on the item again): "
                           + "; ".join(failed))
    return [r.sha256 for r in rows if r.id in done]


def _mark_removed(archive: Archive, actor: Actor, certificate_id: int,
                  rows: list[BlobRemoval]) -> None:
    now = datetime.now(UTC)
    with audit.audited_session(archive) as session:
        session.execute(update(BlobRemoval).where(BlobRemoval.id.in_([r.id for r in rows]))
                        .values(removed_at=now))
        session.execute(update(StoredFile).where(
            StoredFile.id.in_([r.stored_file_id for r in rows])).values(destroyed_at=now))
        audit.append(session, actor.name, "disposal.blobs_removed", f"certificate:{certificate_id}",
                     {"blobs": [r.sha256 for r in rows]})


def certificate(archive: Archive, session: Session, item_id: int) -> dict[str, Any]:
    """The stored certificate of an executed item, with a check that its blobs still match."""
    cert = session.scalar(select(DestructionCertificate).where(
        DestructionCertificate.item_id == item_id))
    if cert is None or cert.json_path is None or cert.json_sha256 is None:
        raise NotFound(f"disposal item {item_id} has no destruction certificate")
    path: Path = archive.store.path(cert.json_path)
    intact = archive.store.verify(cert.json_path, cert.json_sha256) and bool(
        cert.html_path and cert.html_sha256
        and archive.store.verify(cert.html_path, cert.html_sha256))
    return {"certificate_id": cert.id, **_paths(cert), "intact": intact,
            "body": json.loads(path.read_text(encoding="utf-8"))}


def tombstones(session: Session, item_id: int | None = None) -> list[Tombstone]:
    query = select(Tombstone).order_by(Tombstone.id)
    if item_id is not None:
        query = query.where(Tombstone.item_id == item_id)
    return list(session.scalars(query))


def tombstone_dict(t: Tombstone) -> dict[str, Any]:
    return {"document_id": t.document_id, "item_id": t.item_id, "certificate_id": t.certificate_id,
            "file_number": t.file_number, "meta": t.meta, "blobs": t.blobs,
            "destroyed_by": t.destroyed_by, "destroyed_at": t.destroyed_at}
