"""The disposal queue: destruction-list items, division comments and extension requests,
declassification and audit-consent records, and the two-officer approval.

An item is one file (案卷). It is ``queued`` by the sweep (or an appraisal), put on a
numbered destruction list (:mod:`pipeline.disposal_lists`) whose approval by the archives
authority is recorded once for the list, becomes ``approved`` only when two *different*
records officers confirmed it on a day it is due, and ``executed`` by
:mod:`pipeline.destruction`, which checks everything here again. An extension granted to
the owning division withdraws it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit, dates, filing, holds, secrecy
from pipeline.auth import Actor, Perm, Role
from pipeline.dates import to_roc_short
from pipeline.db.models import (
    AuditConsent,
    DisposalApproval,
    DisposalComment,
    DisposalItem,
    Document,
    ExtensionRequest,
    RecordFile,
)
from pipeline.errors import AccessDenied, ConfigError, NotFound, NotPermitted
from pipeline.lifecycle import State, move_all
from pipeline.retention.schedule import Schedule
from pipeline.search.base import clears


class ItemStatus(StrEnum):
    queued = "queued"
    approved = "approved"
    executed = "executed"
    withdrawn = "withdrawn"


class ListStatus(StrEnum):
    open = "open"  # made, awaiting the archives authority
    approved = "approved"


OPEN = (ItemStatus.queued, ItemStatus.approved)
REDACTED = "(機密 confidential)"
REQUIRED_APPROVALS = 2


def enqueue(session: Session, actor: Actor, file: RecordFile, docs: list[Document], origin: str,
            due: date | None) -> DisposalItem:
    """Put a file on the destruction list and move its documents to ``queued_for_disposal``."""
    move_all(session, actor, docs, State.queued_for_disposal,
             f"retention over on {due}" if due else "appraisal decided destruction")
    item = DisposalItem(file_id=file.id, status=ItemStatus.queued, origin=origin, due_date=due,
                        queued_by=actor.name)
    session.add(item)
    session.flush()
    audit.append(session, actor.name, "disposal.queue", f"disposal_item:{item.id}",
                 {"file": file.number, "origin": origin, "due": due})
    return item


def get_item(session: Session, item_id: int) -> DisposalItem:
    item = session.get(DisposalItem, item_id)
    if item is None:
        raise NotFound(f"no disposal item {item_id}")
    return item


def open_items(session: Session) -> list[DisposalItem]:
    return list(session.scalars(select(DisposalItem).where(
        DisposalItem.status.in_([s.value for s in OPEN])).order_by(DisposalItem.id)))


def withdrawn_decision(session: Session, file: RecordFile, due: date | None
                       ) -> DisposalItem | None:
    """The file's latest item if it was withdrawn for this same due date: that decision
    stands, and the file does not come back at the next sweep, until a new decision moves
    the due date (an extension of its retention)."""
    item = session.scalar(select(DisposalItem).where(DisposalItem.file_id == file.id)
                          .order_by(DisposalItem.id.desc()).limit(1))
    if item is not None and item.status == ItemStatus.withdrawn and item.due_date == due:
        return item
    return None


def closed_items(session: Session) -> list[DisposalItem]:
    """Executed and withdrawn items, newest first: the list's history stays readable."""
    return list(session.scalars(select(DisposalItem).where(
        DisposalItem.status.in_([ItemStatus.executed, ItemStatus.withdrawn]))
        .order_by(DisposalItem.id.desc())))


def approvals(session: Session, item: DisposalItem) -> list[DisposalApproval]:
    return list(session.scalars(select(DisposalApproval).where(
        DisposalApproval.item_id == item.id).order_by(DisposalApproval.id)))


def pending_extensions(session: Session, item: DisposalItem) -> list[ExtensionRequest]:
    return list(session.scalars(select(ExtensionRequest).where(
        ExtensionRequest.item_id == item.id, ExtensionRequest.status == "pending")))


def has_audit_consent(session: Session, file: RecordFile) -> bool:
    return session.scalar(select(AuditConsent.id).where(AuditConsent.file_id == file.id)
                          .limit(1)) is not None


def _class_problems(schedule: Schedule, item: DisposalItem) -> list[str]:
    code = item.file.class_code
    if code not in schedule:
        return [f"class {code} is not in schedule {schedule.schedule_id} v{schedule.version}"]
    cls = schedule.get(code)
    if cls.is_permanent:
        return [f"class {code} is permanent ({cls.disposition})"]
    if cls.disposition == "appraise" and item.origin != "appraisal":
        return [f"class {code} is appraised before destruction, and no appraisal decided it"]
    return []


def _due_problems(session: Session, schedule: Schedule, item: DisposalItem,
                  today: date) -> list[str]:
    message = not_due_message(item, filing.due_date(session, schedule, item.file), today)
    return [message] if message else []


def _record_problems(session: Session, schedule: Schedule, item: DisposalItem,
                     docs: list[Document]) -> list[str]:
    problems = [f"hold {h.id} ({h.kind}, {h.scope} {h.target}): {h.reason}"
                for h in holds.covering(session, docs)]
    problems += secrecy.classified_blockers(session, item.file, docs)
    code = item.file.class_code
    if code in schedule and schedule.get(code).accounting_record \
            and not has_audit_consent(session, item.file):
        problems.append("accounting records: no audit-authority consent recorded")
    problems += [f"extension request {r.id} is pending" for r in pending_extensions(session, item)]
    return problems


def eligibility_problems(session: Session, schedule: Schedule, item: DisposalItem,
                         today: date) -> list[str]:
    """Everything, besides approvals, that forbids destroying this item on ``today``."""
    docs = filing.documents_of(session, item.file)
    return (_class_problems(schedule, item) + _due_problems(session, schedule, item, today)
            + _record_problems(session, schedule, item, docs))


def list_problems(item: DisposalItem) -> list[str]:
    """The item must be on a destruction list the archives authority approved."""
    dl = item.disposal_list
    if dl is None:
        return ["not on a destruction list (records disposal list create)"]
    if dl.status != ListStatus.approved or not dl.authority_ref:
        return [f"destruction list {dl.number} has no recorded approval of the archives "
                "authority (records disposal list approve)"]
    return []


def approval_problems(session: Session, item: DisposalItem) -> list[str]:
    rows = approvals(session, item)
    officers = {a.user_id for a in rows}
    refs = {a.authority_ref for a in rows}
    problems = list_problems(item)
    if len(officers) < REQUIRED_APPROVALS:
        problems.append(f"needs approval by {REQUIRED_APPROVALS} different records officers "
                        f"(has {len(officers)})")
    if len(refs) > 1 or (rows and item.status == ItemStatus.approved
                         and refs != {item.authority_ref}):
        problems.append("approvals cite different authority references")
    return problems


def visible(clearance: str, file: RecordFile) -> bool:
    """May someone with ``clearance`` read the file's title and summary?"""
    return clears(clearance, file.confidentiality)


def item_dict(session: Session, actor: Actor, schedule: Schedule, item: DisposalItem,
              today: date) -> dict[str, Any]:
    file = item.file
    shown = visible(actor.clearance, file)
    return {
        "id": item.id, "status": item.status, "origin": item.origin, "file_id": file.id,
        "file_number": file.number, "class_code": file.class_code,
        "title": file.title if shown else REDACTED,
        "summary": file.summary if shown else None, "division": file.division,
        "date_from": file.date_from, "date_to": file.date_to, "retention": file.retention,
        "due_date": filing.due_date(session, schedule, file), "authority_ref": item.authority_ref,
        "list": item.disposal_list.number if item.disposal_list else None,
        "position": item.position,
        "documents": [d.id for d in filing.documents_of(session, file)],
        "approvals": [{"officer": a.officer, "at": a.at, "authority_ref": a.authority_ref,
                       "reason": a.reason} for a in approvals(session, item)],
        "comments": [{"author": c.author, "division": c.division, "text": c.text, "at": c.at}
                     for c in comments(session, item)],
        "extension_requests": [extension_dict(r) for r in extensions(session, item)],
        "blockers": approval_problems(session, item)
        + eligibility_problems(session, schedule, item, today),
    }


def queue(session: Session, actor: Actor, schedule: Schedule, today: date) -> list[dict[str, Any]]:
    """The open destruction list, each item with what still blocks its execution."""
    actor.require(Perm.view_disposal)
    return [item_dict(session, actor, schedule, i, today) for i in open_items(session)]


def _open_item(session: Session, item_id: int) -> DisposalItem:
    item = get_item(session, item_id)
    if item.status not in OPEN:
        raise NotPermitted(f"disposal item {item_id} is {item.status}")
    return item


def _check_division(actor: Actor, file: RecordFile) -> None:
    """Staff speak for their own division only; records officers may record for any."""
    if actor.role is Role.staff and file.division and actor.division != file.division:
        raise AccessDenied(f"file {file.number} belongs to {file.division}: only that "
                           "division comments or asks for an extension")


def comment(session: Session, actor: Actor, item_id: int, text: str) -> DisposalComment:
    actor.require(Perm.comment)
    item = _open_item(session, item_id)
    _check_division(actor, item.file)
    if not text.strip():
        raise ConfigError("a comment needs text")
    row = DisposalComment(item_id=item.id, author=actor.name, division=actor.division, text=text)
    session.add(row)
    audit.append(session, actor.name, "disposal.comment", f"disposal_item:{item.id}",
                 {"text": text, "division": actor.division})
    return row


def comments(session: Session, item: DisposalItem) -> list[DisposalComment]:
    return list(session.scalars(select(DisposalComment).where(
        DisposalComment.item_id == item.id).order_by(DisposalComment.id)))


def request_extension(session: Session, actor: Actor, item_id: int, years: int,
                      reason: str) -> ExtensionRequest:
    """The owning division asks to keep the file ``years`` longer; blocks approval meanwhile."""
    actor.require(Perm.comment)
    item = _open_item(session, item_id)
    _check_division(actor, item.file)
    if not 1 <= years <= 30 or not reason.strip():
        raise ConfigError("an extension request needs 1 to 30 years and a reason")
    row = ExtensionRequest(item_id=item.id, division=actor.division or item.file.division,
                           years=years, reason=reason, requested_by=actor.name)
    session.add(row)
    session.flush()
    audit.append(session, actor.name, "disposal.request_extension", f"disposal_item:{item.id}",
                 {"request": row.id, "years": years, "reason": reason})
    return row


def extensions(session: Session, item: DisposalItem) -> list[ExtensionRequest]:
    return list(session.scalars(select(ExtensionRequest).where(
        ExtensionRequest.item_id == item.id).order_by(ExtensionRequest.id)))


def extension_dict(r: ExtensionRequest) -> dict[str, Any]:
    return {"id": r.id, "division": r.division, "years": r.years, "reason": r.reason,
            "requested_by": r.requested_by, "status": r.status, "decided_by": r.decided_by,
            "decision_reason": r.decision_reason}


def decide_extension(session: Session, actor: Actor, schedule: Schedule, request_id: int,
                     grant: bool, reason: str) -> ExtensionRequest:
    """A records officer grants (the file leaves the list, kept longer) or refuses."""
    actor.require(Perm.appraise)
    req = session.get(ExtensionRequest, request_id)
    if req is None or req.status != "pending":
        raise NotPermitted(f"extension request {request_id} is not pending")
    item = _open_item(session, req.item_id)
    req.status, req.decided_by = ("granted" if grant else "refused"), actor.name
    req.decided_at, req.decision_reason = datetime.now(UTC), reason
    audit.append(session, actor.name, "disposal.decide_extension", f"disposal_item:{item.id}",
                 {"request": req.id, "granted": grant, "reason": reason})
    if grant:
        filing.extend_retention(session, actor, schedule, item.file, req.years,
                                f"{req.reason} ({req.division or req.requested_by})")
        withdraw(session, actor, item, f"extension of {req.years} years granted")
    return req


def withdraw_item(session: Session, actor: Actor, item_id: int, reason: str) -> DisposalItem:
    """Take an item off the list by decision (e.g. the archives authority did not approve)."""
    actor.require(Perm.appraise)
    item = _open_item(session, item_id)
    if not reason.strip():
        raise ConfigError("withdrawing an item needs a reason", code="reason.required")
    withdraw(session, actor, item, reason)
    return item


def withdraw(session: Session, actor: Actor, item: DisposalItem, reason: str) -> None:
    """Take a file off the list: its documents return to ``archived``."""
    move_all(session, actor, filing.documents_of(session, item.file), State.archived, reason)
    item.status, item.withdrawn_reason = ItemStatus.withdrawn, reason
    audit.append(session, actor.name, "disposal.withdraw", f"disposal_item:{item.id}",
                 {"reason": reason})


def _check_list(item: DisposalItem, authority_ref: str | None) -> str:
    """The item's list must carry the archives authority's approval; returns its 文號."""
    dl = item.disposal_list
    if dl is None or dl.status != ListStatus.approved or not dl.authority_ref:
        where = f"銷毀目錄 {dl.number} 尚未記錄檔案管理局核准文號" if dl else "尚未列入銷毀目錄"
        raise NotPermitted(f"銷毀項目 {item.id}（檔號 {item.file.number}）{where}，不得核准銷毀 "
                           "(only items on a list the archives authority approved)",
                           code="disposal.list_not_approved", id=item.id)
    if authority_ref and authority_ref.strip() and authority_ref.strip() != dl.authority_ref:
        raise NotPermitted(f"銷毀目錄 {dl.number} 的核准文號是 {dl.authority_ref}，"
                           f"與所填 {authority_ref!r} 不符", code="disposal.other_reference",
                           id=item.id, ref=dl.authority_ref)
    return dl.authority_ref


def not_due_message(item: DisposalItem, due: date | None, on: date) -> str | None:
    """Why the item may not be approved or destroyed on ``on`` (None: it is due)."""
    if due is None:
        return (f"銷毀項目 {item.id}（檔號 {item.file.number}）無保存年限屆滿日（永久保存或"
                "觸發事件未記錄），不得銷毀")
    if due > on:
        return (f"銷毀項目 {item.id}（檔號 {item.file.number}）保存年限至 "
                f"{to_roc_short(due - timedelta(days=1))} 止，尚未屆滿，{to_roc_short(on)} "
                f"不得核准或銷毀 (retention runs until {due.isoformat()}, exclusive)")
    return None


def _check_approval(session: Session, actor: Actor, schedule: Schedule, item: DisposalItem,
                    reason: str, on: date) -> None:
    if actor.user_id is None:
        raise AccessDenied("disposal approvals need a logged-in records officer")
    if item.status != ItemStatus.queued:
        raise NotPermitted(f"disposal item {item.id} is {item.status}, not awaiting approval",
                           code="disposal.not_queued", id=item.id, status=item.status)
    if not reason.strip():
        raise ConfigError("核准須填寫理由 (an approval needs a reason)")
    if message := not_due_message(item, filing.due_date(session, schedule, item.file), on):
        raise NotPermitted(message)
    if any(a.user_id == actor.user_id for a in approvals(session, item)):
        raise NotPermitted(f"{actor.name} approved disposal item {item.id} already: a second, "
                           "different records officer must approve",
                           code="disposal.same_officer", id=item.id)
    if pending := pending_extensions(session, item):
        raise NotPermitted(f"extension request {pending[0].id} is pending: decide it first",
                           code="disposal.extension_pending", id=pending[0].id)


def approve(session: Session, actor: Actor, schedule: Schedule, item_id: int, reason: str,
            authority_ref: str | None = None) -> DisposalItem:
    """Record one officer's confirmation of an item on an approved list; the second distinct
    officer's makes it ``approved``. Refused for an item not due today."""
    actor.require(Perm.approve)
    item = get_item(session, item_id)
    # a hold stops everything: said first, whatever else is missing
    holds.ensure_free(session, filing.documents_of(session, item.file))
    ref = _check_list(item, authority_ref)
    _check_approval(session, actor, schedule, item, reason, dates.today())
    session.add(DisposalApproval(item_id=item.id, user_id=actor.user_id, officer=actor.name,
                                 reason=reason, authority_ref=ref))
    session.flush()
    audit.append(session, actor.name, "disposal.approve", f"disposal_item:{item.id}",
                 {"reason": reason, "authority_ref": ref})
    officers = [a.officer for a in approvals(session, item)]
    if len(officers) >= REQUIRED_APPROVALS:
        move_all(session, actor, filing.documents_of(session, item.file), State.approved,
                 f"approved by {' and '.join(officers)} under {ref}")
        item.status, item.authority_ref = ItemStatus.approved, ref
    return item


def record_audit_consent(session: Session, actor: Actor, file_id: int, reference: str,
                         note: str | None = None) -> AuditConsent:
    """Record the audit authority's consent to destroy an accounting-record file."""
    actor.require(Perm.declassify)
    file = filing.get_file(session, file_id)
    if not reference.strip():
        raise ConfigError("an audit consent needs the authority's letter number")
    row = AuditConsent(file_id=file.id, reference=reference, note=note, recorded_by=actor.name)
    session.add(row)
    audit.append(session, actor.name, "record.audit_consent", f"file:{file.id}",
                 {"reference": reference, "note": note})
    return row
