"""The retention sweep and appraisal decisions.

The sweep looks at every file whose documents are ``archived`` and, as of a date,
moves it where its class says: national-archive files that reached 25 years are
flagged for transfer, fixed-term files past their due date go to the disposal queue
(disposition ``destroy``) or to appraisal (``appraise``). It only ever moves files out
of ``archived``, so a second run on the same date finds nothing to do. Held files stay
where they are and are reported, and so do files withdrawn from a destruction list (the
withdrawal is a decision: only a new one, such as an extension, brings them back).

Records change only as of the real date: a sweep as of any other day is a *preview*
that reports what it would do and writes nothing (no move, no queue item, no audit
entry), so a future ``--as-of`` cannot queue or flag a file years before it is due.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit, dates, disposal, filing, holds
from pipeline.auth import Actor, Perm
from pipeline.db.models import AppraisalRecord, Document, FileAssignment, RecordFile
from pipeline.errors import ConfigError, NotPermitted
from pipeline.lifecycle import TERMINAL, State, move_all
from pipeline.retention.schedule import Schedule


class Decision(StrEnum):
    keep = "keep"
    transfer = "transfer"
    destroy = "destroy"
    appraise = "appraise"
    awaiting_event = "awaiting_event"
    unknown_class = "unknown_class"


def decide(session: Session, schedule: Schedule, file: RecordFile, as_of: date) -> Decision:
    """Where the schedule sends a file on ``as_of`` (pure apart from reading extensions)."""
    if file.class_code not in schedule:
        return Decision.unknown_class
    cls = schedule.get(file.class_code)
    if cls.disposition == "national_archive":
        reached = filing.transfer_due(schedule, file)
        return Decision.transfer if reached and reached <= as_of else Decision.keep
    if cls.is_permanent:
        return Decision.keep
    due = filing.due_date(session, schedule, file)
    if due is None:
        return Decision.awaiting_event
    if due > as_of:
        return Decision.keep
    return Decision.destroy if cls.disposition == "destroy" else Decision.appraise


@dataclass
class FileMove:
    file_id: int
    file_number: str
    class_code: str
    due_date: date | None
    documents: list[int]
    disposal_item: int | None = None
    holds: list[int] = field(default_factory=list)


@dataclass
class SweepReport:
    as_of: date
    schedule: str
    #: True when ``as_of`` is not today: nothing was written
    preview: bool = False
    queued_for_disposal: list[FileMove] = field(default_factory=list)
    flagged_for_transfer: list[FileMove] = field(default_factory=list)
    appraisal: list[FileMove] = field(default_factory=list)
    held: list[FileMove] = field(default_factory=list)
    #: due files withdrawn from a destruction list: they stay until a new decision
    withdrawn: list[FileMove] = field(default_factory=list)
    awaiting_event: list[FileMove] = field(default_factory=list)
    unknown_class: list[FileMove] = field(default_factory=list)
    #: documents without a class: the sweep cannot place them
    unclassified: list[int] = field(default_factory=list)
    #: classified documents not yet filed (their retention has not started)
    not_filed: list[int] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Files moved (in a preview: files that would move)."""
        return len(self.queued_for_disposal) + len(self.flagged_for_transfer) + len(self.appraisal)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = self.changed
        return data


def _archived_files(session: Session) -> list[RecordFile]:
    file_ids = session.scalars(
        select(FileAssignment.file_id).join(Document, Document.id == FileAssignment.document_id)
        .where(Document.status == State.archived).distinct().order_by(FileAssignment.file_id))
    return [filing.get_file(session, i) for i in file_ids]


def _unplaced(session: Session) -> tuple[list[int], list[int]]:
    live = Document.status.not_in([s.value for s in TERMINAL])
    unclassified = session.scalars(select(Document.id).where(
        live, Document.class_code.is_(None)).order_by(Document.id))
    filed = select(FileAssignment.document_id)
    not_filed = session.scalars(select(Document.id).where(
        live, Document.class_code.is_not(None), Document.id.not_in(filed)).order_by(Document.id))
    return list(unclassified), list(not_filed)


def _move(file: RecordFile, docs: list[Document], due: date | None) -> FileMove:
    return FileMove(file.id, file.number, file.class_code, due, [d.id for d in docs])


def _sweep_file(session: Session, actor: Actor, schedule: Schedule, as_of: date,
                file: RecordFile, report: SweepReport) -> None:
    if not report.preview:
        filing.refresh_file(session, schedule, file)
    docs = filing.documents_of(session, file)
    if any(d.status != State.archived for d in docs):
        return  # a file moves as a whole; a half-moved file is settled by hand
    decision = decide(session, schedule, file, as_of)
    move = _move(file, docs, filing.due_date(session, schedule, file))
    if decision is Decision.destroy and (
            withdrawn := disposal.withdrawn_decision(session, file, move.due_date)):
        move.disposal_item = withdrawn.id
        report.withdrawn.append(move)
    elif report.preview:
        _preview(session, decision, move, docs, report)
    elif decision is Decision.transfer:
        move_all(session, actor, docs, State.flagged_for_transfer, f"25 years reached by {as_of}")
        report.flagged_for_transfer.append(move)
    elif decision is Decision.appraise:
        move_all(session, actor, docs, State.appraisal, f"retention over by {as_of}")
        report.appraisal.append(move)
    elif decision is Decision.destroy:
        _queue(session, actor, file, docs, move, report)
    elif decision in (Decision.awaiting_event, Decision.unknown_class):
        getattr(report, decision.value).append(move)


_REPORTED = {Decision.transfer: "flagged_for_transfer", Decision.appraise: "appraisal",
             Decision.destroy: "queued_for_disposal", Decision.awaiting_event: "awaiting_event",
             Decision.unknown_class: "unknown_class"}


def _preview(session: Session, decision: Decision, move: FileMove, docs: list[Document],
             report: SweepReport) -> None:
    """Report where the file would go, reading only."""
    if decision is Decision.destroy and (found := holds.covering(session, docs)):
        move.holds = [h.id for h in found]
        report.held.append(move)
    elif decision in _REPORTED:
        getattr(report, _REPORTED[decision]).append(move)


def _queue(session: Session, actor: Actor, file: RecordFile, docs: list[Document],
           move: FileMove, report: SweepReport) -> None:
    found = holds.covering(session, docs)
    if found:
        move.holds = [h.id for h in found]
        report.held.append(move)
        return
    move.disposal_item = disposal.enqueue(session, actor, file, docs, "schedule", move.due_date).id
    report.queued_for_disposal.append(move)


def sweep(session: Session, actor: Actor, schedule: Schedule, as_of: date | None = None,
          preview: bool = False) -> SweepReport:
    """Move every due file where its class sends it; report what could not be placed.

    Only a sweep as of today (the default) changes records; any other ``as_of`` previews,
    and so does ``preview`` (what a sweep today would do, before it is run).
    """
    actor.require(Perm.sweep)
    today = dates.today()
    as_of = as_of or today
    report = SweepReport(as_of, f"{schedule.schedule_id} v{schedule.version}",
                         preview=preview or as_of != today)
    report.unclassified, report.not_filed = _unplaced(session)
    for file in _archived_files(session):
        _sweep_file(session, actor, schedule, as_of, file, report)
    if report.changed and not report.preview:
        audit.append(session, actor.name, "retention.sweep", "retention",
                     {"as_of": as_of, "queued_for_disposal": len(report.queued_for_disposal),
                      "flagged_for_transfer": len(report.flagged_for_transfer),
                      "appraisal": len(report.appraisal)})
    return report


class Appraisal(StrEnum):
    destroy = "destroy"
    transfer = "transfer"
    retain = "retain"


def appraise(session: Session, actor: Actor, schedule: Schedule, file_id: int,
             decision: Appraisal, reason: str, years: int | None = None) -> RecordFile:
    """Decide a file in appraisal: destroy (to the queue), transfer, or retain ``years`` more."""
    actor.require(Perm.appraise)
    file = filing.get_file(session, file_id)
    docs = filing.documents_of(session, file)
    if not docs or any(d.status != State.appraisal for d in docs):
        raise NotPermitted(f"file {file.number} is not in appraisal")
    if not reason.strip():
        raise ConfigError("an appraisal decision needs a reason")
    if decision is Appraisal.destroy:
        disposal.enqueue(session, actor, file, docs, "appraisal", file.due_date)
    elif decision is Appraisal.transfer:
        move_all(session, actor, docs, State.flagged_for_transfer, f"appraisal: {reason}")
    else:
        filing.extend_retention(session, actor, schedule, file, years or 0, f"appraisal: {reason}")
        move_all(session, actor, docs, State.archived, f"appraisal: retain {years} years")
    session.add(AppraisalRecord(file_id=file.id, purpose="retention", decision=decision.value,
                                reason=reason, appraised_by=actor.name))
    audit.append(session, actor.name, "retention.appraise", f"file:{file.id}",
                 {"decision": decision.value, "reason": reason, "years": years})
    return file
