"""Permanent transfer to the national archives: a BagIt bag per transfer, then the receipt.

``export`` packs every file flagged for transfer (and not already in an open transfer)
into ``<out>/transfer-NNNN/``: for each document its original, its archival PDF, its
metadata as JSON and as Dublin Core, plus a transfer list (移轉目錄, CSV and JSON) at the
top of the payload; ``bagit`` adds SHA-256 and SHA-512 manifests and the bag is validated
before the transfer is recorded. Confidential files are left out until a declassification
is recorded. ``confirm`` records the receiving archive's receipt and moves the documents to
``transferred``; the originals stay in the store.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit, disposal, filing, preservation, reports
from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.db.models import Document, FileAssignment, RecordFile, Transfer, TransferItem
from pipeline.di.metadata import part_dicts, sign_off_dicts
from pipeline.errors import ConfigError, IntegrityFailure, NotFound, NotPermitted
from pipeline.lifecycle import State, history, move_all
from pipeline.retention.schedule import Schedule

DC = "http://purl.org/dc/elements/1.1/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
ET.register_namespace("dc", DC)
ET.register_namespace("oai_dc", OAI_DC)
_SUFFIX = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
           "image/tiff": ".tif"}
LIST_FIELDS = ("file_number", "title", "year", "class_code", "class_title", "case_no",
               "volumes", "documents", "date_from", "date_to", "division", "retention",
               "confidentiality", "summary")


@dataclass
class TransferExport:
    transfer_id: int
    bag: str
    files: list[str]
    documents: int
    payload_oxum: str
    blocked: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"transfer_id": self.transfer_id, "bag": self.bag, "files": self.files,
                "documents": self.documents, "payload_oxum": self.payload_oxum,
                "blocked": self.blocked}


def _in_open_transfer(session: Session) -> set[int]:
    return set(session.scalars(select(TransferItem.file_id).join(
        Transfer, Transfer.id == TransferItem.transfer_id).where(Transfer.status == "exported")))


def candidates(session: Session) -> tuple[list[RecordFile], list[dict[str, str]]]:
    """Files whose documents are all flagged for transfer, and those blocked (with why)."""
    ids = session.scalars(select(FileAssignment.file_id).join(
        Document, Document.id == FileAssignment.document_id).where(
        Document.status == State.flagged_for_transfer).distinct().order_by(FileAssignment.file_id))
    busy, ready, blocked = _in_open_transfer(session), [], []
    for file in (filing.get_file(session, i) for i in ids):
        docs = filing.documents_of(session, file)
        if file.id in busy:
            blocked.append({"file": file.number, "reason": "in an open transfer"})
        elif any(d.status != State.flagged_for_transfer for d in docs):
            blocked.append({"file": file.number, "reason": "not all documents are flagged"})
        elif disposal.is_confidential(file, docs) and not disposal.is_declassified(
                session, file, docs):
            blocked.append({"file": file.number, "reason": "confidential: not declassified"})
        else:
            ready.append(file)
    return ready, blocked


def _dublin_core(doc: Document, item: str, file: RecordFile, agency: str, subject: str) -> bytes:
    root = ET.Element(f"{{{OAI_DC}}}dc")
    values = [
        ("title", doc.title or doc.original_name), ("creator", f"{agency} {doc.division or ''}"),
        ("subject", subject), ("date", str(doc.document_date or "")), ("type", "Text"),
        ("format", doc.media_type), ("identifier", item), ("identifier", f"sha256:{doc.sha256}"),
        ("language", "zh-Hant"), ("rights", doc.confidentiality), ("relation", file.number),
    ]
    for name, value in values:
        ET.SubElement(root, f"{{{DC}}}{name}").text = value.strip()
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def _document_metadata(session: Session, doc: Document, item: str, class_title: str,
                       files: dict[str, str]) -> dict[str, Any]:
    return {
        "id": doc.id, "item_number": item, "title": doc.title, "original_name": doc.original_name,
        "media_type": doc.media_type, "page_count": doc.page_count,
        "document_date": doc.document_date, "division": doc.division,
        "class_code": doc.class_code, "class_title": class_title,
        "confidentiality": doc.confidentiality, "record_type": doc.record_type,
        "sha256": doc.sha256, "files": files,
        # preservation events: veraPDF's verdicts on the PDF/A archival copy
        "archival_validation": preservation.events(session, doc.id),
        "history": [{"from": e.from_state, "to": e.to_state, "actor": e.actor, "at": e.at,
                     "reason": e.reason} for e in history(session, doc.id)],
        "sign_offs": sign_off_dicts(session, doc.id),
        "parts": [{k: p[k] for k in ("name", "role", "sha256", "size", "media_type")}
                  for p in part_dicts(session, doc.id)],
    }


def _copy_blobs(archive: Archive, session: Session, doc: Document, folder: Path) -> dict[str, str]:
    suffix = _SUFFIX.get(doc.media_type) or Path(doc.original_name).suffix or ".bin"
    shutil.copyfile(archive.store.path(doc.original.store_path), folder / f"original{suffix}")
    files = {"original": f"original{suffix}"}
    if doc.archival is not None and doc.archival.id != doc.original.id:
        shutil.copyfile(archive.store.path(doc.archival.store_path), folder / "archival.pdf")
        files["archival"] = "archival.pdf"
    for i, part in enumerate(part_dicts(session, doc.id), 1):
        (folder / "parts").mkdir(exist_ok=True)  # a born-digital package's DI, SI, attachments
        name = f"parts/{i:03d}-{Path(part['name']).name}"
        shutil.copyfile(archive.store.path(part["store_path"]), folder / name)
        files[f"part {part['name']}"] = name
    return files


def _write_document(archive: Archive, session: Session, schedule: Schedule, file: RecordFile,
                    doc: Document, assignment: FileAssignment, root: Path) -> None:
    item = filing.item_number(file, assignment)
    folder = root / file.number / item
    folder.mkdir(parents=True)
    files = _copy_blobs(archive, session, doc, folder)
    class_title = schedule.get(file.class_code).title.zh_tw if file.class_code in schedule else ""
    meta = _document_metadata(session, doc, item, class_title, files)
    (folder / "metadata.json").write_bytes(_pretty(meta))
    (folder / "dublin_core.xml").write_bytes(
        _dublin_core(doc, item, file, schedule.agency.zh_tw, f"{file.class_code} {class_title}"))


def _pretty(data: Any) -> bytes:
    return (json.dumps(json.loads(audit.canonical_json(data)), ensure_ascii=False, indent=2)
            + "\n").encode()


def _list_row(session: Session, schedule: Schedule, file: RecordFile) -> dict[str, Any]:
    row = filing.file_dict(session, file)
    row["file_number"] = row.pop("number")
    row["class_title"] = (schedule.get(file.class_code).title.zh_tw
                          if file.class_code in schedule else "")
    row["documents"] = len(row["documents"])
    row["date_from"], row["date_to"] = reports.roc(file.date_from), reports.roc(file.date_to)
    return {k: row[k] for k in LIST_FIELDS}


def _write_list(rows: list[dict[str, Any]], root: Path) -> None:
    with (root / "transfer-list.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=LIST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (root / "transfer-list.json").write_bytes(_pretty(rows))


def _bag_info(schedule: Schedule, actor: Actor, transfer: Transfer, files: int) -> dict[str, str]:
    return {
        "Source-Organization": schedule.agency.zh_tw,
        "External-Identifier": f"{schedule.schedule_id}-transfer-{transfer.id:04d}",
        "External-Description": f"永久保存檔案移轉 permanent transfer of {files} files",
        "Internal-Sender-Identifier": f"transfer-{transfer.id}",
        "Contact-Name": actor.name,
        "Bag-Count": "1 of 1",
    }


def _build_bag(archive: Archive, session: Session, schedule: Schedule, actor: Actor,
               transfer: Transfer, files: list[RecordFile], bag_dir: Path) -> bagit.Bag:
    bag_dir.mkdir(parents=True)
    for file in files:
        for doc, assignment in filing.file_documents(session, file):
            _write_document(archive, session, schedule, file, doc, assignment, bag_dir)
    _write_list([_list_row(session, schedule, f) for f in files], bag_dir)
    bag = bagit.make_bag(str(bag_dir), _bag_info(schedule, actor, transfer, len(files)),
                         processes=1, checksums=["sha256", "sha512"])
    try:
        bag.validate()
    except bagit.BagValidationError as exc:
        raise IntegrityFailure(f"the transfer bag {bag_dir} does not validate: {exc}") from exc
    return bag


def export(archive: Archive, actor: Actor, schedule: Schedule, out_dir: Path) -> TransferExport:
    """Write one bag with every file ready for transfer and record the transfer."""
    actor.require(Perm.transfer)
    bag_dir: Path | None = None
    try:
        with audit.audited_session(archive) as session:
            files, blocked = candidates(session)
            if not files:
                raise NotPermitted(f"no file is ready for transfer (blocked: {blocked or 'none'})")
            transfer = Transfer(status="exported", bag_path="", created_by=actor.name)
            session.add(transfer)
            session.flush()
            bag_dir = _free_dir(out_dir / f"transfer-{transfer.id:04d}")
            bag = _build_bag(archive, session, schedule, actor, transfer, files, bag_dir)
            result = _record(session, actor, transfer, files, bag, bag_dir, blocked)
    except BaseException:
        if bag_dir is not None:
            shutil.rmtree(bag_dir, ignore_errors=True)  # a bag without its record is no transfer
        raise
    return result


def _free_dir(path: Path) -> Path:
    if path.exists():
        raise ConfigError(f"{path} exists already: choose another --out folder")
    return path


def _record(session: Session, actor: Actor, transfer: Transfer, files: list[RecordFile],
            bag: bagit.Bag, bag_dir: Path, blocked: list[dict[str, str]]) -> TransferExport:
    transfer.bag_path = str(bag_dir.resolve())
    transfer.payload_oxum = str(bag.info.get("Payload-Oxum", ""))
    transfer.tagmanifest_sha256 = hashlib.sha256(
        (bag_dir / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    session.add_all([TransferItem(transfer_id=transfer.id, file_id=f.id) for f in files])
    docs = sum(len(filing.documents_of(session, f)) for f in files)
    audit.append(session, actor.name, "transfer.export", f"transfer:{transfer.id}",
                 {"files": [f.number for f in files], "bag": transfer.bag_path,
                  "payload_oxum": transfer.payload_oxum,
                  "tagmanifest_sha256": transfer.tagmanifest_sha256})
    return TransferExport(transfer.id, transfer.bag_path, [f.number for f in files], docs,
                          transfer.payload_oxum, blocked)


def get_transfer(session: Session, transfer_id: int) -> Transfer:
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}")
    return transfer


def transfer_files(session: Session, transfer: Transfer) -> list[RecordFile]:
    ids = session.scalars(select(TransferItem.file_id).where(
        TransferItem.transfer_id == transfer.id).order_by(TransferItem.id))
    return [filing.get_file(session, i) for i in ids]


def confirm(session: Session, actor: Actor, transfer_id: int, receipt_ref: str,
            received_on: date | None = None) -> Transfer:
    """Record the national archives' receipt; the documents become ``transferred``."""
    actor.require(Perm.transfer)
    transfer = get_transfer(session, transfer_id)
    if transfer.status != "exported":
        raise NotPermitted(f"transfer {transfer_id} is {transfer.status}")
    if not receipt_ref.strip():
        raise ConfigError("a confirmation needs the receiving archive's receipt reference")
    docs = [d for f in transfer_files(session, transfer) for d in filing.documents_of(session, f)]
    move_all(session, actor, docs, State.transferred, f"received under {receipt_ref}")
    transfer.status, transfer.receipt_ref = "confirmed", receipt_ref
    transfer.received_on = received_on or datetime.now(UTC).date()
    transfer.confirmed_by, transfer.confirmed_at = actor.name, datetime.now(UTC)
    audit.append(session, actor.name, "transfer.confirm", f"transfer:{transfer.id}",
                 {"receipt_ref": receipt_ref, "received_on": transfer.received_on,
                  "documents": [d.id for d in docs]})
    return transfer


def cancel(session: Session, actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """Give up an exported, unconfirmed transfer: its files may be exported again."""
    actor.require(Perm.transfer)
    transfer = get_transfer(session, transfer_id)
    if transfer.status != "exported":
        raise NotPermitted(f"transfer {transfer_id} is {transfer.status}")
    transfer.status, transfer.cancel_reason = "cancelled", reason
    audit.append(session, actor.name, "transfer.cancel", f"transfer:{transfer.id}",
                 {"reason": reason})
    return transfer


def transfer_dict(session: Session, t: Transfer) -> dict[str, Any]:
    return {"id": t.id, "status": t.status, "bag": t.bag_path, "payload_oxum": t.payload_oxum,
            "files": [f.number for f in transfer_files(session, t)], "created_by": t.created_by,
            "created_at": t.created_at, "receipt_ref": t.receipt_ref,
            "received_on": t.received_on, "confirmed_by": t.confirmed_by}


def transfers(session: Session) -> list[Transfer]:
    return list(session.scalars(select(Transfer).order_by(Transfer.id)))
