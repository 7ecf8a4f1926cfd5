"""Invariants an archive must satisfy at any moment, even right after a crash.

Used by the crash, disk-full, hostile-input and service-failure tests: whatever went
wrong, a record is either complete or absent, and the store holds no partial blob under
a final name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text

from pipeline import fixity
from pipeline.archive import Archive
from pipeline.db.models import Document, Page, StoredFile
from pipeline.store import hash_file


@dataclass(frozen=True)
class StoreState:
    """What the checks saw: blobs nobody references and temporary leftovers."""

    documents: int
    pages: int
    unreferenced: list[str]
    temp_leftovers: list[str]


def assert_documents_complete(archive: Archive) -> tuple[int, int]:
    """Every document has exactly its pages (1..n; none once destroyed) and its blobs' rows."""
    with archive.session() as s:
        docs = list(s.scalars(select(Document)))
        for doc in docs:
            numbers = [p.number for p in doc.pages]
            whole = [] if doc.status == "disposed" else list(range(1, doc.page_count + 1))
            assert numbers == whole, (doc.id, doc.status, numbers)
            assert s.get(StoredFile, doc.original_file_id) is not None
            if doc.archival_file_id is not None:
                assert s.get(StoredFile, doc.archival_file_id) is not None
        pages = int(s.scalar(select(func.count(Page.id))) or 0)
    return len(docs), pages


def assert_index_agrees(archive: Archive) -> None:
    """The embedded index holds exactly the pages of the live documents."""
    with archive.session() as s:
        fts = s.execute(text("SELECT rowid FROM page_fts ORDER BY rowid")).scalars().all()
        live = (
            s.execute(
                text(
                    "SELECT p.id FROM pages p JOIN documents d ON d.id = p.document_id"
                    " WHERE d.status != 'disposed' ORDER BY p.id"
                )
            )
            .scalars()
            .all()
        )
    assert list(fts) == list(live)


def assert_no_partial_blob(root: Path, names: list[str]) -> None:
    """A blob under its final name hashes to that name (nothing half-written there)."""
    for rel in names:
        sha, _ = hash_file(root / rel)
        assert sha == Path(rel).name, f"{rel} holds other bytes than its name says"


def check_archive(archive: Archive) -> StoreState:
    """All the invariants; returns what is left over for the caller to judge."""
    documents, pages = assert_documents_complete(archive)
    if archive.search.name == "embedded":
        assert_index_agrees(archive)
    with archive.session() as s:
        report = fixity.check(s, archive.store, orphan_grace=0.0)
    assert not report.problems, report.to_dict()
    assert not report.certificates, report.certificates
    assert_no_partial_blob(archive.store.root, report.orphans)
    return StoreState(documents, pages, report.orphans, report.temp_leftovers)
