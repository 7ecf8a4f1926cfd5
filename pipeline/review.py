"""The review queue: documents the classifier was not sure of, and the officer's answer.

Accepting the proposed class or correcting it are records-officer actions (permission
``classify``). Both move the document to ``classified`` through the lifecycle, store an
officer's :class:`~pipeline.db.models.Classification` (method ``review``), add a training
example, and write an audit entry. An officer may also confirm or correct a document the
classifier filed as ``classified`` on its own; filed (archived) documents keep their class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit, filing
from pipeline.auth import Actor, Perm
from pipeline.classify import latest_decision
from pipeline.db.models import Classification, Document
from pipeline.docheader import printed_values
from pipeline.errors import NotFound, NotPermitted
from pipeline.lifecycle import State, get_document
from pipeline.retention.schedule import Schedule
from pipeline.search.base import clears
from pipeline.training import add_example

#: states in which an officer's answer is still taken
REVIEWABLE = (State.captured, State.needs_review, State.classified)


@dataclass(frozen=True)
class ReviewItem:
    document_id: int
    title: str | None
    class_code: str | None
    class_title: str | None
    confidence: float | None
    method: str | None
    decided_at: datetime | None
    explanation: dict[str, Any]
    #: 檔號, 保存年限, 密等, 解密條件 as printed on the document
    printed: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """Why it is here, in words: the decision's review reason or its summary."""
        e = self.explanation
        return e.get("review_reason") or e.get("summary")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.document_id, "title": self.title, "class_code": self.class_code,
                "class_title": self.class_title, "confidence": self.confidence,
                "method": self.method, "decided_at": self.decided_at,
                "printed": self.printed, "reason": self.reason,
                "explanation": self.explanation}


def may_see(actor: Actor, doc: Document) -> bool:
    """The actor's clearance reaches the document's confidentiality (unknown: hidden)."""
    return clears(actor.clearance, doc.confidentiality)


def queue(session: Session, actor: Actor, schedule: Schedule) -> tuple[list[ReviewItem], int]:
    """Documents in ``needs_review`` the actor may see, oldest first; and how many are not."""
    actor.require(Perm.classify)
    docs = session.scalars(select(Document).where(Document.status == State.needs_review)
                           .order_by(Document.id)).all()
    visible = [d for d in docs if may_see(actor, d)]
    return [_item(session, schedule, d) for d in visible], len(docs) - len(visible)


def _item(session: Session, schedule: Schedule, doc: Document) -> ReviewItem:
    last = latest_decision(session, doc.id)
    code = doc.class_code
    return ReviewItem(doc.id, doc.title, code,
                      schedule.get(code).title.zh_tw if code and code in schedule else None,
                      last.confidence if last else None, last.method if last else None,
                      last.decided_at if last else None, last.explanation if last else {},
                      printed_values(doc.printed))


def _reviewable(session: Session, actor: Actor, document_id: int) -> Document:
    actor.require(Perm.classify)
    doc = get_document(session, document_id)
    if not may_see(actor, doc):
        raise NotFound(f"no document {document_id}")
    if doc.status not in REVIEWABLE:
        raise NotPermitted(f"document {doc.id} is {doc.status}: only documents not yet filed "
                           "can be reviewed", code="review.not_reviewable", id=doc.id,
                           status=doc.status)
    return doc


def accept(session: Session, actor: Actor, schedule: Schedule, document_id: int,
           reason: str = "") -> Classification:
    """The proposed class is right: confirm it."""
    doc = _reviewable(session, actor, document_id)
    if doc.class_code is None:
        raise NotPermitted(f"document {doc.id} has no proposed class: use review correct --class",
                           code="review.no_proposal", id=doc.id)
    return _decide(session, actor, schedule, doc, doc.class_code, "accept", reason)


def correct(session: Session, actor: Actor, schedule: Schedule, document_id: int, code: str,
            reason: str = "") -> Classification:
    """The document belongs to ``code`` (a leaf class of the schedule)."""
    doc = _reviewable(session, actor, document_id)
    filing.leaf_class(schedule, code)
    return _decide(session, actor, schedule, doc, code, "correct", reason)


def _decide(session: Session, actor: Actor, schedule: Schedule, doc: Document, code: str,
            verb: str, reason: str) -> Classification:
    previous = latest_decision(session, doc.id)
    proposed = {"class_code": doc.class_code,
                "confidence": previous.confidence if previous else None,
                "method": previous.method if previous else None}
    filing.classify(session, actor, schedule, doc.id, code,
                    reason=reason or f"review {verb}: class {code}")
    add_example(session, actor, code, verb, document_id=doc.id, reason=reason)
    row = Classification(document_id=doc.id, class_code=code, confidence=1.0, method="review",
                         outcome=doc.status, schedule_id=schedule.schedule_id,
                         schedule_version=schedule.version, decided_by=actor.name,
                         explanation={"review": verb, "reason": reason, "proposed": proposed})
    session.add(row)
    audit.append(session, actor.name, f"classification.{verb}", f"document:{doc.id}",
                 {"class": code, "proposed": proposed, "reason": reason})
    return row
