"""The index outbox: changes committed with the records, delivered to a remote index later.

``stage`` writes a row in the caller's transaction. Delivery reads rows, loads
the documents' *current* state from the database, sends it and deletes the
rows only once the index has acknowledged them. One deliverer runs at a time
(``DeliveryLock``): the state sent last is then always the newest, whatever
order the writers committed in.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from pipeline.db.models import IndexOutbox
from pipeline.errors import StorageError

UPSERT, DELETE = "upsert", "delete"


class IndexDeliveryError(StorageError):
    """The remote index did not take the outbox (down, rejecting, unreachable)."""


class IndexBusy(StorageError):
    """Another process holds the delivery lock (a delivery or a reindex is running)."""


@dataclass(frozen=True)
class Pending:
    """A batch of outbox rows: their ids and, per document, the newest requested op."""

    row_ids: list[int]
    ops: dict[int, str]


def stage(session: Session, document_id: int, op: str) -> None:
    """Record a change of a document in the caller's transaction."""
    session.add(IndexOutbox(document_id=document_id, op=op, attempts=0))


def read_pending(session: Session, limit: int) -> Pending:
    """The oldest ``limit`` rows, folded to one op per document (the newest wins)."""
    rows = session.execute(
        select(IndexOutbox.id, IndexOutbox.document_id, IndexOutbox.op)
        .order_by(IndexOutbox.id)
        .limit(limit)
    ).all()
    return Pending([r.id for r in rows], {r.document_id: r.op for r in rows})


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count(IndexOutbox.id))) or 0)


def acknowledge(session: Session, row_ids: list[int]) -> None:
    """Delivered: the rows are done."""
    session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_(row_ids)))


def record_failure(session: Session, row_ids: list[int], error: str) -> None:
    """Not delivered: keep the rows for the next attempt, with why."""
    session.execute(
        update(IndexOutbox)
        .where(IndexOutbox.id.in_(row_ids))
        .values(attempts=IndexOutbox.attempts + 1, last_error=error[:2000])
    )


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for one index alias."""
    digest = hashlib.sha256(f"records-index:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class DeliveryLock:
    """Serialises delivery and reindex across threads, processes and machines.

    PostgreSQL: a session advisory lock (every machine shares the database).
    SQLite: an ``flock`` on a file beside the database (one machine by nature).
    """

    def __init__(self, engine: Engine, name: str, poll: float = 0.05) -> None:
        self.engine, self.key, self.poll = engine, lock_key(name), poll
        self.path = _lock_path(engine, name)
        self._thread_lock = threading.Lock()

    @contextmanager
    def hold(self, wait: float) -> Iterator[None]:
        """Hold the lock, waiting at most ``wait`` seconds (raises IndexBusy)."""
        deadline = time.monotonic() + wait
        if not self._thread_lock.acquire(timeout=max(wait, 0.0)):
            raise IndexBusy("another delivery to the search index is running in this process")
        try:
            with self._hold_shared(deadline):
                yield
        finally:
            self._thread_lock.release()

    @contextmanager
    def _hold_shared(self, deadline: float) -> Iterator[None]:
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                self._poll(lambda: _pg_try_lock(conn, self.key), deadline)
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                    conn.commit()
            return
        with _open_lock_file(self.path) as fh:
            self._poll(lambda: _flock_try(fh), deadline)
            yield  # closing the file releases the flock

    def _poll(self, attempt: Any, deadline: float) -> None:
        while not attempt():
            if time.monotonic() >= deadline:
                raise IndexBusy(
                    "the search index is busy (a delivery or `records reindex` is running); "
                    "the changes stay in the outbox"
                )
            time.sleep(self.poll)


def _pg_try_lock(conn: Connection, key: int) -> bool:
    got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
    conn.commit()
    return got


def _lock_path(engine: Engine, name: str) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).with_name(f"{Path(database).name}.{name}.index-lock")


@contextmanager
def _open_lock_file(path: Path | None) -> Iterator[IO[bytes] | None]:
    if path is None:
        yield None
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as fh:
        yield fh


def _flock_try(fh: IO[bytes] | None) -> bool:
    if fh is None:
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
