"""The OpenSearch side of the search benchmark: the project's template, bulk loads, its search.

The index is made by ``pipeline.search.os_index.IndexAdmin`` (same template,
analysers and mappings as production) behind an alias of its own, loaded the way
``records reindex`` loads (refresh off, no replica, bulk requests), searched
through ``OpenSearchBackend.search``, and deleted afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from opensearchpy import OpenSearch, helpers

from pipeline.search.base import SearchQuery
from pipeline.search.opensearch import OpenSearchBackend
from pipeline.search.os_index import IndexAdmin
from pipeline.search.source import page_doc_id

CREATED = "2024-07-15T09:00:00+00:00"


class OpenSearchBench:
    name = "opensearch"
    CHUNK = 1000

    def __init__(self, url: str) -> None:
        self.client = OpenSearch(hosts=[url], timeout=600, max_retries=3, retry_on_timeout=True,
                                 pool_maxsize=16)
        self.alias = f"bench-pages-{uuid.uuid4().hex[:10]}"
        self.admin = IndexAdmin(self.client, self.alias, shards=1, replicas=0)
        self.index = self.admin.new_index_name()
        self.admin.create_index(self.index, bulk_load=True)
        self.admin.swap(self.index)
        self.backend = OpenSearchBackend(self.client, self.alias, replicas=0)

    def load(self, docs: Iterator[dict[str, Any]]) -> dict[str, Any]:
        self.client.indices.put_settings(index=self.index,
                                         body={"index": {"refresh_interval": "-1"}})
        counter = {"pages": 0, "bytes": 0}
        started = time.perf_counter()
        for ok, item in helpers.parallel_bulk(
            self.client, _actions(self.index, docs, counter), thread_count=2,
            chunk_size=self.CHUNK, max_chunk_bytes=20 * 2**20, raise_on_error=False,
        ):
            if not ok:
                raise RuntimeError(f"bulk indexing failed: {item}")
        bulk = time.perf_counter() - started
        self.admin.finish_load(self.index)  # refresh: searchable from here on
        seconds = time.perf_counter() - started
        return {"pages": counter["pages"], "seconds": round(seconds, 1),
                "pages_per_second": round(counter["pages"] / seconds, 1),
                "bulk_seconds": round(bulk, 1), "text_mb": round(counter["bytes"] / 2**20, 1)}

    def size(self) -> dict[str, Any]:
        self.client.indices.flush(index=self.index)
        stats = self.client.indices.stats(index=self.index, metric="store,docs,segments")
        total = stats["indices"][self.index]["primaries"]
        return {"index_mb": round(total["store"]["size_in_bytes"] / 2**20, 1),
                "docs": total["docs"]["count"], "segments": total["segments"]["count"]}

    def search(self, query: SearchQuery) -> int:
        return self.backend.search(None, query).total  # type: ignore[arg-type]

    def close(self) -> None:
        self.admin.delete([self.index])
        self.client.indices.delete_index_template(name=f"{self.alias}-template",
                                                  params={"ignore": "404"})
        self.client.close()


def _actions(index: str, docs: Iterator[dict[str, Any]],
             counter: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Page documents shaped as ``pipeline.search.source.page_documents`` makes them."""
    for doc in docs:
        meta = _metadata(doc)
        for i, text in enumerate(doc["pages"]):
            page = doc.get("first_page", 1) + i
            counter["pages"] += 1
            counter["bytes"] += len(text.encode())
            yield {"_index": index, "_id": page_doc_id(doc["id"], page),
                   "_source": {**meta, "page": page, "text": text}}


def _metadata(doc: dict[str, Any]) -> dict[str, Any]:
    first = doc["pages"][0] if doc["pages"] else ""
    return {"document_id": doc["id"], "title": first.split("\n")[0][:40],
            "original_name": f"synthetic/{doc['id']:08d}.pdf", "class_code": doc["class_code"],
            "division": doc["division"], "status": doc["status"],
            "confidentiality": doc["confidentiality"], "record_type": doc["record_type"],
            "document_date": doc["document_date"], "box": None, "folder": None,
            "batch_id": None, "media_type": "application/pdf", "created_at": CREATED,
            "source": "ocr", "confidence": 90.0}
