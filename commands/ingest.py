"""``records ingest`` and ``records watch``: scanner output into the archive."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from commands.access import current_actor
from commands.common import err_console, load_settings, print_json
from pipeline import headstart, logs
from pipeline.archive import Archive
from pipeline.auth import Perm
from pipeline.batch import page_options, run_direct
from pipeline.errors import ExitCode
from pipeline.hotfolder import StabilityTracker, is_temporary
from pipeline.intake import InputFile, discover, find_manifest, require_exists
from pipeline.manifest import Manifest, load_manifest
from pipeline.settings import Settings

app = typer.Typer()


class RichProgress:
    """Pages done of total, pages per minute and failures so far, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.lock = threading.Lock()
        self.bar = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages · {task.fields[rate]:.1f} pages/min · {task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=err_console,
            disable=not enabled,
            transient=False,
        )
        self.task = self.bar.add_task("ingest", total=0, rate=0.0, failed=0)
        self.started, self.done, self.failed = time.monotonic(), 0, 0

    def add_pages(self, n: int) -> None:
        with self.lock:
            self.bar.update(self.task, total=(self.bar.tasks[0].total or 0) + n)

    def pages_done(self, n: int) -> None:
        with self.lock:
            self.done += n
            rate = self.done / max(1e-6, time.monotonic() - self.started) * 60
            self.bar.update(self.task, advance=n, rate=rate)

    def file_failed(self, name: str, reason: str) -> None:
        with self.lock:
            self.failed += 1
            self.bar.update(self.task, failed=self.failed)
            self.bar.console.print(f"[yellow]quarantined[/] {name}: {reason}")


def ingest_paths(
    settings: Settings,
    paths: list[Path],
    lang: str | None,
    force_ocr: bool,
    manifest_path: Path | None,
    direct: bool,
    show_progress: bool,
) -> dict[str, Any]:
    """Discover, then run the batch through Prefect (default) or directly."""
    require_exists(paths)
    _require_ingest(settings)
    manifest = _manifest(manifest_path or find_manifest(paths))
    return ingest_items(
        settings,
        discover(paths),
        [str(p) for p in paths],
        lang,
        force_ocr,
        manifest,
        direct,
        show_progress,
    )


def ingest_items(
    settings: Settings,
    items: list[InputFile],
    sources: list[str],
    lang: str | None,
    force_ocr: bool,
    manifest: Manifest | None,
    direct: bool,
    show_progress: bool,
) -> dict[str, Any]:
    """Run one batch of discovered files."""
    progress = RichProgress(show_progress)
    with progress.bar:
        if direct:
            return _direct(settings, items, sources, lang, force_ocr, manifest, progress)
        archive = Archive.open(settings)
        opts = page_options(archive, lang, force_ocr)
        archive.close()
        early = headstart.begin(settings, items, opts)  # OCR starts before Prefect's import
        try:
            from flows.ingest import run_ingest

            logs.reinstate()  # importing Prefect replaced the log handlers
        except BaseException:
            if early:
                early.close()
            raise
        return run_ingest(settings, items, sources, opts, manifest, progress, early)


def _direct(
    settings: Settings,
    items: list[InputFile],
    sources: list[str],
    lang: str | None,
    force_ocr: bool,
    manifest: Manifest | None,
    progress: RichProgress,
) -> dict[str, Any]:
    archive = Archive.open(settings)
    try:
        opts = page_options(archive, lang, force_ocr)
        return run_direct(archive, items, sources, opts, manifest, progress).to_dict()
    finally:
        archive.close()


def _require_ingest(settings: Settings) -> None:
    """Clerks and officers ingest; on a store without users (the demo) anyone may."""
    archive = Archive.open(settings)
    try:
        current_actor(archive).require(Perm.ingest)
    finally:
        archive.close()


def _manifest(path: Path | None) -> Manifest | None:
    return load_manifest(path) if path else None


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(summary)
    else:
        err_console.print(
            f"batch {summary['batch_id']}: {summary['documents']} new documents, "
            f"{summary['pages']} pages, {summary['duplicates']} duplicates, "
            f"{len(summary['quarantined'])} quarantined"
        )
        for q in summary["quarantined"]:
            err_console.print(f"  [yellow]quarantined[/] {q['path']}: {q['reason']}")
    if summary["quarantined"]:
        raise typer.Exit(int(ExitCode.completed_with_quarantine))


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of scanner output."),
    lang: str | None = typer.Option(None, "--lang", help="Tesseract languages, e.g. chi_tra+eng."),
    force_ocr: bool = typer.Option(False, "--force-ocr", help="OCR pages that have text."),
    manifest: Path | None = typer.Option(None, "--manifest", help="Batch manifest CSV/JSON."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    direct: bool = typer.Option(False, "--direct", help="Run without Prefect (thread pool)."),
    dask: str | None = typer.Option(None, "--dask", help="Dask scheduler address for OCR."),
) -> None:
    """Ingest scanner output: preserve, OCR, archive and index every file."""
    settings = load_settings()
    if dask:
        settings.dask_address = dask
    summary = ingest_paths(settings, paths, lang, force_ocr, manifest, direct, True)
    _report(summary, as_json)


@app.command()
def watch(
    folder: Path = typer.Argument(..., help="Folder the scanning station writes into."),
    interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between looks."),
    settle: float = typer.Option(
        10.0, "--settle", min=0.0, help="Seconds a file must stay unchanged before ingest."
    ),
    lang: str | None = typer.Option(None, "--lang"),
    once: bool = typer.Option(False, "--once", help="Ingest what is finished, then stop."),
    direct: bool = typer.Option(False, "--direct", help="Run without Prefect (thread pool)."),
) -> None:
    """Ingest files as the scanning station finishes writing them (Ctrl-C to stop)."""
    settings = load_settings()
    require_exists([folder])
    _require_ingest(settings)
    tracker = StabilityTracker(settle)
    err_console.print(f"watching {folder} every {interval:g} s (files settle for {settle:g} s)")
    try:
        while True:
            _watch_round(settings, folder, tracker, lang, direct)
            if once and not _unsettled(tracker, folder):
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        err_console.print("stopped")


def _watch_round(
    settings: Settings, folder: Path, tracker: StabilityTracker, lang: str | None, direct: bool
) -> None:
    ready = tracker.ready(discover([folder]), time.monotonic())
    if ready:
        manifest = _manifest(find_manifest([folder]))
        summary = ingest_items(settings, ready, [str(folder)], lang, False, manifest, direct, True)
        _report_line(summary)


def _unsettled(tracker: StabilityTracker, folder: Path) -> bool:
    names = {i.name for i in discover([folder]) if not is_temporary(i.name)}
    done = {name for name, _, _ in tracker.done}
    return bool(names - done)


def _report_line(summary: dict[str, Any]) -> None:
    err_console.print(
        f"batch {summary['batch_id']}: {summary['documents']} new, {summary['duplicates']} "
        f"duplicates, {len(summary['quarantined'])} quarantined"
    )
