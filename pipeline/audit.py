"""The audit trail: an append-only log in which every entry carries the hash of the previous one.

``hash = sha256(canonical JSON of {id, at, actor, action, target, details, prev_hash})``;
the first entry's ``prev_hash`` is 64 zeros. Changing, removing or reordering rows breaks
the chain at the first affected entry, which :func:`verify` names. Removing the newest
entries leaves a shorter chain that is still valid, so each commit that appended also
writes the chain head to ``<home>/audit-head.json`` (the *anchor*); a log that ends
before the anchor, or disagrees with it, fails verification. The anchor may lag behind
the log (a crash between commit and write), never run ahead of it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.db.models import AuditEntry
from pipeline.errors import StorageError

if TYPE_CHECKING:
    from pipeline.archive import Archive

GENESIS = "0" * 64
ANCHOR_NAME = "audit-head.json"
_HEAD_KEY = "audit_head"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same data always gives the same bytes."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    ).encode()


def _timestamp(at: datetime) -> str:
    """UTC, microseconds, no offset: SQLite returns what it stored without the zone."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(entry: AuditEntry) -> str:
    body = {
        "id": entry.id,
        "at": _timestamp(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


#: PostgreSQL advisory-lock key that serialises appends (any fixed 64-bit number)
_APPEND_LOCK = int.from_bytes(
    hashlib.sha256(b"records-audit-append").digest()[:8], "big", signed=True
)


def _last(session: Session) -> AuditEntry | None:
    if session.get_bind().dialect.name == "postgresql":
        # held to the end of the transaction: a second writer reads the head only after the
        # first committed, instead of both chaining onto the same entry (SQLite's writes
        # are serialised by the database file lock already)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})
    return session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


def append(
    session: Session, actor: str, action: str, target: str, details: dict[str, Any] | None = None
) -> AuditEntry:
    """Add an entry in the caller's transaction (so it commits, or not, with the change)."""
    last = _last(session)
    entry = AuditEntry(
        id=(last.id + 1) if last else 1,
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        target=target,
        details=json.loads(canonical_json(details or {})),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    _insert(session, entry)
    session.info[_HEAD_KEY] = (entry.id, entry.hash)
    return entry


def _insert(session: Session, entry: AuditEntry) -> None:
    """Insert now; a race for the same predecessor (unique prev_hash) is refused, retryable.

    On PostgreSQL the append lock prevents it; on SQLite the writer lock does. The
    check stays for a database reached by a writer that does not take the lock.
    """
    session.add(entry)
    try:
        session.flush()
    except IntegrityError as exc:
        if "prev_hash" not in str(exc.orig):
            raise
        raise StorageError(
            "another process appended to the audit log at the same moment; "
            "nothing was changed: run the command again"
        ) from exc


@contextmanager
def audited_session(archive: Archive) -> Iterator[Session]:
    """``archive.session()`` that moves the anchor forward once the transaction committed."""
    with archive.session() as session:
        yield session
    head = session.info.pop(_HEAD_KEY, None)
    if head is not None:
        write_anchor(archive.settings.home / ANCHOR_NAME, head[0], head[1])


def read_anchor(path: Path) -> tuple[int, str] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return int(data["id"]), str(data["hash"])


def write_anchor(path: Path, entry_id: int, entry_hash_: str) -> None:
    """Atomically replace the anchor, never moving it backwards.

    Writers in other threads and processes take turns on a lock file (flock locks
    each open of the file, so threads of one process exclude each other too).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_anchor(path)
        if current is not None and current[0] >= entry_id:
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": entry_id, "hash": entry_hash_}))
        os.replace(tmp, path)


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`verify`; ``first_bad`` is the id of the first entry that fails."""

    entries: int
    first_bad: int | None = None
    reason: str | None = None
    anchored: bool = False

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_id": self.first_bad,
            "reason": self.reason,
            "anchored": self.anchored,
        }


def _problem(
    entry: AuditEntry, expected_id: int, prev: str, head: tuple[int, str] | None
) -> str | None:
    if entry.id != expected_id:
        return f"entry {expected_id} is missing (the next entry is {entry.id})"
    if entry.prev_hash != prev:
        return "does not follow the previous entry (removed or reordered entries)"
    if entry_hash(entry) != entry.hash:
        return "its content does not match its hash (changed)"
    if head is not None and entry.id == head[0] and entry.hash != head[1]:
        return "differs from the recorded chain head (the log was rewritten)"
    return None


def verify(session: Session, anchor: Path | None = None) -> Verification:
    """Walk the chain from the first entry; stop at the first broken link."""
    head = read_anchor(anchor) if anchor is not None else None
    count, prev = 0, GENESIS
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    for entry in rows.yield_per(500):
        if (reason := _problem(entry, count + 1, prev, head)) is not None:
            return Verification(count, entry.id, reason, head is not None)
        count, prev = count + 1, entry.hash
    if head is not None and head[0] > count:
        reason = f"the log ends at entry {count} but entry {head[0]} was recorded (truncated)"
        return Verification(count, count + 1, reason, anchored=True)
    return Verification(count, anchored=head is not None)


def entries(session: Session, target: str | None = None, limit: int = 100,
            before: int | None = None) -> list[AuditEntry]:
    """The newest entries (optionally for one target, e.g. ``document:5``), newest first;
    ``before`` pages back: only entries with a smaller id."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list(session.scalars(query))
