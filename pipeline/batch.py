"""Running a batch: the order of the ingest steps, independent of who executes them.

The driver below submits steps to a ``Scheduler``: a thread pool when called
directly, Prefect tasks (local threads or a Dask cluster) from ``flows/``. It
keeps the clerk's guarantees in one place: every input ends stored, duplicate
or quarantined; identical bytes are processed once; one bad file never stops
the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline import classify, preservation
from pipeline.archive import Archive
from pipeline.db.models import Batch, BatchItem, utcnow
from pipeline.errors import ExternalProgramError, InputFileError
from pipeline.finalize import finalize
from pipeline.ingest import (
    DUPLICATE,
    QUARANTINED,
    STORED,
    Job,
    Outcome,
    chunks,
    prepare,
    process_chunk,
)
from pipeline.intake import InputFile
from pipeline.manifest import Manifest
from pipeline.pages import PageOptions, PageResult

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Where the driver reports progress (a rich bar in the CLI, nothing in tests)."""

    def add_pages(self, n: int) -> None: ...
    def pages_done(self, n: int) -> None: ...
    def file_failed(self, name: str, reason: str) -> None: ...


class NoProgress:
    def add_pages(self, n: int) -> None:
        """Nothing to show."""

    def pages_done(self, n: int) -> None:
        """Nothing to show."""

    def file_failed(self, name: str, reason: str) -> None:
        """Nothing to show."""


class Scheduler(Protocol):
    """Runs the three ingest steps somewhere and hands back their results."""

    def prepare(self, item: InputFile) -> Any: ...
    def pages(self, job: Job, numbers: list[int]) -> Any: ...
    def finalize(self, job: Job, results: list[PageResult], batch_id: int) -> Any: ...
    def as_completed(self, handles: Iterable[Any]) -> Iterator[Any]: ...
    def result(self, handle: Any) -> Any: ...


@dataclass
class BatchSummary:
    """What ``records ingest --json`` prints."""

    batch_id: int
    documents: int = 0
    pages: int = 0
    duplicates: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    #: veraPDF's verdicts on the new archival copies (None: not validated)
    archival_validation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "documents": self.documents,
            "pages": self.pages,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "document_ids": self.document_ids,
            "archival_validation": self.archival_validation,
        }


@dataclass
class _DocState:
    job: Job
    remaining: int
    results: list[PageResult] = field(default_factory=list)
    failed: bool = False


class BatchDriver:
    """Drives one batch through a scheduler, recording every outcome."""

    def __init__(
        self,
        archive: Archive,
        scheduler: Scheduler,
        opts: PageOptions,
        progress: Progress | None = None,
    ) -> None:
        self.archive, self.scheduler, self.opts = archive, scheduler, opts
        self.progress = progress or NoProgress()
        self.docs: dict[Any, _DocState] = {}
        self.seen: set[str] = set()
        self.pending: set[Any] = set()
        self.finalizing: dict[Any, Job] = {}

    def run(self, items: list[InputFile], sources: list[str]) -> BatchSummary:
        self.summary = BatchSummary(self._start_batch(sources))
        if items:
            classify.warm_up(self.archive.settings)
        self.pending = {self.scheduler.prepare(item) for item in items}
        while self.pending:
            handle = next(self.scheduler.as_completed(self.pending))
            self.pending.discard(handle)
            self._handle(handle)
        self._finish_batch()
        # a follow-up on stored documents: a validator problem never fails the batch
        run = preservation.after_batch(self.archive, self.summary.document_ids)
        self.summary.archival_validation = run.to_dict() if run else None
        return self.summary

    def _handle(self, handle: Any) -> None:
        if handle in self.docs:
            self._page_chunk_done(handle)
            return
        job = self.finalizing.pop(handle, None)
        try:
            value = self.scheduler.result(handle)
        except (InputFileError, ExternalProgramError) as exc:
            if job is None:
                raise
            value = Outcome(job.name, QUARANTINED, job.sha256, str(exc))
        if isinstance(value, Job):
            self._start_pages(value)
        else:
            self._record(value)

    def _start_pages(self, job: Job) -> None:
        if job.sha256 in self.seen:  # same bytes twice in this batch
            self._record(Outcome(job.name, DUPLICATE, job.sha256))
            return
        self.seen.add(job.sha256)
        self.progress.add_pages(job.page_count)
        parts = chunks(job, self.archive.settings.pages_per_task)
        state = _DocState(job, len(parts))
        for numbers in parts:
            handle = self.scheduler.pages(job, numbers)
            self.docs[handle] = state
            self.pending.add(handle)

    def _page_chunk_done(self, handle: Any) -> None:
        state = self.docs.pop(handle)
        state.remaining -= 1
        try:
            results: list[PageResult] = self.scheduler.result(handle)
        except (InputFileError, ExternalProgramError) as exc:
            if not state.failed:
                state.failed = True
                self._record(Outcome(state.job.name, QUARANTINED, state.job.sha256, str(exc)))
            return
        self.progress.pages_done(len(results))
        state.results.extend(results)
        if state.remaining == 0 and not state.failed:
            handle = self.scheduler.finalize(state.job, state.results, self.summary.batch_id)
            self.finalizing[handle] = state.job
            self.pending.add(handle)

    def _record(self, outcome: Outcome) -> None:
        s = self.summary
        # info, not warning: the summary reports quarantines to the clerk already
        log.info("%s: %s%s", outcome.name, outcome.outcome,
                 f" ({outcome.reason})" if outcome.reason else "")
        if outcome.outcome == STORED:
            s.documents += 1
            s.pages += outcome.pages
            s.document_ids.append(outcome.document_id or 0)
            return  # its batch item was written with the document
        if outcome.outcome == DUPLICATE:
            s.duplicates += 1
        else:
            s.quarantined.append({"path": outcome.name, "reason": outcome.reason or ""})
            self.progress.file_failed(outcome.name, outcome.reason or "")
        with self.archive.session() as session:
            session.add(
                BatchItem(
                    batch_id=s.batch_id,
                    path=outcome.name,
                    sha256=outcome.sha256,
                    outcome=outcome.outcome,
                    reason=outcome.reason,
                    document_id=outcome.document_id,
                )
            )

    def _start_batch(self, sources: list[str]) -> int:
        with self.archive.session() as session:
            batch = Batch(lang=self.opts.lang, force_ocr=self.opts.force_ocr, sources=sources)
            session.add(batch)
            session.flush()
            return batch.id

    def _finish_batch(self) -> None:
        with self.archive.session() as session:
            batch = session.get(Batch, self.summary.batch_id)
            assert batch is not None
            batch.finished_at = utcnow()
            batch.summary = self.summary.to_dict()


class ThreadScheduler:
    """Runs the steps in a local thread pool (tesseract runs as child processes)."""

    def __init__(
        self, archive: Archive, opts: PageOptions, manifest: Manifest | None, workers: int
    ) -> None:
        self.archive, self.opts, self.manifest = archive, opts, manifest
        self.pool = ThreadPoolExecutor(max_workers=workers)

    def prepare(self, item: InputFile) -> Future[Any]:
        entry = self.manifest.lookup(item.name) if self.manifest else None
        return self.pool.submit(prepare, self.archive, item, entry, self.opts)

    def pages(self, job: Job, numbers: list[int]) -> Future[Any]:
        s = self.archive.settings
        return self.pool.submit(process_chunk, job, numbers, self.opts, s.store_dir, s.work_dir)

    def finalize(self, job: Job, results: list[PageResult], batch_id: int) -> Future[Any]:
        return self.pool.submit(finalize, self.archive, job, results, batch_id)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[Any]:
        return as_completed(list(handles))

    def result(self, handle: Any) -> Any:
        return handle.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def page_options(archive: Archive, lang: str | None, force_ocr: bool) -> PageOptions:
    """Page options from settings plus this batch's flags."""
    s = archive.settings
    return PageOptions(
        lang=lang or s.lang,
        dpi=s.dpi,
        force_ocr=force_ocr,
        ocr_timeout=s.ocr_timeout,
        raster_timeout=s.raster_timeout,
        max_pixels=s.max_image_pixels,
        text_layer_min_chars=s.text_layer_min_chars,
    )


def run_direct(
    archive: Archive,
    items: list[InputFile],
    sources: list[str],
    opts: PageOptions,
    manifest: Manifest | None,
    progress: Progress | None = None,
) -> BatchSummary:
    """Ingest without Prefect (tests, benchmarks of orchestration overhead)."""
    scheduler = ThreadScheduler(archive, opts, manifest, archive.settings.workers)
    try:
        return BatchDriver(archive, scheduler, opts, progress).run(items, sources)
    finally:
        scheduler.close()
