"""Permanent transfer to the national archives, as 國家檔案移轉辦法 has it.

Art. 2: permanent files are transferred in the year after they reach 25 years from their
latest document. Art. 3: classified files are declassified (or their level reviewed)
first. Art. 4: before the transfer the agency appraises the files (鑑定); those still of
permanent value go on a transfer list (移轉目錄: year/class/case numbers, volumes, case
title, creator, date range, classification level, summary, storage media) sent to the
archives authority with the appraisal.

Here: :func:`appraise` records the appraisal of a flagged file; :func:`create_list` makes
the 移轉目錄 of every file that is eligible today (status ``listed``);
:func:`record_approval` records the authority's letter (``approved``); only then
:func:`export` packs ``<out>/transfer-NNNN/``, a BagIt bag (originals, archival PDFs,
metadata JSON and Dublin Core, the list as CSV and JSON; SHA-256 and SHA-512 manifests,
validated before the export is recorded). :func:`confirm` records the receipt after
checking eligibility again and validating the bag once more: a bag altered after export
is refused. Export and confirm judge eligibility against the real date.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit, authority, dates, filing, listpdf, preservation, reports, secrecy
from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.dates import to_roc_short
from pipeline.db.models import (
    AppraisalRecord,
    Document,
    FileAssignment,
    RecordFile,
    Transfer,
    TransferItem,
)
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
#: the 移轉目錄 (國家檔案移轉辦法 art. 4): key, heading, printed width in mm (None: CSV only)
LIST_COLUMNS: tuple[tuple[str, str, float | None], ...] = (
    ("agency", "機關名稱", None), ("page", "頁次", None), ("item", "項次", 9),
    ("file_number", "檔號", None), ("year", "年度號", 11), ("class_code", "分類號", 15),
    ("case_no", "案次號", 11), ("volumes", "卷數", 9), ("documents", "件數", 9),
    ("title", "案名", 55), ("creator", "檔案產生者", 22), ("date_range", "案卷內文件起迄日期", 26),
    ("secrecy", "機密等級", 22), ("summary", "案情摘要", 52), ("media", "儲存媒體型式", 36),
    ("appraisal", "鑑定結果", None),
)
_CSV_COLUMNS = [(key, heading) for key, heading, _ in LIST_COLUMNS]
LIST_SIGNATURES = ("承辦人", "檔案管理單位主管", "機關首長")
_MEDIA = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG",
          "image/tiff": "TIFF", "text/plain": "TXT"}


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


class Status(StrEnum):
    listed = "listed"  # the 移轉目錄 is made, awaiting the archives authority
    approved = "approved"
    exported = "exported"
    confirmed = "confirmed"
    cancelled = "cancelled"


OPEN = (Status.listed, Status.approved, Status.exported)


def _in_open_transfer(session: Session) -> set[int]:
    return set(session.scalars(select(TransferItem.file_id).join(
        Transfer, Transfer.id == TransferItem.transfer_id).where(Transfer.status.in_(OPEN))))


def appraisal_of(session: Session, file: RecordFile) -> AppraisalRecord | None:
    """The newest transfer appraisal (鑑定) of a file."""
    return session.scalar(select(AppraisalRecord).where(
        AppraisalRecord.file_id == file.id, AppraisalRecord.purpose == "transfer")
        .order_by(AppraisalRecord.id.desc()).limit(1))


def eligibility_problems(session: Session, schedule: Schedule, file: RecordFile,
                         on: date) -> list[str]:
    """Everything that forbids transferring this file on ``on`` (the real date)."""
    due = filing.transfer_due(schedule, file)
    problems = []
    if due is None:
        problems.append(f"檔號 {file.number} 不是列為國家檔案的永久保存檔案 "
                        "(not a national-archive file)")
    elif due > on:
        problems.append(f"檔號 {file.number} 於 {to_roc_short(due)} 起始得移轉（文件產生屆滿25年之"
                        f"次年，國家檔案移轉辦法第2條） (not eligible before {due.isoformat()})")
    docs = filing.documents_of(session, file)
    problems += [f"document {d.id} is {d.status}, not flagged_for_transfer" for d in docs
                 if d.status not in (State.flagged_for_transfer, State.transferred)]
    problems += secrecy.classified_blockers(session, file, docs)
    found = appraisal_of(session, file)
    if found is None:
        problems.append(f"檔號 {file.number} 尚未辦理移轉前鑑定 (records transfer appraise)")
    elif found.decision != "transfer":
        problems.append(f"檔號 {file.number} 經鑑定不移轉：{found.reason}")
    return problems


def candidates(session: Session, schedule: Schedule, on: date | None = None
               ) -> tuple[list[RecordFile], list[dict[str, str]]]:
    """Files flagged for transfer that may go on a list today, and those blocked (with why)."""
    on = on or dates.today()
    ids = session.scalars(select(FileAssignment.file_id).join(
        Document, Document.id == FileAssignment.document_id).where(
        Document.status == State.flagged_for_transfer).distinct().order_by(FileAssignment.file_id))
    busy, ready, blocked = _in_open_transfer(session), [], []
    for file in (filing.get_file(session, i) for i in ids):
        if file.id in busy:
            blocked.append({"file": file.number, "reason": "in an open transfer"})
        elif problems := eligibility_problems(session, schedule, file, on):
            blocked.append({"file": file.number, "reason": "; ".join(problems)})
        else:
            ready.append(file)
    return ready, blocked


def appraise(session: Session, actor: Actor, file_ref: str, decision: str, reason: str,
             report_ref: str | None = None) -> AppraisalRecord:
    """Record the appraisal (鑑定) of a file flagged for transfer: ``transfer`` or ``retain``."""
    actor.require(Perm.appraise)
    file = filing.find_file(session, file_ref)
    if decision not in ("transfer", "retain"):
        raise ConfigError("a transfer appraisal decides transfer or retain")
    if not reason.strip():
        raise ConfigError("an appraisal needs a reason (its findings)", code="reason.required")
    docs = filing.documents_of(session, file)
    if not docs or any(d.status != State.flagged_for_transfer for d in docs):
        raise NotPermitted(f"file {file.number} is not flagged for transfer",
                           code="transfer.not_flagged", file=file.number)
    row = AppraisalRecord(file_id=file.id, purpose="transfer", decision=decision, reason=reason,
                          report_ref=report_ref, appraised_by=actor.name)
    session.add(row)
    session.flush()
    audit.append(session, actor.name, "transfer.appraise", f"file:{file.id}",
                 {"decision": decision, "reason": reason, "report_ref": report_ref})
    return row


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


def _secrecy_text(session: Session, file: RecordFile, docs: list[Document]) -> str:
    level = secrecy.file_level(file, docs)
    if not secrecy.is_classified(level):
        return "普通"
    return f"{secrecy.label(level)}（已解密）"


def _media(docs: list[Document]) -> str:
    kinds = {_MEDIA.get(d.media_type, d.media_type) for d in docs}
    kinds |= {"PDF" for d in docs if d.archival_file_id is not None}
    return f"電子檔（{'、'.join(sorted(kinds))}）" if kinds else ""


def list_row(session: Session, schedule: Schedule, file: RecordFile, n: int) -> dict[str, Any]:
    """One line of the 移轉目錄."""
    pairs = filing.file_documents(session, file)
    docs = [d for d, _ in pairs]
    found = appraisal_of(session, file)
    return {
        "agency": schedule.agency.zh_tw, "page": None, "item": n, "file_number": file.number,
        "year": file.year, "class_code": file.class_code, "case_no": file.case_no,
        "volumes": len({a.volume for _, a in pairs}), "documents": len(docs),
        "title": reports.case_title(docs, file.title),
        "creator": file.division or schedule.agency.zh_tw,
        "date_range": f"{reports.roc(file.date_from)}–{reports.roc(file.date_to)}",
        "secrecy": _secrecy_text(session, file, docs), "summary": reports.case_summary(docs),
        "media": _media(docs),
        "appraisal": f"{found.reason}（{found.report_ref or found.appraised_by}）" if found else "",
    }


def list_rows(session: Session, schedule: Schedule, transfer: Transfer) -> list[dict[str, Any]]:
    return [list_row(session, schedule, f, n)
            for n, f in enumerate(transfer_files(session, transfer), start=1)]


def list_sheet(rows: list[dict[str, Any]], schedule: Schedule, transfer: Transfer
               ) -> listpdf.Sheet:
    approval = (f"檔案管理局核准文號：{transfer.authority_ref}　核准日期："
                f"{reports.roc(transfer.approved_on)}" if transfer.authority_ref
                else "檔案管理局核准文號：　　　　　　　　核准日期：")
    agency = schedule.agency.zh_tw
    return listpdf.Sheet(
        title=f"{agency} 檔案移轉目錄", rows=rows,
        meta=[f"機關名稱：{agency}", f"移轉編號：{transfer.id:04d}",
              f"製表日期：{reports.roc(transfer.created_at.date())}", f"共 {len(rows)} 案"],
        columns=[listpdf.Column(k, h, w) for k, h, w in LIST_COLUMNS if w is not None],
        footer=[approval], signatures=list(LIST_SIGNATURES))


def export_list(sheet: listpdf.Sheet, pdf_path: Path | None, csv_path: Path | None) -> None:
    """The 移轉目錄 as PDF and/or CSV (the CSV's 頁次 follows the PDF)."""
    listpdf.export(sheet, _CSV_COLUMNS, pdf_path, csv_path)


def _write_list(rows: list[dict[str, Any]], root: Path) -> None:
    listpdf.write_csv(rows, _CSV_COLUMNS, root / "transfer-list.csv")
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
    _write_list(list_rows(session, schedule, transfer), bag_dir)
    bag = bagit.make_bag(str(bag_dir), _bag_info(schedule, actor, transfer, len(files)),
                         processes=1, checksums=["sha256", "sha512"])
    try:
        bag.validate()
    except bagit.BagValidationError as exc:
        raise IntegrityFailure(f"the transfer bag {bag_dir} does not validate: {exc}") from exc
    return bag


def create_list(session: Session, actor: Actor, schedule: Schedule) -> Transfer:
    """The 移轉目錄 of every file eligible today: a transfer awaiting the authority."""
    actor.require(Perm.transfer)
    files, blocked = candidates(session, schedule)
    if not files:
        raise NotPermitted(f"沒有今天可移轉的檔案 (no file is ready for transfer; blocked: "
                           f"{blocked or 'none'})", code="transfer.nothing_ready")
    transfer = Transfer(status=Status.listed, bag_path="", created_by=actor.name)
    session.add(transfer)
    session.flush()
    session.add_all([TransferItem(transfer_id=transfer.id, file_id=f.id) for f in files])
    audit.append(session, actor.name, "transfer.list_create", f"transfer:{transfer.id}",
                 {"files": [f.number for f in files], "blocked": blocked})
    return transfer


def record_approval(session: Session, actor: Actor, transfer_id: int, authority_ref: str,
                    approved_on: date) -> Transfer:
    """Record the archives authority's approval of the 移轉目錄, once, before the export."""
    authority.check_recorder(actor, Perm.transfer)
    transfer = get_transfer(session, transfer_id)
    if transfer.status != Status.listed:
        raise NotPermitted(f"移轉 {transfer_id} 為 {transfer.status}："
                           "核准只能對待核的移轉目錄記錄一次", code="transfer.not_listed",
                           id=transfer_id, status=transfer.status)
    letter = authority.parse_ref(authority_ref, approved_on)
    transfer.status, transfer.authority_ref, transfer.approved_on = (
        Status.approved, letter, approved_on)
    transfer.approval_recorded_by = actor.name
    audit.append(session, actor.name, "transfer.approve", f"transfer:{transfer.id}",
                 {"authority_ref": letter, "approved_on": approved_on})
    return transfer


def _approved(session: Session, transfer_id: int | None) -> Transfer:
    if transfer_id is not None:
        transfer = get_transfer(session, transfer_id)
    else:
        waiting = list(session.scalars(select(Transfer).where(Transfer.status == Status.approved)))
        if len(waiting) != 1:
            raise NotPermitted("沒有（或有多個）已核准待匯出的移轉目錄：請指定移轉編號；"
                               "移轉目錄須先經檔案管理局核准 "
                               "(records transfer list create, ... approve)")
        transfer = waiting[0]
    if transfer.status != Status.approved:
        raise NotPermitted(f"移轉 {transfer.id} 為 {transfer.status}：須先記錄檔案管理局對移轉目錄"
                           "的核准，才能匯出 (the authority's approval comes before the export)",
                           code="transfer.not_approved", id=transfer.id, status=transfer.status)
    return transfer


def _recheck(session: Session, schedule: Schedule, transfer: Transfer) -> list[RecordFile]:
    files = transfer_files(session, transfer)
    problems = [p for f in files
                for p in eligibility_problems(session, schedule, f, dates.today())]
    if problems:
        raise NotPermitted(f"移轉 {transfer.id} 不得進行：" + "; ".join(problems),
                           code="transfer.not_eligible", id=transfer.id, problems=problems)
    return files


def export(archive: Archive, actor: Actor, schedule: Schedule, out_dir: Path,
           transfer_id: int | None = None) -> TransferExport:
    """Write the bag of an approved transfer, after checking every file again, and record it."""
    actor.require(Perm.transfer)
    bag_dir: Path | None = None
    try:
        with audit.audited_session(archive) as session:
            transfer = _approved(session, transfer_id)
            files = _recheck(session, schedule, transfer)
            bag_dir = _free_dir(out_dir / f"transfer-{transfer.id:04d}")
            bag = _build_bag(archive, session, schedule, actor, transfer, files, bag_dir)
            result = _record(session, actor, transfer, files, bag, bag_dir)
    except BaseException:
        if bag_dir is not None:
            shutil.rmtree(bag_dir, ignore_errors=True)  # a bag without its record is no transfer
        raise
    return result


def _free_dir(path: Path) -> Path:
    if path.exists():
        raise ConfigError(f"{path} exists already: choose another --out folder",
                          code="transfer.bag_exists", name=path.name)
    return path


def _record(session: Session, actor: Actor, transfer: Transfer, files: list[RecordFile],
            bag: bagit.Bag, bag_dir: Path) -> TransferExport:
    transfer.status, transfer.bag_path = Status.exported, str(bag_dir.resolve())
    transfer.payload_oxum = str(bag.info.get("Payload-Oxum", ""))
    transfer.tagmanifest_sha256 = hashlib.sha256(
        (bag_dir / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    docs = sum(len(filing.documents_of(session, f)) for f in files)
    audit.append(session, actor.name, "transfer.export", f"transfer:{transfer.id}",
                 {"files": [f.number for f in files], "bag": transfer.bag_path,
                  "payload_oxum": transfer.payload_oxum,
                  "tagmanifest_sha256": transfer.tagmanifest_sha256})
    return TransferExport(transfer.id, transfer.bag_path, [f.number for f in files], docs,
                          transfer.payload_oxum)


def get_transfer(session: Session, transfer_id: int) -> Transfer:
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}")
    return transfer


def transfer_files(session: Session, transfer: Transfer) -> list[RecordFile]:
    ids = session.scalars(select(TransferItem.file_id).where(
        TransferItem.transfer_id == transfer.id).order_by(TransferItem.id))
    return [filing.get_file(session, i) for i in ids]


def verify_bag(transfer: Transfer) -> None:
    """The exported bag is still the one recorded: IntegrityFailure if it was altered."""
    path = Path(transfer.bag_path)
    tagmanifest = path / "tagmanifest-sha256.txt"
    if not tagmanifest.is_file():
        raise IntegrityFailure(f"移轉 {transfer.id} 的 bag 不在 {path}：無法確認內容未經變動",
                               code="transfer.bag_missing", id=transfer.id)
    if hashlib.sha256(tagmanifest.read_bytes()).hexdigest() != transfer.tagmanifest_sha256:
        raise IntegrityFailure(f"移轉 {transfer.id} 的 bag 清單與匯出時不同：bag 已被變動",
                               code="transfer.bag_altered", id=transfer.id)
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagError as exc:
        raise IntegrityFailure(f"移轉 {transfer.id} 的 bag 驗證失敗（匯出後已被變動）："
                               f"{exc}", code="transfer.bag_altered", id=transfer.id) from exc
    if str(bag.info.get("Payload-Oxum", "")) != (transfer.payload_oxum or ""):
        raise IntegrityFailure(f"移轉 {transfer.id} 的 bag 大小與匯出時不同：bag 已被變動",
                               code="transfer.bag_altered", id=transfer.id)


def confirm(session: Session, actor: Actor, schedule: Schedule, transfer_id: int,
            receipt_ref: str, received_on: date | None = None) -> Transfer:
    """Record the national archives' receipt; the documents become ``transferred``.

    Eligibility is checked again and the bag validated again: an altered bag is refused.
    """
    actor.require(Perm.transfer)
    transfer = get_transfer(session, transfer_id)
    if transfer.status != Status.exported:
        raise NotPermitted(f"transfer {transfer_id} is {transfer.status}")
    if not receipt_ref.strip():
        raise ConfigError("a confirmation needs the receiving archive's receipt reference",
                          code="transfer.receipt_required")
    files = _recheck(session, schedule, transfer)
    verify_bag(transfer)
    docs = [d for f in files for d in filing.documents_of(session, f)]
    move_all(session, actor, docs, State.transferred, f"received under {receipt_ref}")
    transfer.status, transfer.receipt_ref = Status.confirmed, receipt_ref
    transfer.received_on = received_on or dates.today()
    transfer.confirmed_by, transfer.confirmed_at = actor.name, datetime.now(UTC)
    audit.append(session, actor.name, "transfer.confirm", f"transfer:{transfer.id}",
                 {"receipt_ref": receipt_ref, "received_on": transfer.received_on,
                  "documents": [d.id for d in docs]})
    return transfer


def cancel(session: Session, actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """Give up an unconfirmed transfer: its files may be listed again."""
    actor.require(Perm.transfer)
    transfer = get_transfer(session, transfer_id)
    if transfer.status not in OPEN:
        raise NotPermitted(f"transfer {transfer_id} is {transfer.status}")
    transfer.status, transfer.cancel_reason = Status.cancelled, reason
    audit.append(session, actor.name, "transfer.cancel", f"transfer:{transfer.id}",
                 {"reason": reason})
    return transfer


def transfer_dict(session: Session, t: Transfer) -> dict[str, Any]:
    return {"id": t.id, "status": t.status, "bag": t.bag_path, "payload_oxum": t.payload_oxum,
            "files": [f.number for f in transfer_files(session, t)], "created_by": t.created_by,
            "created_at": t.created_at, "authority_ref": t.authority_ref,
            "approved_on": t.approved_on, "receipt_ref": t.receipt_ref,
            "received_on": t.received_on, "confirmed_by": t.confirmed_by}


def transfers(session: Session) -> list[Transfer]:
    return list(session.scalars(select(Transfer).order_by(Transfer.id)))
