"""OCR begun before the orchestrator is up, so that a batch's first pages do not wait for it.

Prefect's local API server takes about ten seconds to start (a new database and its
migrations) before the flow's first task runs; on a 12-page batch that was a third of the
wall time. Reading a page image needs nothing from the archive, so while Prefect starts,
the batch's image files are read here, each keyed by the SHA-256 of the bytes it was read
from. The flow's page task takes a reading only when that hash is the one of the original
it preserved, and reads the page itself otherwise; once the flow runs, files not yet begun
are left to it. PDFs (text layers, reading copies) always go through the flow.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pipeline import imaging
from pipeline.ingest import Job, work_folder
from pipeline.intake import InputFile, sniff
from pipeline.pages import PageOptions, PageResult, process_image_page
from pipeline.store import hash_file

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})


@dataclass(frozen=True)
class _Reading:
    sha256: str
    pages: dict[int, PageResult]


def read_file(path: Path, opts: PageOptions, work_root: Path) -> _Reading | None:
    """Every page of an image file, and the hash of the bytes read; None for other files."""
    if sniff(path) not in IMAGE_TYPES:
        return None
    sha = hash_file(path)[0]
    with imaging.open_image(path, opts.max_pixels) as img:
        count = imaging.frame_count(img)
    work = work_folder(work_root, sha)
    pages = {n: process_image_page(path, n, opts, work) for n in range(1, count + 1)}
    if hash_file(path)[0] != sha:  # changed while it was read: the flow reads the stored copy
        return None
    return _Reading(sha, pages)


class HeadStart:
    """Reads a batch's image files in its own threads until :meth:`stop`."""

    def __init__(
        self, items: list[InputFile], opts: PageOptions, work_root: Path, workers: int
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="headstart")
        self._reads: dict[str, Future[_Reading | None]] = {
            str(item.path): self._pool.submit(read_file, item.path, opts, work_root)
            for item in items
        }
        self._taken: set[str] = set()

    def stop(self) -> None:
        """Leave the files not yet begun to the flow; those being read are finished."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def take(self, job: Job, numbers: list[int]) -> list[PageResult] | None:
        """The pages ``numbers`` of ``job`` if they were read from its very bytes."""
        future = self._reads.get(job.source)
        if future is None or future.cancelled():
            return None
        try:
            reading = future.result()
        except Exception as exc:  # the flow reads the page again, with its retries
            log.debug("head start of %s failed: %s", job.name, exc)
            return None
        if reading is None or reading.sha256 != job.sha256:
            return None
        if not set(numbers) <= reading.pages.keys():
            return None
        self._taken.add(job.source)
        return [reading.pages[n] for n in numbers]

    def close(self) -> None:
        """Wait for readings under way and delete the page files nobody took."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for source, future in self._reads.items():
            if source in self._taken or future.cancelled() or future.exception() is not None:
                continue
            reading = future.result()
            for page in reading.pages.values() if reading else ():
                if page.pdf_path:
                    Path(page.pdf_path).unlink(missing_ok=True)
                    with suppress(OSError):  # the folder of a duplicate: empty now
                        Path(page.pdf_path).parent.rmdir()
