"""Classification and filing: a document gets its class, then its place in a file (案卷).

The file is the unit of retention: its dates span its documents, its trigger and due
dates come from its class in the retention schedule, plus any recorded extension.
Numbers follow ``年度號-分類號-案次號-卷次號-目次號``: ``113-020201-0001`` names the
file, ``113-020201-0001-001-0003`` the third item of its first volume.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import audit
from pipeline.auth import Actor, Perm
from pipeline.dates import ROC_OFFSET, add_years, retention_due
from pipeline.db.models import MAX_INT, Document, FileAssignment, RecordFile, RetentionChange
from pipeline.errors import ConfigError, NotFound, NotPermitted
from pipeline.lifecycle import State, get_document, transition
from pipeline.retention.printed import constraints
from pipeline.retention.schedule import (
    PERMANENT_TRANSFER_YEARS,
    RetentionClass,
    Schedule,
    load_rules_dir,
)
from pipeline.search.base import stricter
from pipeline.settings import Settings

#: states in which a document still sits in an open file (more may be added)
_OPEN_STATES = frozenset({State.archived})


def schedule_for(settings: Settings, as_of: date | None = None) -> Schedule:
    """The retention schedule in force (on ``as_of``), from the configured rules directory."""
    return load_rules_dir(settings.rules_dir, as_of=as_of)


def leaf_class(schedule: Schedule, code: str) -> RetentionClass:
    if code not in schedule:
        raise ConfigError(f"no class {code!r} in schedule {schedule.schedule_id}")
    if not schedule.is_leaf(code):
        raise ConfigError(f"{code} is a heading of the schedule: file under one of its sub-classes")
    return schedule.get(code)


def item_number(file: RecordFile, assignment: FileAssignment) -> str:
    return f"{file.number}-{assignment.volume:03d}-{assignment.item:04d}"


def classify(session: Session, actor: Actor, schedule: Schedule, document_id: int, code: str,
             *, review: bool = False, reason: str = "") -> Document:
    """Give a document its class: ``classified``, or ``needs_review`` when uncertain.

    A class shorter than the document's printed 保存年限, or other than its printed class
    code, is refused (:mod:`pipeline.retention.printed`), whoever asks.
    """
    doc = get_document(session, document_id)
    cls = leaf_class(schedule, code)
    if why := constraints(schedule, doc.printed).why_not(schedule, code):
        raise NotPermitted(f"文件 {doc.id} 不得歸入 {code}：{why}")
    target = State.needs_review if review else State.classified
    if doc.status == target and doc.class_code != code:
        actor.require(Perm.classify)
        audit.append(session, actor.name, "lifecycle.reclassify", f"document:{doc.id}",
                      {"from": doc.class_code, "to": code, "reason": reason})
    elif doc.status != target:
        transition(session, actor, doc, target, reason or f"class {code}", {"class": code})
    doc.class_code = code
    doc.confidentiality = stricter(doc.confidentiality, cls.confidentiality)
    return doc


def file_documents(session: Session, file: RecordFile) -> list[tuple[Document, FileAssignment]]:
    rows = session.execute(
        select(Document, FileAssignment)
        .join(FileAssignment, FileAssignment.document_id == Document.id)
        .where(FileAssignment.file_id == file.id)
        .order_by(FileAssignment.volume, FileAssignment.item)
    ).all()
    return [(d, a) for d, a in rows]


def documents_of(session: Session, file: RecordFile) -> list[Document]:
    return [d for d, _ in file_documents(session, file)]


def _doc_date(doc: Document) -> date:
    return doc.document_date or doc.created_at.date()


def _is_open(session: Session, file: RecordFile) -> bool:
    return all(State(d.status) in _OPEN_STATES for d in documents_of(session, file))


def _new_file(session: Session, schedule: Schedule, doc: Document, code: str) -> RecordFile:
    year = _doc_date(doc).year - ROC_OFFSET
    last = session.scalar(select(func.max(RecordFile.case_no)).where(
        RecordFile.year == year, RecordFile.class_code == code))
    file = RecordFile(year=year, class_code=code, case_no=(last or 0) + 1,
                      title=schedule.get(code).title.zh_tw, division=doc.division, events={})
    session.add(file)
    session.flush()
    return file


def open_file_for(session: Session, schedule: Schedule, doc: Document) -> RecordFile:
    """The open file of the document's year, class and division, or a new one."""
    code = doc.class_code or ""
    year = _doc_date(doc).year - ROC_OFFSET
    candidates = session.scalars(select(RecordFile).where(
        RecordFile.year == year, RecordFile.class_code == code,
        RecordFile.division.is_(None) if doc.division is None
        else RecordFile.division == doc.division).order_by(RecordFile.case_no.desc()))
    for file in candidates:
        if _is_open(session, file):
            return file
    return _new_file(session, schedule, doc, code)


def _target_file(session: Session, schedule: Schedule, doc: Document,
                 file_id: int | None) -> RecordFile:
    if file_id is None:
        return open_file_for(session, schedule, doc)
    file = session.get(RecordFile, file_id)
    if file is None:
        raise NotFound(f"no file {file_id}")
    if file.class_code != doc.class_code:
        raise NotPermitted(f"document {doc.id} has class {doc.class_code}; file {file.number} "
                           f"is of class {file.class_code}")
    if not _is_open(session, file):
        raise NotPermitted(f"file {file.number} is closed: its documents left the archive")
    return file


def file_document(session: Session, actor: Actor, schedule: Schedule, document_id: int,
                  file_id: int | None = None) -> FileAssignment:
    """Put a classified document into a file (``archived``): retention starts to run."""
    doc = get_document(session, document_id)
    if doc.class_code is None:
        raise NotPermitted(f"document {doc.id} has no class: classify it first")
    actor.require(Perm.classify)
    file = _target_file(session, schedule, doc, file_id)
    last = session.scalar(select(func.max(FileAssignment.item)).where(
        FileAssignment.file_id == file.id, FileAssignment.volume == 1))
    assignment = FileAssignment(document_id=doc.id, file_id=file.id, volume=1,
                                item=(last or 0) + 1, assigned_by=actor.name)
    session.add(assignment)
    session.flush()
    transition(session, actor, doc, State.archived, f"filed in {file.number}",
               {"file": file.number, "item": item_number(file, assignment)})
    refresh_file(session, schedule, file)
    return assignment


def extension_years(session: Session, file: RecordFile) -> int:
    total = session.scalar(select(func.sum(RetentionChange.years)).where(
        RetentionChange.file_id == file.id))
    return int(total or 0)


def due_date(session: Session, schedule: Schedule, file: RecordFile) -> date | None:
    """First day the file's retention is over; None if permanent or its event is unknown."""
    if file.date_to is None or file.class_code not in schedule:
        return None
    events = {k: date.fromisoformat(v) for k, v in (file.events or {}).items()}
    base = schedule.get(file.class_code).due_date(file.date_to, events)
    return None if base is None else add_years(base, extension_years(session, file))


def transfer_due(schedule: Schedule, file: RecordFile) -> date | None:
    """First day a national-archive file may be transferred.

    國家檔案移轉辦法 art. 2: permanent files are transferred in the year after they reach
    25 years, counted from the latest document of the file (案卷).
    """
    if file.date_to is None or file.class_code not in schedule:
        return None
    if schedule.get(file.class_code).disposition != "national_archive":
        return None
    reached = retention_due(file.date_to, PERMANENT_TRANSFER_YEARS) - timedelta(days=1)
    return date(reached.year + 1, 1, 1)


def refresh_file(session: Session, schedule: Schedule, file: RecordFile) -> RecordFile:
    """Recompute dates, retention, due date, confidentiality and summary from the documents."""
    docs = documents_of(session, file)
    if docs:
        file.date_from = min(_doc_date(d) for d in docs)
        file.date_to = max(_doc_date(d) for d in docs)
        file.summary = "；".join(dict.fromkeys(d.title for d in docs if d.title))[:500] or None
        for d in docs:
            file.confidentiality = stricter(file.confidentiality, d.confidentiality)
    if file.class_code in schedule and file.date_to is not None:
        cls = schedule.get(file.class_code)
        events = {k: date.fromisoformat(v) for k, v in (file.events or {}).items()}
        file.retention = str(cls.retention)
        file.trigger_date = cls.trigger_date(file.date_to, events)
        file.due_date = due_date(session, schedule, file)
    return file


def record_event(session: Session, actor: Actor, schedule: Schedule, file_id: int, name: str,
                 when: date) -> RecordFile:
    """Record a trigger event of a file (e.g. ``contract_end``): event-based retention starts."""
    actor.require(Perm.classify)
    file = get_file(session, file_id)
    file.events = {**(file.events or {}), name: when.isoformat()}
    audit.append(session, actor.name, "file.event", f"file:{file.id}",
                 {"event": name, "date": when.isoformat()})
    return refresh_file(session, schedule, file)


def extend_retention(session: Session, actor: Actor, schedule: Schedule, file: RecordFile,
                     years: int, reason: str) -> RetentionChange:
    """Keep a file ``years`` longer; the change and its reason appear on destruction lists."""
    if years < 1 or not reason.strip():
        raise ConfigError("an extension needs at least one year and a reason")
    old = due_date(session, schedule, file)
    change = RetentionChange(file_id=file.id, years=years, reason=reason, old_due=old,
                             decided_by=actor.name)
    session.add(change)
    session.flush()
    change.new_due = due_date(session, schedule, file)
    refresh_file(session, schedule, file)
    audit.append(session, actor.name, "file.extend_retention", f"file:{file.id}",
                 {"years": years, "reason": reason, "old_due": old, "new_due": change.new_due})
    return change


def get_file(session: Session, file_id: int) -> RecordFile:
    file = session.get(RecordFile, file_id)
    if file is None:
        raise NotFound(f"no file {file_id}")
    return file


def find_file(session: Session, ref: str) -> RecordFile:
    """A file by id (``12``) or number (``113-020201-0001``)."""
    if ref.isdecimal() and int(ref) <= MAX_INT:
        return get_file(session, int(ref))
    parts = ref.split("-")
    if len(parts) != 3 or not all(p.isdecimal() and int(p) <= MAX_INT for p in parts):
        raise NotFound(f"no file {ref!r}: give an id or a number like 113-020201-0001")
    file = session.scalar(select(RecordFile).where(
        RecordFile.year == int(parts[0]), RecordFile.class_code == parts[1],
        RecordFile.case_no == int(parts[2])))
    if file is None:
        raise NotFound(f"no file {ref}")
    return file


def file_dict(session: Session, file: RecordFile) -> dict[str, Any]:
    pairs = file_documents(session, file)
    return {
        "id": file.id, "number": file.number, "year": file.year, "class_code": file.class_code,
        "case_no": file.case_no, "title": file.title, "division": file.division,
        "confidentiality": file.confidentiality, "date_from": file.date_from,
        "date_to": file.date_to, "retention": file.retention, "trigger_date": file.trigger_date,
        "due_date": file.due_date, "events": file.events, "summary": file.summary,
        "volumes": max((a.volume for _, a in pairs), default=0),
        "documents": [{"id": d.id, "item": item_number(file, a), "status": d.status,
                       "title": d.title} for d, a in pairs],
    }
