"""The open archive: database, file store and search index, built once at the edge."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline import audit, lifecycle
from pipeline.db.engine import make_engine, session_factory, upgrade
from pipeline.errors import ConfigError, StorageError
from pipeline.search.base import SearchBackend
from pipeline.search.embedded import EmbeddedSearch
from pipeline.settings import Settings
from pipeline.store import ContentStore

log = logging.getLogger(__name__)


@dataclass
class Archive:
    """Everything a step needs to read or change stored records."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ContentStore
    search: SearchBackend

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> Archive:
        engine = make_engine(settings.database_url)
        if migrate:
            upgrade(engine)
        sessions = session_factory(engine)
        log.debug("archive %s: database %s", settings.home, engine.url)
        return cls(
            settings,
            engine,
            sessions,
            ContentStore(settings.store_dir),
            make_search_backend(settings, sessions),
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions() as session:
            try:
                with session.begin():
                    yield session
            except OperationalError as exc:
                raise StorageError(f"database error: {exc.orig}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One audited change: commit or nothing.

        After the commit the audit anchor moves forward; documents whose lifecycle state
        changed are re-staged for a remote index inside the transaction, and the index's
        outbox is delivered afterwards (forgetting either leaves OpenSearch stale).
        """
        with audit.audited_session(self) as session:
            yield session
            lifecycle.restage(self.search, session)
        self.search.flush()

    def close(self) -> None:
        self.engine.dispose()


def make_search_backend(
    settings: Settings, sessions: sessionmaker[Session] | None = None
) -> SearchBackend:
    """The embedded index by default; OpenSearch when ``RECORDS_SEARCH_URL`` is set.

    A remote backend delivers its outbox after commit through ``sessions``.
    """
    if not settings.search_url:
        if not settings.is_sqlite:
            raise ConfigError(
                "the embedded search index needs SQLite; set RECORDS_SEARCH_URL to an "
                "OpenSearch node when RECORDS_DATABASE_URL is another database"
            )
        return EmbeddedSearch()
    from pipeline.search.opensearch import OpenSearchBackend  # optional scale-out path

    return OpenSearchBackend.from_settings(settings, sessions)
