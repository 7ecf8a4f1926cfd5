"""The ingest flow: one task per input file, per chunk of pages, per finished document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows import local_server
from flows._retry import ingest_transient
from pipeline.archive import Archive
from pipeline.batch import BatchDriver, BatchSummary, Progress
from pipeline.finalize import finalize
from pipeline.headstart import HeadStart
from pipeline.headstart import begin as headstart_begin
from pipeline.ingest import Job, prepare, process_chunk
from pipeline.intake import InputFile
from pipeline.manifest import Manifest, ManifestEntry
from pipeline.pages import PageOptions, PageResult
from pipeline.settings import Settings

_progress: Progress | None = None
#: image files read while Prefect's local server starts (local runs only)
_headstart: HeadStart | None = None


@cache
def archive_for(settings_json: str) -> Archive:
    """One open archive per process (threads share it; Dask workers open their own)."""
    return Archive.open(Settings.model_validate_json(settings_json), migrate=False)


@task(
    name="preserve-and-plan",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=ingest_transient,
    cache_policy=NO_CACHE,
)
def prepare_task(
    settings_json: str, item: InputFile, entry: ManifestEntry | None, opts: PageOptions
) -> Any:
    return prepare(archive_for(settings_json), item, entry, opts)


@task(
    name="ocr-pages",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=ingest_transient,
    cache_policy=NO_CACHE,
)
def pages_task(
    job: Job, numbers: list[int], opts: PageOptions, store: Path, work: Path
) -> list[PageResult]:
    early = _headstart.take(job, numbers) if _headstart else None
    return early if early is not None else process_chunk(job, numbers, opts, store, work)


@task(
    name="archive-and-commit",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=ingest_transient,
    cache_policy=NO_CACHE,
)
def finalize_task(settings_json: str, job: Job, results: list[PageResult], batch_id: int) -> Any:
    return finalize(archive_for(settings_json), job, results, batch_id)


class PrefectScheduler:
    """Submits the ingest steps as Prefect tasks on the flow's task runner."""

    def __init__(self, settings_json: str, opts: PageOptions, manifest: Manifest | None) -> None:
        self.settings_json, self.opts, self.manifest = settings_json, opts, manifest
        self.settings = Settings.model_validate_json(settings_json)

    def prepare(self, item: InputFile) -> PrefectFuture[Any]:
        entry = self.manifest.lookup(item.name) if self.manifest else None
        return prepare_task.submit(self.settings_json, item, entry, self.opts)

    def pages(self, job: Job, numbers: list[int]) -> PrefectFuture[Any]:
        s = self.settings
        return pages_task.submit(job, numbers, self.opts, s.store_dir, s.work_dir)

    def finalize(self, job: Job, results: list[PageResult], batch_id: int) -> PrefectFuture[Any]:
        return finalize_task.submit(self.settings_json, job, results, batch_id)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[Any]:
        return as_completed(list(handles))

    def result(self, handle: Any) -> Any:
        return handle.result()


@flow(name="ingest", validate_parameters=False, log_prints=False)
def ingest_flow(
    settings_json: str,
    items: list[InputFile],
    sources: list[str],
    opts: PageOptions,
    manifest: Manifest | None = None,
) -> dict[str, Any]:
    """Ingest scanner output into the archive; returns the batch summary."""
    archive = archive_for(settings_json)
    scheduler = PrefectScheduler(settings_json, opts, manifest)
    summary: BatchSummary = BatchDriver(archive, scheduler, opts, _progress).run(items, sources)
    return summary.to_dict()


def run_ingest(
    settings: Settings,
    items: list[InputFile],
    sources: list[str],
    opts: PageOptions,
    manifest: Manifest | None,
    progress: Progress | None = None,
    headstart: HeadStart | None = None,
) -> dict[str, Any]:
    """Run the flow locally (threads) or on a Dask cluster when ``dask_address`` is set.

    Locally, the pages of image files are begun at once (:mod:`pipeline.headstart`; the
    CLI begins them before importing this module) while Prefect reaches its local server
    (:mod:`flows.local_server`).
    """
    global _progress, _headstart
    _progress = progress
    runner: Any = ThreadPoolTaskRunner(max_workers=settings.workers)
    if settings.dask_address:
        from prefect_dask.task_runners import DaskTaskRunner

        runner = DaskTaskRunner(address=settings.dask_address)
        Archive.open(settings).close()  # migrate once, before tasks open their own
    else:
        _headstart = headstart or headstart_begin(settings, items, opts)
    try:
        url = local_server.ensure(settings.prefect_port, settings.prefect_idle_minutes)
        with temporary_settings({PREFECT_API_URL: url} if url else {}):
            return ingest_flow.with_options(task_runner=runner)(
                settings.model_dump_json(), items, sources, opts, manifest
            )
    finally:
        if _headstart:
            _headstart.close()
        _progress, _headstart = None, None
