"""What the destruction-list, certificate and transfer pages show, read through the core
functions the CLI uses (``records disposal list ...``, ``records transfer ...``): lists
with their rows as printed, the history of closed items, the transfer candidates with
their appraisal, and an exported transfer bag packed for download."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipeline import (
    audit,
    dates,
    destruction,
    disposal,
    disposal_lists,
    filing,
    listpdf,
    reports,
    secrecy,
    sweep,
    transfer,
)
from pipeline.access import file_visible, visible_item
from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.db.models import (
    DisposalItem,
    DisposalList,
    ExtensionRequest,
    RecordFile,
    Transfer,
)
from pipeline.errors import ConfigError, NotFound, NotPermitted
from pipeline.retention.schedule import Schedule


def form_date(value: str) -> date:
    """A date from a form: ISO (``2026-03-09``, what ``<input type=date>`` sends) or ROC."""
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dates.parse_date(text)
    except (ValueError, ConfigError) as exc:
        raise ConfigError(f"not a date: {text!r}", code="date.invalid",
                          value=text[:20]) from exc


def supervisor_lines(text: str) -> list[str]:
    """監銷人員 typed one per line (``單位 姓名``)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# ── destruction lists ────────────────────────────────────────────────────────────────


def destruction_lists(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every 銷毀目錄, newest first, with how many of its items are still open."""
    actor.require(Perm.view_disposal)
    out = []
    for dl in reversed(disposal_lists.all_lists(session)):
        items = disposal_lists.items_of(session, dl)
        out.append({"id": dl.id, "number": dl.number, "status": dl.status,
                    "created_at": dl.created_at, "created_by": dl.created_by,
                    "authority_ref": dl.authority_ref, "approved_on": dl.approved_on,
                    "count": len(items),
                    "open": sum(1 for i in items if i.status in disposal.OPEN)})
    return out


def unlisted_count(session: Session, actor: Actor) -> int:
    """Queued items not yet on a list (whether due today is the core's to decide)."""
    return sum(1 for i in disposal.open_items(session)
               if i.status == disposal.ItemStatus.queued and i.list_id is None
               and file_visible(actor, i.file))


def list_of(session: Session, actor: Actor, list_id: int) -> DisposalList:
    actor.require(Perm.view_disposal)
    return disposal_lists.get_list(session, list_id)


def list_rows(session: Session, actor: Actor, schedule: Schedule,
              dl: DisposalList) -> list[dict[str, Any]]:
    """The rows of the list as ``records disposal list export`` prints them (案名 and 摘要
    hidden above the user's clearance), each with its item's id and status."""
    items = disposal_lists.items_of(session, dl)
    rows = reports.destruction_list(session, schedule, items, actor.clearance)
    for row, item in zip(rows, items, strict=True):
        row["item_id"], row["status"] = item.id, item.status
        row["visible"] = file_visible(actor, item.file)
    return rows


def list_sheet(session: Session, actor: Actor, schedule: Schedule,
               dl: DisposalList) -> listpdf.Sheet:
    rows = reports.destruction_list(session, schedule, disposal_lists.items_of(session, dl),
                                    actor.clearance)
    return reports.list_sheet(rows, schedule.agency.zh_tw, dl.number, dl.created_at.date(),
                              dl.authority_ref, dl.approved_on)


def export_file(sheet: listpdf.Sheet, columns: list[tuple[str, str]], kind: str,
                folder: Path) -> Path:
    """The list as PDF or CSV in ``folder`` (the CSV's 頁次 follows the PDF)."""
    path = folder / f"list.{kind}"
    listpdf.export(sheet, columns, path if kind == "pdf" else None,
                   path if kind == "csv" else None)
    return path


# ── the sweep, declassification and audit consent ────────────────────────────────────


def sweep_preview(session: Session, actor: Actor, schedule: Schedule,
                  as_of: date | None) -> dict[str, Any]:
    """What a sweep as of ``as_of`` (default today) would do; nothing is written."""
    return sweep.sweep(session, actor, schedule, as_of, preview=True).to_dict()


def add_needs(session: Session, schedule: Schedule, items: list[dict[str, Any]]) -> None:
    """Mark the open items still needing a declassification or the audit authority's
    consent, so their cards offer the form that records it."""
    for data in items:
        file = filing.get_file(session, data["file_id"])
        docs = filing.documents_of(session, file)
        data["needs_declassify"] = bool(secrecy.classified_blockers(session, file, docs))
        accounting = file.class_code in schedule and schedule.get(file.class_code) \
            .accounting_record
        data["needs_consent"] = bool(accounting) and not disposal.has_audit_consent(session, file)


def visible_file(session: Session, actor: Actor, file_id: int, perm: Perm) -> RecordFile:
    """A file for a change needing ``perm``, if the user may see it (NotFound otherwise)."""
    actor.require(perm)
    file = filing.get_file(session, file_id)
    if not file_visible(actor, file):
        raise NotFound(f"no file {file_id}")
    return file


def extension_item(session: Session, actor: Actor, request_id: int) -> DisposalItem:
    """The item an extension request is about, if the user may see it."""
    actor.require(Perm.appraise)
    found = session.get(ExtensionRequest, request_id)
    if found is None:
        raise NotFound(f"no extension request {request_id}")
    return visible_item(session, actor, found.item_id)


# ── items: history, confirmation, certificate ────────────────────────────────────────


def _title(actor: Actor, item: DisposalItem) -> str:
    return item.file.title if disposal.visible(actor.clearance, item.file) else disposal.REDACTED


def closed_items(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Executed and withdrawn items the user may see, with why and by whom."""
    actor.require(Perm.view_disposal)
    return [{"id": i.id, "status": i.status, "file_number": i.file.number,
             "title": _title(actor, i),
             "list": i.disposal_list.number if i.disposal_list else None,
             "position": i.position, "authority_ref": i.authority_ref,
             "withdrawn_reason": i.withdrawn_reason, "executed_at": i.executed_at,
             "executed_by": i.executed_by, "supervisors": i.supervisors or [],
             "approvals": [a.officer for a in disposal.approvals(session, i)]}
            for i in disposal.closed_items(session) if file_visible(actor, i.file)]


def to_execute(session: Session, actor: Actor, schedule: Schedule,
               item_id: int) -> dict[str, Any]:
    """What the confirmation page shows before a destruction: the item and its documents."""
    actor.require(Perm.execute)
    item = visible_item(session, actor, item_id)
    if item.status != disposal.ItemStatus.approved:
        raise NotPermitted(f"disposal item {item.id} is {item.status}, not approved",
                           code="disposal.not_approved", id=item.id, status=item.status)
    data = disposal.item_dict(session, actor, schedule, item, destruction.today())
    data["document_rows"] = [{"id": d.id, "title": d.title or d.original_name,
                              "date": d.document_date, "pages": d.page_count}
                             for d in filing.documents_of(session, item.file)]
    return data


def certificate(archive: Archive, session: Session, actor: Actor,
                item_id: int) -> dict[str, Any]:
    """The stored certificate of an executed item, checked against its hashes."""
    actor.require(Perm.view_disposal)
    visible_item(session, actor, item_id)
    return destruction.certificate(archive, session, item_id)


def certificate_html(archive: Archive, session: Session, actor: Actor, item_id: int) -> str:
    """The certificate as stored (the printable record), if it is intact."""
    data = certificate(archive, session, actor, item_id)
    if not data["intact"]:
        raise NotFound(f"the certificate of item {item_id} does not match its hashes",
                       code="disposal.certificate_altered", id=item_id)
    return archive.store.path(data["html_path"]).read_text(encoding="utf-8")


# ── transfer ─────────────────────────────────────────────────────────────────────────


def _appraisal(session: Session, file: RecordFile) -> dict[str, Any] | None:
    found = transfer.appraisal_of(session, file)
    if found is None:
        return None
    return {"decision": found.decision, "reason": found.reason, "report_ref": found.report_ref,
            "by": found.appraised_by, "at": found.at}


def transfer_candidates(session: Session, actor: Actor,
                        schedule: Schedule) -> list[dict[str, Any]]:
    """Files flagged for transfer the user may see: their appraisal and what blocks them."""
    actor.require(Perm.transfer)
    ready, blocked = transfer.candidates(session, schedule)
    rows: list[tuple[RecordFile, list[str]]] = [(f, []) for f in ready] + [
        (filing.find_file(session, b["file"]), b["reason"].split("; ")) for b in blocked]
    return [{**filing.file_dict(session, f), "appraisal": _appraisal(session, f),
             "problems": problems, "ready": not problems}
            for f, problems in rows if file_visible(actor, f)]


def transfer_of(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    """A transfer whose every file the user may see (NotFound otherwise)."""
    actor.require(Perm.transfer)
    found = transfer.get_transfer(session, transfer_id)
    if not all(file_visible(actor, f) for f in transfer.transfer_files(session, found)):
        raise NotFound(f"no transfer {transfer_id}")
    return found


def pack_bag(session: Session, actor: Actor, transfer_id: int, folder: Path) -> tuple[Path, str]:
    """The exported bag as one ZIP (``transfer-NNNN/...``) after validating it again;
    returns the ZIP and its SHA-256. The download is audited."""
    found = transfer_of(session, actor, transfer_id)
    if found.status not in (transfer.Status.exported, transfer.Status.confirmed):
        raise NotPermitted(f"transfer {transfer_id} is {found.status}: no bag yet",
                           code="transfer.no_bag", id=transfer_id, status=found.status)
    transfer.verify_bag(found)  # an altered bag is refused, never handed out
    root = Path(found.bag_path)
    target = folder / f"{root.name}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as pack:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            pack.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    audit.append(session, actor.name, "transfer.download", f"transfer:{found.id}",
                 {"sha256": digest, "tagmanifest_sha256": found.tagmanifest_sha256})
    return target, digest
