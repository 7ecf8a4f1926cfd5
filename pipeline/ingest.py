"""The ingest steps, in order: preserve, prepare, process pages, finalize.

Each step is a plain function so it runs the same directly, in a thread pool,
in a Prefect task or on a Dask worker. The original is copied into the store
before anything reads it; a document, its pages, its archival copy and its
index entries become visible in one transaction at the end, so a crash at any
point leaves either nothing or a complete record, and the next run finishes
the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pikepdf
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline import imaging
from pipeline._exec import poppler
from pipeline.archive import Archive
from pipeline.db.models import Document, StoredFile
from pipeline.di.sniff import is_package
from pipeline.errors import (
    CorruptFile,
    EncryptedFile,
    ExternalProgramError,
    ImageTooLarge,
    InputFileError,
)
from pipeline.intake import InputFile, sniff
from pipeline.manifest import ManifestEntry
from pipeline.pages import (
    PageOptions,
    PageResult,
    layer_char_count,
    layer_page,
    process_image_page,
    process_pdf_page,
)
from pipeline.states import State
from pipeline.store import ContentStore, disk_errors, hash_file

STORED, DUPLICATE, QUARANTINED = "stored", "duplicate", "quarantined"


@dataclass(frozen=True, kw_only=True)
class Job:
    """A preserved original; :func:`plan` fills in what page processing needs."""

    name: str
    source: str
    sha256: str
    size: int
    relpath: str
    #: sniffed by :func:`plan` (empty before)
    media_type: str = ""
    page_count: int = 0
    #: pages whose text comes from the PDF's own text layer, by page number
    layer_pages: dict[int, poppler.LayerPage] = field(default_factory=dict)
    manifest: ManifestEntry | None = None
    #: pages whose results are known when planning (a DI's pages, laid out from its XML)
    given_pages: dict[int, PageResult] = field(default_factory=dict)
    #: the PDF the pages are read from when it is not the original: a born-digital
    #: package's reading copy, in the job's shared work folder (gone after finalize)
    pages_from: str | None = None

    @property
    def ocr_pages(self) -> list[int]:
        skip = self.layer_pages.keys() | self.given_pages.keys()
        return [n for n in range(1, self.page_count + 1) if n not in skip]

    def page_source(self, store: ContentStore) -> Path:
        """The file whose pages are processed."""
        return Path(self.pages_from) if self.pages_from else store.path(self.relpath)


@dataclass(frozen=True)
class Outcome:
    """What became of one input file."""

    name: str
    outcome: str
    sha256: str | None = None
    reason: str | None = None
    document_id: int | None = None
    pages: int = 0


def preserve(archive: Archive, item: InputFile) -> tuple[str, int, str]:
    """Copy the original into the store (write-once, fsync'd) and record the blob."""
    try:
        with item.path.open("rb"):
            pass
    except OSError as exc:
        raise InputFileError(f"unreadable file: {exc.strerror or exc}") from exc
    blob = archive.store.put(item.path, "original")
    with archive.session() as session:
        record_blob(
            session, blob.sha256, "original", blob.size, "application/octet-stream", blob.relpath
        )
    return blob.sha256, blob.size, blob.relpath


def record_blob(
    session: Session, sha: str, kind: str, size: int, media_type: str, relpath: str
) -> StoredFile:
    """The files row of a blob, created if missing (safe when two workers race)."""
    query = select(StoredFile).where(StoredFile.sha256 == sha, StoredFile.kind == kind)
    if existing := session.scalar(query):
        return existing
    try:
        with session.begin_nested():
            row = StoredFile(
                sha256=sha, kind=kind, size=size, media_type=media_type, store_path=relpath
            )
            session.add(row)
        return row
    except IntegrityError:
        return session.scalars(query).one()


def prepare(
    archive: Archive, item: InputFile, entry: ManifestEntry | None, opts: PageOptions
) -> Job | Outcome:
    """Preserve one input file and plan its pages, or say why it goes no further."""
    if is_package(item.path):
        from pipeline.di.package import prepare_package  # it builds on this module's steps

        return prepare_package(archive, item, entry, opts)
    try:
        known = _known(archive, item)
        if known is not None:
            return known
        sha, size, rel = preserve(archive, item)
    except InputFileError as exc:
        return Outcome(item.name, QUARANTINED, None, exc.reason)
    if existing := _document_id(archive, sha):  # the file changed since it was hashed
        return Outcome(item.name, DUPLICATE, sha, None, existing)
    try:
        return plan(
            archive.store.path(rel),
            Job(name=item.name, source=str(item.path), sha256=sha, size=size, relpath=rel,
                manifest=entry),
            opts,
        )
    except (InputFileError, ExternalProgramError) as exc:
        return Outcome(item.name, QUARANTINED, sha, str(exc))


def _known(archive: Archive, item: InputFile) -> Outcome | None:
    try:
        sha, _ = hash_file(item.path)
    except OSError as exc:
        raise InputFileError(f"unreadable file: {exc.strerror or exc}") from exc
    return known_outcome(archive, item.name, sha)


def known_outcome(archive: Archive, name: str, sha: str) -> Outcome | None:
    """Bytes already stored are a duplicate; bytes destroyed under a disposal stay destroyed."""
    with archive.session() as session:
        row = session.execute(
            select(Document.id, Document.status).where(Document.sha256 == sha)
        ).first()
    if row is None:
        return None
    if row.status == State.disposed:
        reason = f"destroyed under an approved disposal (document {row.id}); not re-ingested"
        return Outcome(name, QUARANTINED, sha, reason)
    return Outcome(name, DUPLICATE, sha, None, row.id)


def _document_id(archive: Archive, sha: str) -> int | None:
    with archive.session() as session:
        return session.scalar(select(Document.id).where(Document.sha256 == sha))


def plan(path: Path, job: Job, opts: PageOptions) -> Job:
    """Fill in media type, page count and text-layer pages (raises InputFileError)."""
    media_type = sniff(path)
    if media_type == "application/pdf":
        count, layers = _plan_pdf(path, opts)
    else:
        with imaging.open_image(path, opts.max_pixels) as img:
            count, layers = imaging.frame_count(img), {}
    return replace(job, media_type=media_type, page_count=count, layer_pages=layers)


def _plan_pdf(path: Path, opts: PageOptions) -> tuple[int, dict[int, poppler.LayerPage]]:
    try:
        with pikepdf.open(path) as pdf:
            sizes = [tuple(float(v) for v in page.mediabox[2:]) for page in pdf.pages]
    except pikepdf.PasswordError as exc:
        raise EncryptedFile(
            "password-protected PDF (cannot be opened without its password)"
        ) from exc
    except (pikepdf.PdfError, ValueError, RecursionError) as exc:
        raise CorruptFile(f"corrupt or truncated PDF: {exc}") from exc
    if not sizes:
        raise CorruptFile("PDF has no pages")
    scale = opts.dpi / 72.0
    for w, h in sizes:
        imaging.check_pixels(int(abs(w) * scale), int(abs(h) * scale), opts.max_pixels)
    if opts.force_ocr:
        return len(sizes), {}
    layers = poppler.text_layer(path, opts.raster_timeout)
    keep = {
        i + 1: lp
        for i, lp in enumerate(layers)
        if layer_char_count(lp) >= opts.text_layer_min_chars
    }
    return len(sizes), keep


def work_dir(work_root: Path, job: Job) -> Path:
    return work_folder(work_root, job.sha256)


def work_folder(work_root: Path, sha256: str) -> Path:
    """The shared work folder of the original with this hash (its page files)."""
    path = work_root / sha256[:24]
    path.mkdir(parents=True, exist_ok=True)
    return path


def process_chunk(
    job: Job, numbers: list[int], opts: PageOptions, store_root: Path, work_root: Path
) -> list[PageResult]:
    """Process some pages of a job; needs only the shared store and work folders."""
    source = job.page_source(ContentStore(store_root))
    with disk_errors(f"cannot write page files of {job.name} to {work_root}"):
        work = work_dir(work_root, job)
        return [_one_page(job, n, opts, source, work) for n in numbers]


def _one_page(job: Job, n: int, opts: PageOptions, source: Path, work: Path) -> PageResult:
    try:
        return _read_page(job, n, opts, source, work)
    except MemoryError as exc:
        # a page bigger than this process's memory (a limit, or a bomb under the pixel
        # cap): the file is quarantined and the batch goes on
        raise ImageTooLarge(f"第 {n} 頁超出可用記憶體，無法處理 (page {n} needs more memory "
                            "than this process has)") from exc


def _read_page(job: Job, n: int, opts: PageOptions, source: Path, work: Path) -> PageResult:
    if n in job.given_pages:
        return job.given_pages[n]
    if n in job.layer_pages:
        return layer_page(job.layer_pages[n], n, opts.dpi)
    if job.media_type == "application/pdf" or job.pages_from:  # a reading copy is a PDF
        return process_pdf_page(source, n, opts, work)
    return process_image_page(source, n, opts, work)


def chunks(job: Job, size: int) -> list[list[int]]:
    """Page numbers split into tasks; text-layer pages are cheap and ride in one chunk."""
    ocr = job.ocr_pages
    parts = [ocr[i : i + size] for i in range(0, len(ocr), size)]
    if job.layer_pages or job.given_pages:
        parts.append(sorted(job.layer_pages.keys() | job.given_pages.keys()))
    return parts
