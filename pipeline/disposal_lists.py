"""Numbered destruction lists (銷毀目錄): one per batch of due files, approved once.

機關檔案保存年限及銷毀辦法 art. 8 has the agency list the files whose retention ran out,
send the list (with its destruction plan) to the archives authority, and destroy only
what the approval covers; art. 17 has the approval letter's number written onto the
list. Here :func:`create` gathers the queued files that are due *today* into a list
numbered ``<ROC year>-<n>`` (files not due, held, classified without declassification or
with a pending extension request stay off it, reported with the reason);
:func:`record_approval` records the authority's letter (文號 checked by
:mod:`pipeline.authority`, and its date) once for the list, withdrawing any file the
authority did not approve. Only items of an approved list can be confirmed by the two
officers and executed (:mod:`pipeline.disposal`, :mod:`pipeline.destruction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import audit, authority, dates, disposal, filing, holds, secrecy
from pipeline.auth import Actor, Perm
from pipeline.dates import ROC_OFFSET, to_roc_short
from pipeline.db.models import DisposalItem, DisposalList
from pipeline.disposal import ItemStatus, ListStatus
from pipeline.errors import ConfigError, NotFound, NotPermitted
from pipeline.retention.schedule import Schedule


@dataclass
class Created:
    disposal_list: DisposalList
    items: list[int]
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"list": self.disposal_list.number, "id": self.disposal_list.id,
                "items": self.items, "skipped": self.skipped}


def _why_not(session: Session, schedule: Schedule, item: DisposalItem, on: date) -> str | None:
    """Why a queued item may not go on a list today (None: it may)."""
    due = disposal.not_due_message(item, filing.due_date(session, schedule, item.file), on)
    docs = filing.documents_of(session, item.file)
    problems = ([due] if due else []) + [
        f"hold {h.id} ({h.kind})" for h in holds.covering(session, docs)]
    problems += secrecy.classified_blockers(session, item.file, docs)
    problems += [f"extension request {r.id} is pending"
                 for r in disposal.pending_extensions(session, item)]
    return "; ".join(problems) or None


def _unlisted(session: Session, item_ids: list[int] | None) -> list[DisposalItem]:
    if not item_ids:
        return list(session.scalars(select(DisposalItem).where(
            DisposalItem.status == ItemStatus.queued, DisposalItem.list_id.is_(None))
            .order_by(DisposalItem.id)))
    items = [disposal.get_item(session, i) for i in item_ids]
    for item in items:
        if item.status != ItemStatus.queued or item.list_id is not None:
            where = f"on list {item.disposal_list.number}" if item.disposal_list else item.status
            raise NotPermitted(f"disposal item {item.id} is {where}: not available for a new list",
                               code="disposal.not_listable", id=item.id)
    return items


def _new_list(session: Session, actor: Actor, on: date) -> DisposalList:
    year = on.year - ROC_OFFSET
    last = session.scalar(select(func.max(DisposalList.seq)).where(DisposalList.year == year))
    dl = DisposalList(year=year, seq=(last or 0) + 1, status=ListStatus.open,
                      created_by=actor.name)
    session.add(dl)
    session.flush()
    return dl


def create(session: Session, actor: Actor, schedule: Schedule,
           item_ids: list[int] | None = None) -> Created:
    """Put the queued items that are due today (all, or those named) on a new list."""
    actor.require(Perm.appraise)
    on = dates.today()
    chosen, skipped = [], []
    for item in _unlisted(session, item_ids):
        why = _why_not(session, schedule, item, on)
        if why and item_ids:
            raise NotPermitted(f"銷毀項目 {item.id} 不得列入銷毀目錄：{why}")
        (skipped.append({"id": item.id, "file": item.file.number, "reason": why}) if why
         else chosen.append(item))
    if not chosen:
        raise NotPermitted("沒有今天已屆保存年限、可列入銷毀目錄的檔案 (no due item to list)",
                           code="disposal.nothing_due", skipped=len(skipped))
    dl = _new_list(session, actor, on)
    for position, item in enumerate(chosen, start=1):
        item.list_id, item.position = dl.id, position
    audit.append(session, actor.name, "disposal.list_create", f"disposal_list:{dl.id}",
                 {"number": dl.number, "items": [i.id for i in chosen], "skipped": skipped})
    return Created(dl, [i.id for i in chosen], skipped)


def get_list(session: Session, ref: str | int) -> DisposalList:
    """A list by id (``3``) or number (``115-001``)."""
    text = str(ref).strip()
    if text.isdigit():
        found = session.get(DisposalList, int(text))
    else:
        year, _, seq = text.partition("-")
        found = session.scalar(select(DisposalList).where(
            DisposalList.year == int(year), DisposalList.seq == int(seq))) \
            if year.isdigit() and seq.isdigit() else None
    if found is None:
        raise NotFound(f"no destruction list {ref!r}: give an id or a number like 115-001")
    return found


def items_of(session: Session, dl: DisposalList) -> list[DisposalItem]:
    return list(session.scalars(select(DisposalItem).where(DisposalItem.list_id == dl.id)
                                .order_by(DisposalItem.position)))


def all_lists(session: Session) -> list[DisposalList]:
    return list(session.scalars(select(DisposalList).order_by(DisposalList.id)))


def record_approval(session: Session, actor: Actor, ref: str | int, authority_ref: str,
                    approved_on: date, not_approved: list[int] | None = None) -> DisposalList:
    """Record the archives authority's approval letter for a whole list, once.

    Items in ``not_approved`` (the authority struck them) are withdrawn: their files
    return to ``archived``.
    """
    authority.check_recorder(actor, Perm.approve)
    dl = get_list(session, ref)
    if dl.status != ListStatus.open:
        raise NotPermitted(f"銷毀目錄 {dl.number} 已記錄核准文號 {dl.authority_ref}"
                           f"（{to_roc_short(dl.approved_on) if dl.approved_on else ''}），"
                           "不得重複記錄", code="disposal.list_approved", number=dl.number,
                           ref=dl.authority_ref)
    letter = authority.parse_ref(authority_ref, approved_on)
    if approved_on < dl.created_at.date():
        raise ConfigError(f"核准日期 {to_roc_short(approved_on)} 早於銷毀目錄 {dl.number} "
                          "的製作日期", code="disposal.approval_before_list", number=dl.number,
                          date=approved_on)
    _strike(session, actor, dl, not_approved or [], letter)
    dl.status, dl.authority_ref, dl.approved_on = ListStatus.approved, letter, approved_on
    dl.approval_recorded_by, dl.approval_recorded_at = actor.name, datetime.now(UTC)
    audit.append(session, actor.name, "disposal.list_approve", f"disposal_list:{dl.id}",
                 {"authority_ref": letter, "approved_on": approved_on,
                  "not_approved": not_approved or []})
    return dl


def _strike(session: Session, actor: Actor, dl: DisposalList, item_ids: list[int],
            letter: str) -> None:
    on_list = {i.id: i for i in items_of(session, dl)}
    for item_id in item_ids:
        item = on_list.get(item_id)
        if item is None:
            raise NotFound(f"disposal item {item_id} is not on list {dl.number}",
                           code="disposal.not_on_list", id=item_id, number=dl.number)
        if item.status in disposal.OPEN:
            disposal.withdraw(session, actor, item, f"檔案管理局未同意銷毀（{letter}）")


def list_dict(session: Session, dl: DisposalList) -> dict[str, Any]:
    return {"id": dl.id, "number": dl.number, "status": dl.status, "created_by": dl.created_by,
            "created_at": dl.created_at, "authority_ref": dl.authority_ref,
            "approved_on": dl.approved_on,
            "items": [{"id": i.id, "position": i.position, "file_number": i.file.number,
                       "status": i.status} for i in items_of(session, dl)]}
