"""5. Search at scale: a synthetic corpus indexed into each backend, then queried.

Pages go in through the same schema the ingest writes: for the embedded index
the records database itself (documents, pages, and ``page_fts`` rows tokenised by
``pipeline.text.index_text`` as ``EmbeddedSearch`` does); for OpenSearch an index
made by ``IndexAdmin`` from the project's template, loaded with the page documents
``pipeline.search.source`` builds, as ``records reindex`` loads it. Queries go
through each backend's own ``search()``, facets and highlighting included. The
corpus grows through the checkpoints (e.g. 100,000 then 1,000,000 pages); at each,
index size and query latency are measured with 1 and 8 concurrent clients.
"""

from __future__ import annotations

import importlib.util
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench import corpus
from bench.common import Context, not_measured
from pipeline.search.base import SearchFilters, SearchQuery

CLIENTS = (1, 8)
QUERY_TYPES = ("one_term", "two_terms", "phrase", "zh_2char", "zh_4char", "filtered")
#: vocabulary ranks the query terms are taken from: frequent to rare
RANKS = (12, 30, 60, 120, 250, 500, 1000, 2500)
FILTER = {"division": "總務科", "date_from": date(2015, 1, 1), "date_to": date(2020, 12, 31)}


class Backend(Protocol):
    name: str

    def load(self, docs: Iterator[dict[str, Any]]) -> dict[str, Any]: ...
    def size(self) -> dict[str, Any]: ...
    def search(self, query: SearchQuery) -> int: ...
    def close(self) -> None: ...


def run(ctx: Context) -> dict[str, Any]:
    checkpoints = ctx.sizes.search_checkpoints
    ctx.log(f"search: corpus of {max(checkpoints):,} pages")
    started = time.perf_counter()
    path = corpus.cached(ctx.path("corpus"), max(checkpoints), ctx.cores)
    queries = query_set()
    backends: dict[str, Any] = {}
    for name, factory in backend_factories(ctx).items():
        backends[name] = _run_backend(ctx, name, factory, path, checkpoints, queries)
    return {"status": "ok", "checkpoints": list(checkpoints), "clients": list(CLIENTS),
            "corpus_seconds": round(time.perf_counter() - started, 1),
            "queries": {k: [q.text for q in v] for k, v in queries.items()},
            "filter": {k: str(v) for k, v in FILTER.items()}, "backends": backends}


def backend_factories(ctx: Context) -> dict[str, Callable[[], Backend] | str]:
    """Each backend's constructor, or why it is not measured."""
    home = ctx.work / "runs" / "search-embedded"
    out: dict[str, Callable[[], Backend] | str] = {"embedded": lambda: Embedded(home)}
    if importlib.util.find_spec("pipeline.search.opensearch") is None:
        out["opensearch"] = "pipeline/search/opensearch.py is not present"
    elif not ctx.search_url:
        out["opensearch"] = ("no OpenSearch node: quick mode measures the embedded index only "
                             "unless RECORDS_SEARCH_URL is set")
    else:
        url = ctx.search_url
        out["opensearch"] = lambda: _opensearch(url)
    return out


def _opensearch(url: str) -> Backend:
    from bench.search_opensearch import OpenSearchBench

    return OpenSearchBench(url)


def _run_backend(ctx: Context, name: str, factory: Callable[[], Backend] | str, path: Path,
                 checkpoints: tuple[int, ...], queries: dict[str, list[SearchQuery]]
                 ) -> dict[str, Any]:
    if isinstance(factory, str):
        return not_measured(factory)
    backend = factory()
    stages, loaded = [], 0
    try:
        for target in checkpoints:
            ctx.log(f"search: {name}, loading pages {loaded:,}..{target:,}")
            load = backend.load(corpus.read(path, target, skip=loaded))
            loaded = target
            stage: dict[str, Any] = {"pages": target, "load": load, "size": backend.size()}
            ctx.log(f"search: {name} at {target:,} pages, queries")
            stage["latency"] = latency_matrix(backend.search, queries, ctx)
            stages.append(stage)
    finally:
        backend.close()
    return {"status": "ok", "stages": stages}


# -- queries ------------------------------------------------------------------------------


def query_set() -> dict[str, list[SearchQuery]]:
    """Six kinds of query, each over terms from frequent to rare."""
    v = corpus.vocab()
    zh2 = [w for w in v.zh if len(w) == 2]
    zh4 = [w for w in v.zh if len(w) == 4]
    en = [w for w in v.en if len(w) >= 4]  # the, of, and: stop-word-like, left out
    filters = SearchFilters(**FILTER)  # type: ignore[arg-type]

    def pick(words: list[str]) -> list[str]:
        return [words[min(r, len(words) - 1)] for r in RANKS]

    return {
        "one_term": [SearchQuery(w) for w in pick(en)],
        "two_terms": [SearchQuery(f"{a} {b}") for a, b in zip(pick(en), pick(zh2), strict=True)],
        "phrase": [SearchQuery(f'"{p}"') for p in corpus.PHRASES],
        "zh_2char": [SearchQuery(w) for w in pick(zh2)],
        "zh_4char": [SearchQuery(w) for w in pick(zh4)],
        "filtered": [SearchQuery(w, filters) for w in pick(zh2)],
    }


def latency_matrix(search: Callable[[SearchQuery], int], queries: dict[str, list[SearchQuery]],
                   ctx: Context) -> dict[str, dict[str, Any]]:
    """Latency per query type for each number of concurrent clients."""
    s = ctx.sizes
    return {str(c): {kind: measure(search, queries[kind], c, s.query_max, s.query_seconds)
                     for kind in QUERY_TYPES} for c in CLIENTS}


def measure(search: Callable[[SearchQuery], int], queries: list[SearchQuery], clients: int,
            max_queries: int, max_seconds: float) -> dict[str, Any]:
    """Clients send the queries in turn until ``max_queries`` or ``max_seconds``."""
    search(queries[0])  # warm caches once, as a running system has them
    latencies: list[float] = []
    hits: list[int] = []
    lock, counter = threading.Lock(), itertools.count()
    started = time.perf_counter()
    deadline = started + max_seconds

    def client(_: int) -> None:
        while (i := next(counter)) < max_queries and time.perf_counter() < deadline:
            t = time.perf_counter()
            total = search(queries[i % len(queries)])
            with lock:
                latencies.append(time.perf_counter() - t)
                hits.append(total)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return _stats(latencies, hits, time.perf_counter() - started)


def _stats(latencies: list[float], hits: list[int], seconds: float) -> dict[str, Any]:
    ms = np.array(latencies) * 1000.0
    p50, p95, p99 = (round(float(x), 1) for x in np.percentile(ms, [50, 95, 99]))
    return {"n": len(latencies), "p50_ms": p50, "p95_ms": p95, "p99_ms": p99,
            "qps": round(len(latencies) / seconds, 2), "mean_hits": int(np.mean(hits))}


# -- the embedded index (SQLite FTS5 in the records database) -------------------------------


class Embedded:
    """A records database of synthetic documents, loaded in transactions of ~5,000 pages."""

    name = "embedded"
    BATCH_PAGES = 5000

    def __init__(self, home: Path) -> None:
        import shutil

        from pipeline.archive import Archive
        from pipeline.settings import Settings

        shutil.rmtree(home, ignore_errors=True)
        settings = Settings(home=home, database_url="", search_url="", workers=1)
        self.archive = Archive.open(settings)
        self.path = home / "records.db"
        self.file_id = self._file_row()
        self.page_id = 0

    def _file_row(self) -> int:
        from pipeline.db.models import StoredFile

        with self.archive.session() as session:
            row = StoredFile(sha256="0" * 64, kind="original", size=0,
                             media_type="application/pdf", store_path="bench")
            session.add(row)
            session.flush()
            return int(row.id)

    def load(self, docs: Iterator[dict[str, Any]]) -> dict[str, Any]:
        totals = {"pages": 0, "text_bytes": 0, "store_seconds": 0.0, "index_seconds": 0.0}
        started = time.perf_counter()
        for batch in _batches(docs, self.BATCH_PAGES):
            self._insert(batch, totals)
        seconds = time.perf_counter() - started
        return {"pages": totals["pages"], "seconds": round(seconds, 1),
                "pages_per_second": round(totals["pages"] / seconds, 1),
                "index_seconds": round(totals["index_seconds"], 1),
                "index_pages_per_second": round(totals["pages"] / totals["index_seconds"], 1),
                "text_mb": round(totals["text_bytes"] / 2**20, 1)}

    def _insert(self, batch: list[dict[str, Any]], totals: dict[str, Any]) -> None:
        from sqlalchemy import insert

        from pipeline.db.models import Document, Page
        from pipeline.text import index_text

        docs = [_document_row(d, self.file_id) for d in batch if d.get("first_page", 1) == 1]
        pages = list(self._page_rows(batch))
        with self.archive.engine.begin() as conn:
            t0 = time.perf_counter()
            if docs:
                conn.execute(insert(Document), docs)
            conn.execute(insert(Page), pages)
            t1 = time.perf_counter()
            rows = [(p["id"], index_text(p["text"])) for p in pages]
            conn.exec_driver_sql("INSERT INTO page_fts(rowid, tokens) VALUES (?, ?)", rows)
            totals["index_seconds"] += time.perf_counter() - t1
            totals["store_seconds"] += t1 - t0
        totals["pages"] += len(pages)
        totals["text_bytes"] += sum(len(p["text"].encode()) for p in pages)

    def _page_rows(self, batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for doc in batch:
            for i, text in enumerate(doc["pages"]):
                self.page_id += 1
                yield {"id": self.page_id, "document_id": doc["id"],
                       "number": doc.get("first_page", 1) + i, "text": text, "source": "ocr",
                       "confidence": 90.0, "rotation": 0, "skew": 0.0, "width": 2480,
                       "height": 3508, "dpi": 300, "words": []}

    def size(self) -> dict[str, Any]:
        with self.archive.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes = {name: _table_bytes(conn, name) for name in
                     ("page_fts_data", "page_fts_idx", "page_fts_content", "page_fts_docsize",
                      "pages", "documents")}
        fts = sum(v for k, v in sizes.items() if k.startswith("page_fts"))
        return {"database_mb": round(self.path.stat().st_size / 2**20, 1),
                "index_mb": round(fts / 2**20, 1),
                "index_postings_mb": round((sizes["page_fts_data"] + sizes["page_fts_idx"])
                                           / 2**20, 1),
                "index_token_copy_mb": round(sizes["page_fts_content"] / 2**20, 1),
                "pages_table_mb": round(sizes["pages"] / 2**20, 1)}

    def search(self, query: SearchQuery) -> int:
        with self.archive.sessions() as session:
            return self.archive.search.search(session, query).total

    def close(self) -> None:
        self.archive.close()


def _table_bytes(conn: Any, name: str) -> int:
    row = conn.exec_driver_sql(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat('main', 1) WHERE name = ?", (name,)
    ).first()
    return int(row[0]) if row else 0


def _document_row(doc: dict[str, Any], file_id: int) -> dict[str, Any]:
    first = doc["pages"][0] if doc["pages"] else ""
    return {"id": doc["id"], "sha256": f"{doc['id']:064x}", "original_file_id": file_id,
            "archival_file_id": file_id, "original_name": f"synthetic/{doc['id']:08d}.pdf",
            "media_type": "application/pdf", "page_count": len(doc["pages"]),
            "lang": "chi_tra+eng", "status": doc["status"], "title": first.split("\n")[0][:40],
            "class_code": doc["class_code"], "record_type": doc["record_type"],
            "confidentiality": doc["confidentiality"], "division": doc["division"],
            "document_date": date.fromisoformat(doc["document_date"]), "fields": {}}


def _batches(docs: Iterator[dict[str, Any]], pages: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    count = 0
    for doc in docs:
        batch.append(doc)
        count += len(doc["pages"])
        if count >= pages:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch
