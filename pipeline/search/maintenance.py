"""Keeping an index honest: drift checks against the database, full rebuilds.

``verify`` first delivers what waits in the outbox, then compares the pages
the index holds per document with the pages of every live document in the
database: documents *missing* from the index, *extra* ones (deleted or
disposed, still findable) and *stale* ones (a different page count).
``rebuild`` (``records reindex``) repairs any of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ConfigError, IntegrityFailure
from pipeline.search.source import database_page_counts


@dataclass(frozen=True)
class RebuildReport:
    """What ``records reindex`` did."""

    backend: str
    index: str
    documents: int
    pages: int
    seconds: float
    replaced: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["pages_per_second"] = round(self.pages / self.seconds, 1) if self.seconds else None
        return data


@dataclass(frozen=True)
class DriftReport:
    """Index against database; empty ``missing``, ``extra`` and ``stale`` mean in step."""

    backend: str
    index: str
    database_documents: int
    indexed_documents: int
    missing: list[int]
    extra: list[int]
    stale: list[int]
    pending: int
    delivered: int = 0

    @property
    def in_step(self) -> bool:
        return not (self.missing or self.extra or self.stale)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "in_step": self.in_step}

    def summary(self) -> str:
        return (f"{self.backend} index {self.index or '(none)'}: "
                f"{len(self.missing)} missing, {len(self.extra)} extra, "
                f"{len(self.stale)} stale of {self.database_documents} documents; "
                f"{self.pending} changes waiting in the outbox")


@runtime_checkable
class MaintainableIndex(Protocol):
    """What verify and rebuild need of a backend (both built-in backends have it)."""

    name: str

    def indexed_page_counts(self, session: Session) -> dict[int, int]: ...
    def pending_count(self, session: Session) -> int: ...
    def sync(self, lock_wait: float = 60.0) -> int: ...
    def refresh(self) -> None: ...
    def index_name(self) -> str: ...
    def rebuild(self, sessions: sessionmaker[Session] | None = None,
                lock_wait: float = 60.0) -> RebuildReport: ...


def maintainable(search: object) -> MaintainableIndex:
    if not isinstance(search, MaintainableIndex):
        raise ConfigError(f"the search backend {type(search).__name__} cannot be verified")
    return search


def compare(search: MaintainableIndex, sessions: sessionmaker[Session],
            delivered: int = 0) -> DriftReport:
    """The drift between the index and the database, as of now."""
    search.refresh()
    with sessions() as session:
        expected = database_page_counts(session)
        indexed = search.indexed_page_counts(session)
        pending = search.pending_count(session)
    return DriftReport(
        backend=search.name,
        index=search.index_name(),
        database_documents=len(expected),
        indexed_documents=len(indexed),
        missing=sorted(set(expected) - set(indexed)),
        extra=sorted(set(indexed) - set(expected)),
        stale=sorted(d for d in set(expected) & set(indexed) if expected[d] != indexed[d]),
        pending=pending,
        delivered=delivered,
    )


def verify(search: object, sessions: sessionmaker[Session], sync: bool = True) -> DriftReport:
    """Deliver the outbox (unless ``sync`` is false), then compare."""
    index = maintainable(search)
    delivered = index.sync() if sync else 0
    return compare(index, sessions, delivered)


def require_in_step(report: DriftReport) -> None:
    """Raise IntegrityFailure (exit code 10) when the index drifted."""
    if not report.in_step:
        raise IntegrityFailure(f"search index drift: {report.summary()}; run `records reindex`")


def rebuild(search: object, sessions: sessionmaker[Session]) -> RebuildReport:
    return maintainable(search).rebuild(sessions)


def sync(search: object) -> int:
    return maintainable(search).sync()
