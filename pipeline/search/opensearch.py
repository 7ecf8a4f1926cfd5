"""OpenSearch backend: the scale-out search index, kept in step through the outbox.

``stage_document``/``stage_removal`` only write outbox rows in the caller's
transaction. ``flush`` (after commit) delivers them: for each changed
document it reads the current state from the database and upserts its pages
(``<document_id>-<page>``) or deletes them, then deletes the rows. When the
index is down, ``flush`` logs a warning, keeps the rows (with their attempt
count and error) and returns: the ingest that called it still succeeds, and
the next flush, ``records index sync`` or ``records index verify`` delivers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError, OpenSearchException, TransportError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ConfigError, StorageError
from pipeline.search import outbox
from pipeline.search.base import SearchQuery, SearchResult
from pipeline.search.maintenance import RebuildReport
from pipeline.search.os_index import IndexAdmin, client_from_settings
from pipeline.search.os_query import read_result, search_body, usable_terms
from pipeline.search.outbox import DeliveryLock, IndexBusy, IndexDeliveryError, Pending
from pipeline.search.source import iter_live_ids, page_doc_id, page_documents
from pipeline.settings import Settings

log = logging.getLogger(__name__)
MAX_WINDOW = 10_000


class OpenSearchBackend:
    """Pages in an OpenSearch index behind an alias; writes go through the outbox."""

    name = "opensearch"

    def __init__(self, client: OpenSearch, alias: str,
                 sessions: sessionmaker[Session] | None = None, *, shards: int = 1,
                 replicas: int = 1, refresh: str = "false", lock_wait: float = 10.0,
                 retry_backoff: float = 15.0, batch_rows: int = 200,
                 chunk_size: int = 500, load_threads: int = 4) -> None:
        self.client, self.alias, self.refresh_policy = client, alias, refresh
        self.admin = IndexAdmin(client, alias, shards, replicas)
        self.lock_wait, self.retry_backoff = lock_wait, retry_backoff
        self.batch_rows, self.chunk_size = batch_rows, chunk_size
        self.load_threads = load_threads
        self._sessions: sessionmaker[Session] | None = None
        self._lock: DeliveryLock | None = None
        self._ready = False
        self._quiet_until = 0.0
        if sessions is not None:
            self.bind(sessions)

    @classmethod
    def from_settings(cls, settings: Settings,
                      sessions: sessionmaker[Session] | None = None) -> OpenSearchBackend:
        return cls(client_from_settings(settings), settings.search_index, sessions,
                   shards=settings.search_shards, replicas=settings.search_replicas,
                   refresh=settings.search_refresh)

    def bind(self, sessions: sessionmaker[Session]) -> None:
        """The database whose outbox this backend delivers."""
        self._sessions = sessions
        self._lock = DeliveryLock(_engine(sessions), self.alias)

    # -- writes, inside the caller's transaction --------------------------------------------

    def stage_document(self, session: Session, document_id: int) -> None:
        outbox.stage(session, document_id, outbox.UPSERT)

    def stage_removal(self, session: Session, document_id: int) -> None:
        outbox.stage(session, document_id, outbox.DELETE)

    # -- delivery, after commit -----------------------------------------------------------------

    def flush(self) -> None:
        """Deliver the outbox now; a failure is logged and the rows stay for a later try."""
        if time.monotonic() < self._quiet_until:
            return  # the index failed moments ago: do not slow every commit down
        try:
            self.sync(self.lock_wait)
        except IndexBusy:
            log.info("search index delivery deferred: another delivery is running")
        except (IndexDeliveryError, SQLAlchemyError) as exc:
            # The change is committed and its outbox row stays: the caller (an ingest
            # that already stored its record) must not fail because the index is away.
            self._quiet_until = time.monotonic() + self.retry_backoff
            log.warning("search index not updated, changes kept in the outbox: %s", exc)

    def sync(self, lock_wait: float = 60.0) -> int:
        """Deliver every outbox row; returns how many rows were delivered.

        Raises IndexDeliveryError (rows kept) or IndexBusy.
        """
        sessions, lock = self._bound()
        delivered = 0
        with lock.hold(lock_wait):
            while batch := self._read(sessions):
                self._deliver_batch(sessions, batch)
                delivered += len(batch.row_ids)
        self._quiet_until = 0.0
        return delivered

    def _read(self, sessions: sessionmaker[Session]) -> Pending | None:
        with sessions() as session:
            batch = outbox.read_pending(session, self.batch_rows)
        return batch if batch.row_ids else None

    def _deliver_batch(self, sessions: sessionmaker[Session], batch: Pending) -> None:
        try:
            self._send(sessions, batch.ops)
        except (OpenSearchException, IndexDeliveryError, ConfigError) as exc:
            self._ready = False  # the index may have gone: check the alias next time
            with sessions.begin() as session:
                outbox.record_failure(session, batch.row_ids, _describe(exc))
            raise IndexDeliveryError(_describe(exc)) from exc
        with sessions.begin() as session:
            outbox.acknowledge(session, batch.row_ids)

    def _send(self, sessions: sessionmaker[Session], ops: dict[int, str]) -> None:
        self._ensure_index()
        existing = self._indexed_page_ids(list(ops))
        upserts = [doc for doc, op in ops.items() if op == outbox.UPSERT]
        with sessions() as session:
            pages = page_documents(session, upserts)
        actions = list(_actions(self.alias, pages, existing))
        self._bulk(actions, refresh=self.refresh_policy, require_alias=True)

    def _ensure_index(self) -> None:
        if not self._ready:
            self.admin.ensure()
            self._ready = True

    def _indexed_page_ids(self, document_ids: list[int]) -> set[str]:
        query = {"query": {"terms": {"document_id": document_ids}}, "_source": False}
        hits = helpers.scan(self.client, query=query, index=self.alias, size=1000)
        return {str(h["_id"]) for h in hits}

    def _bulk(self, actions: Iterable[dict[str, Any]], refresh: str, threads: int = 1,
              require_alias: bool = False) -> int:
        """Send actions in chunks; returns pages written. A page already gone is no error.

        ``require_alias``: never let a write to the alias create a stray index by that name.
        """
        params = {"refresh": refresh, **({"require_alias": "true"} if require_alias else {})}
        written, failed = 0, []
        for ok, item in _bulk_results(self.client, actions, self.chunk_size, params, threads):
            op, result = next(iter(item.items()))
            if ok:
                written += op == "index"
            elif not (op == "delete" and result.get("status") == 404):
                failed.append(item)
        if failed:
            raise IndexDeliveryError(f"{len(failed)} index operations failed: {failed[0]}")
        return written

    def _bound(self) -> tuple[sessionmaker[Session], DeliveryLock]:
        if self._sessions is None or self._lock is None:
            raise ConfigError("the OpenSearch backend has no database bound (Archive.open binds)")
        return self._sessions, self._lock

    def pending_count(self, session: Session) -> int:
        return outbox.pending_count(session)

    def refresh(self) -> None:
        """Make every delivered change visible to search now."""
        try:
            self.client.indices.refresh(index=self.alias, params={"ignore_unavailable": "true"})
        except OpenSearchException as exc:
            raise StorageError(f"search index unreachable: {_describe(exc)}") from exc

    # -- reads --------------------------------------------------------------------------------

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        terms = usable_terms(query.text)
        if not terms:
            return SearchResult(0, [])
        if query.offset + query.limit > MAX_WINDOW:
            raise ConfigError(f"results beyond the first {MAX_WINDOW} cannot be paged to; "
                              "narrow the search with filters")
        try:
            response = self.client.search(index=self.alias, body=search_body(query, terms))
        except NotFoundError:
            return SearchResult(0, [])  # nothing was ever indexed
        except OpenSearchException as exc:
            raise StorageError(f"search index unreachable: {_describe(exc)}") from exc
        return read_result(response, terms)

    def indexed_document_ids(self, session: Session) -> set[int]:
        return set(self.indexed_page_counts(session))

    def indexed_page_counts(self, session: Session) -> dict[int, int]:
        """Pages in the index per document id (a composite aggregation, paged)."""
        counts: dict[int, int] = {}
        try:
            for bucket in self._document_buckets():
                counts[int(bucket["key"]["d"])] = int(bucket["doc_count"])
        except NotFoundError:
            return {}
        except OpenSearchException as exc:
            raise StorageError(f"search index unreachable: {_describe(exc)}") from exc
        return counts

    def _document_buckets(self) -> Iterator[dict[str, Any]]:
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {
                "size": 1000, "sources": [{"d": {"terms": {"field": "document_id"}}}]}
            if after:
                composite["after"] = after
            body = {"size": 0, "aggs": {"docs": {"composite": composite}}}
            agg = self.client.search(index=self.alias, body=body)["aggregations"]["docs"]
            yield from agg["buckets"]
            after = agg.get("after_key")
            if not agg["buckets"] or after is None:
                return

    def index_name(self) -> str:
        current = self.admin.current()
        return current[0] if current else ""

    # -- rebuild ------------------------------------------------------------------------------

    def rebuild(self, sessions: sessionmaker[Session] | None = None,
                lock_wait: float = 60.0) -> RebuildReport:
        """Load a new index from the database, swap the alias to it, drop the old one.

        Deliveries wait (or are deferred to the outbox) meanwhile; the outbox is
        drained into the new index before the lock is released.
        """
        if sessions is not None and sessions is not self._sessions:
            self.bind(sessions)
        bound, lock = self._bound()
        started = time.monotonic()
        try:
            with lock.hold(lock_wait):
                report = self._rebuild_locked(bound, started)
                self._ready = True
                while batch := self._read(bound):
                    self._deliver_batch(bound, batch)
        except OpenSearchException as exc:
            raise StorageError(f"reindex failed: {_describe(exc)}") from exc
        return report

    def _rebuild_locked(self, sessions: sessionmaker[Session], started: float) -> RebuildReport:
        self.admin.delete(self.admin.leftovers())
        name = self.admin.new_index_name()
        self.admin.create_index(name, bulk_load=True)
        try:
            documents, pages = self._load(sessions, name)
            self.admin.finish_load(name)
        except BaseException:
            self.admin.delete([name])
            raise
        old = self.admin.swap(name)
        self.admin.delete(old)
        return RebuildReport(self.name, name, documents, pages, time.monotonic() - started, old)

    def _load(self, sessions: sessionmaker[Session], index: str) -> tuple[int, int]:
        documents = pages = 0
        with sessions() as session:
            for ids in iter_live_ids(session):
                by_doc = page_documents(session, ids)
                documents += len(by_doc)
                actions = _actions(index, by_doc, set())
                pages += self._bulk(actions, refresh="false", threads=self.load_threads)
        return documents, pages


def _actions(index: str, pages: dict[int, list[dict[str, Any]]],
             existing: set[str]) -> Iterator[dict[str, Any]]:
    """Upsert every given page; delete indexed pages that no longer exist."""
    keep: set[str] = set()
    for doc_pages in pages.values():
        for body in doc_pages:
            doc_id = page_doc_id(body["document_id"], body["page"])
            keep.add(doc_id)
            yield {"_op_type": "index", "_index": index, "_id": doc_id, "_source": body}
    for doc_id in sorted(existing - keep):
        yield {"_op_type": "delete", "_index": index, "_id": doc_id}


def _bulk_results(client: OpenSearch, actions: Iterable[dict[str, Any]], chunk_size: int,
                  params: dict[str, str], threads: int) -> Iterator[tuple[bool, dict[str, Any]]]:
    """Per-action results of a bulk load; several requests in flight when ``threads`` > 1."""
    common: dict[str, Any] = {"chunk_size": chunk_size, "max_chunk_bytes": 20 * 2**20,
                              "raise_on_error": False, "params": params}
    results: Iterator[tuple[bool, dict[str, Any]]]
    if threads > 1:
        results = helpers.parallel_bulk(client, actions, thread_count=threads, **common)
    else:
        results = helpers.streaming_bulk(client, actions, **common)
    return results


def _engine(sessions: sessionmaker[Session]) -> Any:
    bind = sessions.kw.get("bind")
    if bind is None:
        raise ConfigError("the session factory has no engine bound")
    return bind


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TransportError) and isinstance(exc.status_code, int):
        return f"HTTP {exc.status_code} {exc.error}"
    return f"{type(exc).__name__}: {exc}"
