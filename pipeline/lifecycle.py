"""The records lifecycle: the one state machine every change of ``Document.status`` goes through.

:data:`TRANSITIONS` is the whole machine: each allowed move, the permission it needs
and the verb written to the audit log. :func:`transition` is the only writer of
``Document.status``: it refuses moves that are not in the table (IllegalTransition),
actors without the permission (AccessDenied) and moves toward disposal while a hold
covers the record (OnHold), and it writes a lifecycle event and an audit entry in the
caller's transaction. An attribute listener makes any other assignment raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from pipeline import audit, holds
from pipeline.auth import Actor, Perm
from pipeline.db.models import Document, LifecycleEvent
from pipeline.errors import IllegalTransition, NotFound
from pipeline.search.base import SearchBackend
from pipeline.states import TERMINAL as TERMINAL
from pipeline.states import TOWARD_DISPOSAL as TOWARD_DISPOSAL
from pipeline.states import State as State


@dataclass(frozen=True)
class Transition:
    source: State
    target: State
    perm: Perm
    action: str


S = State
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.captured, S.classified, Perm.classify, "classify"),
    Transition(S.captured, S.needs_review, Perm.classify, "send_to_review"),
    Transition(S.needs_review, S.classified, Perm.classify, "classify"),
    Transition(S.classified, S.needs_review, Perm.classify, "send_to_review"),
    Transition(S.classified, S.archived, Perm.classify, "file"),
    Transition(S.archived, S.flagged_for_transfer, Perm.sweep, "flag_for_transfer"),
    Transition(S.archived, S.appraisal, Perm.sweep, "send_to_appraisal"),
    Transition(S.archived, S.queued_for_disposal, Perm.sweep, "queue_for_disposal"),
    Transition(S.appraisal, S.flagged_for_transfer, Perm.appraise, "flag_for_transfer"),
    Transition(S.appraisal, S.queued_for_disposal, Perm.appraise, "queue_for_disposal"),
    Transition(S.appraisal, S.archived, Perm.appraise, "retain"),
    Transition(S.queued_for_disposal, S.approved, Perm.approve, "approve_disposal"),
    Transition(S.queued_for_disposal, S.archived, Perm.appraise, "withdraw_from_disposal"),
    Transition(S.approved, S.archived, Perm.appraise, "withdraw_from_disposal"),
    Transition(S.approved, S.disposed, Perm.execute, "destroy"),
    Transition(S.flagged_for_transfer, S.transferred, Perm.transfer, "transfer"),
)
_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

_writing: ContextVar[bool] = ContextVar("lifecycle_writing", default=False)
_CHANGED_KEY = "lifecycle_changed"


def targets(source: State) -> list[State]:
    """The states a document in ``source`` may move to."""
    return [t.target for t in TRANSITIONS if t.source is source]


def _state(doc: Document) -> State:
    try:
        return State(doc.status)
    except ValueError:
        raise IllegalTransition(f"document {doc.id} has unknown status {doc.status!r}") from None


def _rule(doc: Document, target: State) -> Transition:
    source = _state(doc)
    rule = _BY_PAIR.get((source, target))
    if rule is None:
        allowed = ", ".join(targets(source)) or "nothing (final state)"
        raise IllegalTransition(
            f"document {doc.id}: {source} -> {target} is not a lifecycle transition "
            f"(from {source}: {allowed})"
        )
    return rule


def check(session: Session, actor: Actor, docs: list[Document], target: State) -> None:
    """Raise exactly what :func:`transition` would raise, without changing anything."""
    for doc in docs:
        actor.require(_rule(doc, target).perm)
    if target in TOWARD_DISPOSAL:
        holds.ensure_free(session, docs)


def transition(session: Session, actor: Actor, doc: Document, target: State, reason: str,
               details: dict[str, Any] | None = None) -> LifecycleEvent:
    """Move one document; writes its lifecycle event and audit entry in this transaction."""
    rule = _rule(doc, target)
    check(session, actor, [doc], target)
    with _writer():
        doc.status = target
    session.info.setdefault(_CHANGED_KEY, set()).add(doc.id)
    entry = audit.append(session, actor.name, f"lifecycle.{rule.action}", f"document:{doc.id}",
                         {"from": rule.source.value, "to": target.value, "reason": reason,
                          **(details or {})})
    event_row = LifecycleEvent(document_id=doc.id, from_state=rule.source.value,
                               to_state=target.value, actor=actor.name, reason=reason,
                               audit_id=entry.id)
    session.add(event_row)
    return event_row


def move_all(session: Session, actor: Actor, docs: list[Document], target: State, reason: str,
             details: dict[str, Any] | None = None) -> None:
    """Move several documents (a whole file) or none: every check runs before any change."""
    check(session, actor, docs, target)
    for doc in docs:
        transition(session, actor, doc, target, reason, details)


def restage(search: SearchBackend, session: Session) -> None:
    """Re-stage documents whose status changed in this session for a remote index.

    The embedded index reads the status from the documents table at query time, so only
    remote backends, which keep a copy of it, need the documents again.
    """
    changed = session.info.pop(_CHANGED_KEY, set())
    if search.name == "embedded":
        return
    for doc_id in sorted(changed):
        doc = session.get(Document, doc_id)
        if doc is not None and doc.status != State.disposed:
            search.stage_document(session, doc_id)


def history(session: Session, document_id: int) -> list[LifecycleEvent]:
    return list(session.scalars(select(LifecycleEvent).where(
        LifecycleEvent.document_id == document_id).order_by(LifecycleEvent.id)))


def get_document(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}")
    return doc


@contextmanager
def _writer() -> Iterator[None]:
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@event.listens_for(Document.status, "set")
def _guard_status(target: Document, value: State, _old: Any, _initiator: Any) -> None:
    """Any write of Document.status outside :func:`transition` is a bug: refuse it.

    A new, not yet stored document may start as ``captured`` (its default).
    """
    if _writing.get():
        return
    if value == State.captured and not inspect(target).has_identity:
        return
    raise IllegalTransition("Document.status may only be changed by pipeline.lifecycle")
