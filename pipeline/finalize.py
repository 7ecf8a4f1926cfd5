"""Last ingest step: the archival PDF, then one transaction that makes the record visible."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pikepdf
from sqlalchemy.exc import IntegrityError

from pipeline.archive import Archive
from pipeline.db.models import BatchItem, Document, Page, StoredFile
from pipeline.enrich import enrich
from pipeline.errors import CorruptFile
from pipeline.ingest import DUPLICATE, STORED, Job, Outcome, record_blob, work_dir
from pipeline.pages import PageResult

_SUBJECT_RE = re.compile(r"主\s*旨\s*[:：]\s*(.+)")


def build_archival_pdf(archive: Archive, job: Job, results: list[PageResult], out: Path) -> Path:
    """A searchable PDF: tesseract's page PDFs, and born-digital pages copied as they are."""
    original = archive.store.path(job.relpath)
    try:
        with pikepdf.new() as pdf:
            src = pikepdf.open(original) if job.layer_pages else None
            for page in results:
                if page.pdf_path is None and src is not None:
                    pdf.pages.append(src.pages[page.number - 1])
                else:
                    with pikepdf.open(page.pdf_path or "") as one:
                        pdf.pages.extend(one.pages)
            pdf.save(out, linearize=False)
            if src is not None:
                src.close()
    except pikepdf.PdfError as exc:
        raise CorruptFile(f"cannot assemble the archival PDF: {exc}") from exc
    return out


def guess_title(results: list[PageResult]) -> str | None:
    """The subject line (主旨) of an official document, else the first text line."""
    for page in results:
        if m := _SUBJECT_RE.search(page.text):
            return m.group(1).strip()[:200]
    for page in results:
        for line in page.text.splitlines():
            if len(line.strip()) >= 2:
                return line.strip()[:200]
    return None


def finalize(archive: Archive, job: Job, results: list[PageResult], batch_id: int) -> Outcome:
    """Store the archival copy and commit document, pages and index entries together."""
    results = sorted(results, key=lambda r: r.number)
    work = work_dir(archive.settings.work_dir, job)
    archival_rel = _store_archival(archive, job, results, work)
    try:
        doc_id = _commit(archive, job, results, archival_rel, batch_id)
    except IntegrityError:
        # Another worker stored the same bytes first: not a second record.
        return Outcome(job.name, DUPLICATE, job.sha256)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    archive.search.flush()
    return Outcome(job.name, STORED, job.sha256, None, doc_id, len(results))


def _store_archival(
    archive: Archive, job: Job, results: list[PageResult], work: Path
) -> tuple[str, int, str] | None:
    if all(r.pdf_path is None for r in results) and job.media_type == "application/pdf":
        return None  # born-digital: the original already is the searchable PDF
    pdf = build_archival_pdf(archive, job, results, work / "archival.pdf")
    blob = archive.store.put(pdf, "archival")
    return blob.sha256, blob.size, blob.relpath


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
        title=guess_title(results),
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
