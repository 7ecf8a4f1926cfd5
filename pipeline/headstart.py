"""OCR begun at once, so that a batch's pages do not wait for the orchestrator.

Prefect needs a moment before the flow's first task runs (importing it, reaching its
API server, which a first batch also starts; ``flows/local_server.py``). Reading a page
image needs nothing from the archive, so every page of the batch's image files is read
here from the start, each keyed by the SHA-256 of the file's bytes; the flow's page
task takes a reading only when that hash is the one of the original it preserved and
the file still has those bytes, and reads the page itself otherwise. Bytes the archive
already holds (a batch run again) are not read. PDFs (text layers, reading copies)
always go through the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pipeline import imaging
from pipeline.archive import Archive
from pipeline.errors import RecordsError
from pipeline.ingest import Job, known_outcome, work_folder
from pipeline.intake import InputFile, sniff
from pipeline.pages import PageOptions, PageResult, process_image_page
from pipeline.settings import Settings
from pipeline.store import hash_file

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})


@dataclass(frozen=True)
class _File:
    path: Path
    sha256: str
    pages: dict[int, Future[PageResult]]


def _identify(path: Path, opts: PageOptions) -> tuple[str, int] | None:
    """The hash and page count of an image file; None for other or unreadable files."""
    try:
        if sniff(path) not in IMAGE_TYPES:
            return None
        sha = hash_file(path)[0]
        with imaging.open_image(path, opts.max_pixels) as img:
            return sha, imaging.frame_count(img)
    except (OSError, RecordsError):  # the flow quarantines it with the reason
        return None


class HeadStart:
    """Reads the pages of a batch's image files in its own threads, one page per task."""

    def __init__(
        self,
        items: list[InputFile],
        opts: PageOptions,
        work_root: Path,
        workers: int,
        known: Callable[[str], bool] = lambda sha: False,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="headstart")
        self._files: dict[str, _File] = {}
        for item in items:
            found = _identify(item.path, opts)
            if found is None or known(found[0]):
                continue
            sha, count = found
            work = work_folder(work_root, sha)
            pages = {
                n: self._pool.submit(process_image_page, item.path, n, opts, work)
                for n in range(1, count + 1)
            }
            self._files[str(item.path)] = _File(item.path, sha, pages)
        self._taken: set[tuple[str, int]] = set()
        #: files whose bytes were checked after all their pages were read
        self._checked: set[str] = set()

    def take(self, job: Job, numbers: list[int]) -> list[PageResult] | None:
        """The pages ``numbers`` of ``job`` if they were read from its very bytes."""
        file = self._files.get(job.source)
        if file is None or file.sha256 != job.sha256 or not set(numbers) <= file.pages.keys():
            return None
        try:
            pages = [file.pages[n].result() for n in numbers]
        except Exception as exc:  # the flow reads the page again, with its retries
            log.debug("head start of %s failed: %s", job.name, exc)
            return None
        if not self._unchanged(file):  # changed while read: the flow reads the stored copy
            return None
        self._taken.update((job.source, n) for n in numbers)
        return pages

    def _unchanged(self, file: _File) -> bool:
        """The file still has the bytes it was read from; checked once after its last page."""
        key = str(file.path)
        if key in self._checked:
            return True
        done = all(f.done() for f in file.pages.values())
        if hash_file(file.path)[0] != file.sha256:
            return False
        if done:
            self._checked.add(key)
        return True

    def close(self) -> None:
        """Stop reading and delete the page files nobody took."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for source, file in self._files.items():
            for number, future in file.pages.items():
                if (source, number) in self._taken or future.cancelled() or future.exception():
                    continue
                if pdf := future.result().pdf_path:
                    Path(pdf).unlink(missing_ok=True)
                    with suppress(OSError):  # the folder of a file not stored: empty now
                        Path(pdf).parent.rmdir()


def begin(settings: Settings, items: list[InputFile], opts: PageOptions) -> HeadStart | None:
    """Start reading a local batch's pages now (None on a Dask cluster: the workers are
    elsewhere). Called before Prefect is even imported (2-3 s of a batch's start-up)."""
    if settings.dask_address:
        return None
    archive = Archive.open(settings)  # migrates once, before the flow's tasks open their own
    try:
        return HeadStart(
            items,
            opts,
            settings.work_dir,
            settings.workers,
            known=lambda sha: known_outcome(archive, "", sha) is not None,
        )
    finally:
        archive.close()
