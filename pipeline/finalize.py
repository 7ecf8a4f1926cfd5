"""Last ingest step: the archival PDF, then one transaction that makes the record visible."""

from __future__ import annotations

import io
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import pikepdf
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pipeline import pdfa
from pipeline.archive import Archive
from pipeline.db.models import BatchItem, Document, Page, StoredFile
from pipeline.enrich import enrich
from pipeline.errors import CorruptFile, StorageError
from pipeline.ingest import DUPLICATE, STORED, Job, Outcome, record_blob, work_dir
from pipeline.pages import PageResult
from pipeline.store import disk_errors
from pipeline.titles import title_from_text

#: a commit that clashes with a concurrent writer (not with a duplicate) is tried this often
COMMIT_ATTEMPTS = 4


def build_archival_pdf(archive: Archive, job: Job, results: list[PageResult], out: Path) -> Path:
    """A searchable PDF: tesseract's page PDFs, and born-digital pages copied as they are.

    qpdf's own page assembly (``pikepdf.Job``) reads each page from its file while it
    writes; copying pages through pikepdf objects holds every page image in memory at
    once (+228 MB for a 500-page scan), so that is only the fallback. Both give the PDF
    a deterministic /ID: the same pages give the same bytes, so a run that resumes after
    a crash stores the very blob the crashed run linked (no orphan).
    """
    original = job.page_source(archive.store)
    spec: list[str] = []
    for page in results:
        spec += [str(original), str(page.number)] if page.pdf_path is None else [page.pdf_path, "1"]
    try:
        pikepdf.Job(
            ["qpdf", "--no-warn", "--deterministic-id", "--empty", "--pages", *spec, "--", str(out)]
        ).run()
        if not _reads_back(out, len(results)):
            # qpdf reports success on a full disk and leaves a cut-off file; the in-memory
            # assembly raises the real error (ENOSPC, EFBIG, EDQUOT), or succeeds
            _assemble_in_memory(original, job, results, out)
    except pikepdf.PdfError as exc:
        raise CorruptFile(f"cannot assemble the archival PDF: {exc}") from exc
    return out


def _reads_back(out: Path, pages: int) -> bool:
    """Whether the written file is on disk and opens with all its pages."""
    with out.open("rb") as fh:
        os.fsync(fh.fileno())
    try:
        with pikepdf.open(out, attempt_recovery=False) as pdf:
            return len(pdf.pages) == pages
    except pikepdf.PdfError:
        return False


def _assemble_in_memory(original: Path, job: Job, results: list[PageResult], out: Path) -> None:
    with pikepdf.new() as pdf:
        src = pikepdf.open(original) if job.layer_pages or job.given_pages else None
        for page in results:
            if page.pdf_path is None and src is not None:
                pdf.pages.append(src.pages[page.number - 1])
            else:
                with pikepdf.open(page.pdf_path or "") as one:
                    pdf.pages.extend(one.pages)
        save_pdf(pdf, out)
        if src is not None:
            src.close()


class _QuietWriter(io.RawIOBase):
    """A file qpdf writes into that keeps a write error instead of raising it into qpdf.

    An I/O error that surfaces inside qpdf's C++ code while it tears its writer down (a
    full disk during the last flush) ends in ``std::terminate``: the whole ingest process
    aborts. The error is kept here and raised by :meth:`finish`, after qpdf is done.
    """

    def __init__(self, fh: BinaryIO) -> None:
        super().__init__()
        self.fh = fh
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.error is None:
            try:
                self.fh.write(data)
            except OSError as exc:
                self.error = exc
        return len(data)

    def finish(self) -> None:
        if self.error is None:
            try:
                self.fh.flush()
                os.fsync(self.fh.fileno())
            except OSError as exc:
                self.error = exc
        if self.error is not None:
            raise self.error


def save_pdf(pdf: pikepdf.Pdf, out: Path) -> None:
    """Save with a deterministic /ID: the same pages give the same bytes, so a run that
    resumes after a crash stores the very blob the crashed run linked (no orphan)."""
    with out.open("wb") as fh:
        writer = _QuietWriter(fh)
        pdf.save(cast(BinaryIO, writer), linearize=False, deterministic_id=True)
        writer.finish()


def finalize(archive: Archive, job: Job, results: list[PageResult], batch_id: int) -> Outcome:
    """Store the archival copy and commit document, pages and index entries together."""
    results = sorted(results, key=lambda r: r.number)
    work = work_dir(archive.settings.work_dir, job)
    archival_rel = _store_archival(archive, job, results, work)
    try:
        doc_id = _commit_once(archive, job, results, archival_rel, batch_id)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if doc_id is None:  # another worker stored the same bytes first: not a second record
        return Outcome(job.name, DUPLICATE, job.sha256)
    archive.search.flush()
    return Outcome(job.name, STORED, job.sha256, None, doc_id, len(results))


def _commit_once(
    archive: Archive,
    job: Job,
    results: list[PageResult],
    archival: tuple[str, int, str] | None,
    batch_id: int,
) -> int | None:
    """Commit the record; None if a document with these bytes exists already.

    Only the document's own unique hash makes a duplicate. Any other unique-constraint
    clash (two writers appending the same audit-trail entry number, a files row raced in)
    is a concurrent writer: the transaction is retried, then reported as a storage error,
    never silently counted as a duplicate.
    """
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            return _commit(archive, job, results, archival, batch_id)
        except IntegrityError as exc:
            if _document_exists(archive, job.sha256):
                return None
            if attempt == COMMIT_ATTEMPTS - 1:
                raise StorageError(f"cannot commit {job.name}: {exc.orig}") from exc
            time.sleep(0.05 * (attempt + 1))
    return None  # unreachable: the loop returns or raises


def _document_exists(archive: Archive, sha: str) -> bool:
    with archive.session() as session:
        return session.scalar(select(Document.id).where(Document.sha256 == sha)) is not None


def _store_archival(
    archive: Archive, job: Job, results: list[PageResult], work: Path
) -> tuple[str, int, str] | None:
    """The PDF/A archival copy; None when the original is a born-digital PDF/A itself."""
    born_digital = all(r.pdf_path is None for r in results)
    original = job.page_source(archive.store)  # a DI package: its reading copy
    if born_digital and job.media_type == "application/pdf" and _declares_pdfa(original):
        return None  # kept as it is; its conformance is recorded by the validation step
    info = _archival_info(archive, job, results)
    with disk_errors(f"cannot write the archival copy of {job.name}"):
        source = original
        if not born_digital:
            source = build_archival_pdf(archive, job, results, work / "assembled.pdf")
        pdf = write_pdfa(source, work / "archival.pdf", info, results, born_digital)
    blob = archive.store.put(pdf, "archival")
    return blob.sha256, blob.size, blob.relpath


def _declares_pdfa(path: Path) -> bool:
    try:
        with pikepdf.open(path) as pdf:
            return pdfa.declared_profile(pdf) is not None
    except pikepdf.PdfError:
        return False


def write_pdfa(
    source: Path, out: Path, info: pdfa.ArchivalInfo, results: list[PageResult], normalise: bool
) -> Path:
    """The archival PDF/A-2 made from ``source`` (OCR'd pages, or a born-digital rendition).

    A born-digital rendition (``normalise``) declares level B: its fonts are the author's.
    """
    bilevel = {r.number for r in results if r.bilevel}
    unicode = not normalise and pdfa.text_fits_unicode_level([r.text for r in results])
    try:
        with pikepdf.open(source) as pdf:
            pdfa.make_pdfa(pdf, info, bilevel, unicode)
            save_pdf(pdf, out)
    except (pikepdf.PdfError, ValueError) as exc:
        raise CorruptFile(f"cannot make the PDF/A archival copy: {exc}") from exc
    return out


def _archival_info(archive: Archive, job: Job, results: list[PageResult]) -> pdfa.ArchivalInfo:
    """Metadata of the archival copy; its dates are when the original was captured."""
    with archive.session() as session:
        captured = session.scalar(
            select(StoredFile.created_at).where(
                StoredFile.sha256 == job.sha256, StoredFile.kind == "original"
            )
        )
    return pdfa.ArchivalInfo(
        original_sha256=job.sha256,
        captured=captured or datetime.now(UTC),
        title=(job.manifest.title if job.manifest else None)
        or title_from_text([r.text for r in results]),
        creator=job.manifest.division if job.manifest else None,
        source_name=job.name,
    )


def _commit(
    archive: Archive,
    job: Job,
    results: list[PageResult],
    archival: tuple[str, int, str] | None,
    batch_id: int,
) -> int:
    with archive.session() as session:
        original = record_blob(
            session, job.sha256, "original", job.size, job.media_type, job.relpath
        )
        original.media_type = job.media_type
        arch: StoredFile = original
        if archival is not None:
            arch = record_blob(
                session, archival[0], "archival", archival[1], "application/pdf", archival[2]
            )
        doc = _document(job, results, original.id, arch.id, batch_id)
        session.add(doc)
        session.flush()
        enrich(session, archive.settings, doc)
        session.add(
            BatchItem(
                batch_id=batch_id,
                path=job.source,
                sha256=job.sha256,
                outcome=STORED,
                document_id=doc.id,
            )
        )
        archive.search.stage_document(session, doc.id)
        return doc.id


def _document(
    job: Job, results: list[PageResult], original_id: int, archival_id: int, batch_id: int
) -> Document:
    m = job.manifest
    doc = Document(
        sha256=job.sha256,
        original_file_id=original_id,
        archival_file_id=archival_id,
        batch_id=batch_id,
        original_name=job.name,
        media_type=job.media_type,
        page_count=job.page_count,
        lang="",
        title=m.title if m else None,  # else pipeline.titles, after the record type
        division=m.division if m else None,
        box=m.box if m else None,
        folder=m.folder if m else None,
        operator=m.operator if m else None,
        document_date=m.document_date if m else None,
        fields={},
    )
    doc.pages = [_page(r) for r in results]
    return doc


def _page(r: PageResult) -> Page:
    return Page(
        number=r.number,
        text=r.text,
        source=r.source,
        confidence=r.confidence,
        rotation=r.rotation,
        skew=r.skew,
        width=r.width,
        height=r.height,
        dpi=r.dpi,
        words=r.words,
    )
