"""Holds (legal, audit, investigation) on a document, a file or a class.

A hold on a class covers its sub-classes too (codes are prefixes: a hold on ``03``
covers ``030401``). While any hold covers a document, the lifecycle refuses every move
toward disposal; holds are released, never deleted, so the history stays.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit
from pipeline.auth import Actor, Perm
from pipeline.db.models import MAX_INT, Document, FileAssignment, Hold, RecordFile
from pipeline.errors import ConfigError, NotFound, NotPermitted


class HoldKind(StrEnum):
    legal = "legal"
    audit = "audit"
    investigation = "investigation"


class HoldScope(StrEnum):
    document = "document"
    file = "file"
    class_ = "class"


class OnHold(NotPermitted):
    """The record is under a hold: nothing may move it toward disposal."""


_CLASS_CODE = re.compile(r"(\d\d){1,5}")


def _check_target(session: Session, scope: HoldScope, target: str) -> None:
    if scope is HoldScope.class_:
        if not _CLASS_CODE.fullmatch(target):
            raise ConfigError(f"a class code is 2 to 10 digits in pairs, got {target!r}")
        return
    model = Document if scope is HoldScope.document else RecordFile
    if not (target.isdecimal() and int(target) <= MAX_INT) \
            or session.get(model, int(target)) is None:
        raise NotFound(f"no {scope.value} {target}", code="hold.no_target", target=target[:40])


def place(session: Session, actor: Actor, kind: HoldKind, scope: HoldScope, target: str,
          reason: str, reference: str | None = None) -> Hold:
    actor.require(Perm.hold)
    _check_target(session, scope, target)
    if not reason.strip():
        raise ConfigError("a hold needs a reason", code="reason.required")
    hold = Hold(kind=kind.value, scope=scope.value, target=target, reason=reason,
                reference=reference, placed_by=actor.name)
    session.add(hold)
    session.flush()
    audit.append(session, actor.name, "hold.place", f"{scope.value}:{target}",
                 {"hold": hold.id, "kind": kind.value, "reason": reason, "reference": reference})
    return hold


def release(session: Session, actor: Actor, hold_id: int, reason: str) -> Hold:
    actor.require(Perm.hold)
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"no hold {hold_id}")
    if hold.released_at is not None:
        raise NotPermitted(f"hold {hold_id} was released already", code="hold.released",
                           id=hold_id)
    hold.released_at, hold.released_by, hold.release_reason = datetime.now(UTC), actor.name, reason
    audit.append(session, actor.name, "hold.release", f"{hold.scope}:{hold.target}",
                 {"hold": hold.id, "reason": reason})
    return hold


def active(session: Session) -> list[Hold]:
    return list(session.scalars(select(Hold).where(Hold.released_at.is_(None)).order_by(Hold.id)))


def all_holds(session: Session) -> list[Hold]:
    return list(session.scalars(select(Hold).order_by(Hold.id)))


def _covers(hold: Hold, doc_ids: set[int], file_ids: set[int], codes: set[str]) -> bool:
    if hold.scope == HoldScope.document:
        return int(hold.target) in doc_ids
    if hold.scope == HoldScope.file:
        return int(hold.target) in file_ids
    return any(code.startswith(hold.target) for code in codes)


def covering(session: Session, docs: list[Document]) -> list[Hold]:
    """Active holds on any of these documents, their files or their classes."""
    ids = {d.id for d in docs}
    file_ids = set(session.scalars(
        select(FileAssignment.file_id).where(FileAssignment.document_id.in_(ids))))
    files = [session.get(RecordFile, f) for f in file_ids]
    codes = {d.class_code for d in docs if d.class_code}
    codes |= {f.class_code for f in files if f is not None}
    return [h for h in active(session) if _covers(h, ids, file_ids, codes)]


def ensure_free(session: Session, docs: list[Document]) -> None:
    """Raise :class:`OnHold` naming the holds if any covers these documents."""
    found = covering(session, docs)
    if found:
        names = ", ".join(f"hold {h.id} ({h.kind}, {h.scope} {h.target})" for h in found)
        raise OnHold(f"under {names}: nothing moves toward disposal until released",
                     code="hold.blocks", holds=", ".join(str(h.id) for h in found))


def hold_dict(hold: Hold) -> dict[str, Any]:
    return {"id": hold.id, "kind": hold.kind, "scope": hold.scope, "target": hold.target,
            "reason": hold.reason, "reference": hold.reference, "placed_by": hold.placed_by,
            "placed_at": hold.placed_at, "released_at": hold.released_at,
            "released_by": hold.released_by, "release_reason": hold.release_reason}
