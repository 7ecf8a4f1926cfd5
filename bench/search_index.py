"""Measure the search backends on a synthetic corpus built from the sample pages.

    python bench/search_index.py --pages 20000 [--opensearch URL] [--postgres URL]

Prints JSON: bulk (re)index throughput of each backend, outbox delivery
throughput, search latency. Uses its own temporary archive, index alias and
PostgreSQL schema, removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.archive import Archive  # noqa: E402
from pipeline.search import SearchQuery  # noqa: E402
from pipeline.search.maintenance import rebuild  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from tests.services import Doc, add_document, fresh_alias, fresh_schema  # noqa: E402

QUERIES = ["檔案", "銷毀目錄", "臺南市政府", "公務車輛保養", "procurement", "秘書處 採購"]
DIVISIONS = ["專務科", "文書科", "總務科", "庶務科", "採購管理科", "檔案科"]


def sample_pages() -> list[str]:
    truth = json.loads((ROOT / "sample_scans" / "ground_truth.json").read_text("utf-8"))
    return [p["text"] for e in truth for p in e["pages"]]


def fill(archive: Archive, n_pages: int, per_doc: int, stage: bool) -> float:
    """Insert documents in batches of 200; returns seconds."""
    texts, rng = sample_pages(), random.Random(4)
    started, n = time.monotonic(), 0
    while n < n_pages:
        with archive.session() as session:
            for _ in range(200):
                pages = tuple(rng.choice(texts) for _ in range(per_doc))
                doc = Doc(f"d{n}", pages, division=rng.choice(DIVISIONS))
                doc_id = add_document(session, doc, n)
                if stage:
                    archive.search.stage_document(session, doc_id)
                n += per_doc
    return time.monotonic() - started


def latency(archive: Archive) -> dict[str, float]:
    times = []
    with archive.session() as session:
        for _ in range(5):
            for q in QUERIES:
                t = time.monotonic()
                archive.search.search(session, SearchQuery(q, limit=20))
                times.append(time.monotonic() - t)
    return {"p50_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1)}


def index_bytes(archive: Archive, index: str) -> int:
    """Bytes of the index on disk (primaries), after a force merge to one segment."""
    client = getattr(archive.search, "client", None)
    if client is None:
        db = archive.engine.url.database or ""
        return Path(db).stat().st_size if db else 0
    client.indices.forcemerge(index=index, params={"max_num_segments": "1"})
    stats = client.indices.stats(index=index, metric="store")
    return int(stats["_all"]["primaries"]["store"]["size_in_bytes"])


def measure(kind: str, home: Path, n: int, per_doc: int, **overrides: Any) -> dict[str, Any]:
    settings = Settings(home=home, workers=2, **{"database_url": "", "search_url": "",
                                                  **overrides})
    archive = Archive.open(settings)
    try:
        out: dict[str, Any] = {"backend": kind, "pages": n}
        out["insert_and_stage_s"] = round(fill(archive, n, per_doc, stage=True), 2)
        t = time.monotonic()
        sync = getattr(archive.search, "sync", None)
        delivered = sync() if sync else 0
        out["outbox_delivery_pages_per_s"] = round(n / (time.monotonic() - t), 1) if delivered \
            else None
        report = rebuild(archive.search, archive.sessions)
        out["reindex"] = report.to_dict()
        out["index_bytes_per_page"] = index_bytes(archive, report.index) // n
        out["search_latency"] = latency(archive)
        return out
    finally:
        archive.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--pages-per-doc", type=int, default=2)
    ap.add_argument("--opensearch", default="")
    ap.add_argument("--postgres", default="")
    ap.add_argument("--skip-embedded", action="store_true")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if not args.skip_embedded:
            results.append(measure("embedded", Path(tmp) / "e", args.pages, args.pages_per_doc))
        if args.opensearch:
            alias = stack.enter_context(fresh_alias(args.opensearch))
            db = stack.enter_context(fresh_schema(args.postgres)) if args.postgres else ""
            results.append(measure("opensearch" + ("+postgres" if db else ""), Path(tmp) / "o",
                                   args.pages, args.pages_per_doc, search_url=args.opensearch,
                                   search_index=alias, database_url=db, search_replicas=0))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
