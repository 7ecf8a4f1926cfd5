"""Hostile input: every malformed file ends stored or quarantined, within time and memory.

Each file is ingested alone in a child process under ``RLIMIT_AS`` (address space, so
tesseract and pdftoppm inherit it) and a wall-clock limit. The limit is a budget on top of
what the forked test worker already maps: a worker that has run other tests holds thread
stacks and malloc arenas that are reserved, not used, and an absolute limit below that
makes SQLite's first ``mmap`` fail before the file is even read; then the whole set goes
through one batch, which must complete. Files: Pillow's test images (``tests/data/pillow/images``,
vendored with Pillow's licence) and the generated cases of ``tests/hostile.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import shutil
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive import Archive
from tests import hostile
from tests.archive_checks import check_archive
from tests.conftest import CORPUS, ingest_dir, make_settings

#: real, well-formed scans of the corpus that only cost OCR time (test_ingest covers them)
EXPENSIVE = {"pport_g4.tif", "g4-multi.tiff"}

MEMORY_LIMIT = int(os.environ.get("RECORDS_HOSTILE_MEMORY_MB", "3072")) * 1024 * 1024
TIME_LIMIT = float(os.environ.get("RECORDS_HOSTILE_SECONDS", "240"))


@dataclass(frozen=True)
class Run:
    name: str
    outcome: str
    reason: str
    seconds: float
    max_rss_mb: float


def _outcome(summary: dict[str, Any]) -> tuple[str, str]:
    if summary["quarantined"]:
        return "quarantined", summary["quarantined"][0]["reason"]
    return ("stored", "") if summary["documents"] else ("duplicate", "")


def mapped_bytes() -> int:
    """This process's address-space size now (``VmSize``)."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmSize:\s+(\d+) kB", status, re.MULTILINE)
    assert match, "no VmSize in /proc/self/status"
    return int(match.group(1)) * 1024


def _child(home: Path, path: Path, conn: Connection) -> None:
    """In the forked child: own process group, address-space limit, one ingest."""
    os.setsid()  # tesseract and pdftoppm join it, and die with it on a timeout
    limit = mapped_bytes() + MEMORY_LIMIT
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    settings = make_settings(home, lang="eng", ocr_timeout=120.0, raster_timeout=120.0)
    archive = Archive.open(settings)
    try:
        conn.send(ingest_dir(archive, path))
    finally:
        archive.close()
        conn.close()


def ingest_alone(home: Path, path: Path) -> Run:
    """One file in a forked child under the limits (imports are shared, so it starts fast)."""
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    proc = multiprocessing.get_context("fork").Process(target=_child, args=(home, path, send))
    started = time.monotonic()
    proc.start()
    send.close()
    proc.join(TIME_LIMIT)
    if proc.is_alive():
        assert proc.pid is not None
        os.killpg(proc.pid, signal.SIGKILL)
        proc.join()
        pytest.fail(f"{path.name}: still running after {TIME_LIMIT} s")
    seconds = time.monotonic() - started
    assert proc.exitcode == 0 and receive.poll(), f"{path.name} crashed (exit {proc.exitcode})"
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Run(path.name, *_outcome(receive.recv()), seconds, rss)


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "files"
    hostile.build(folder)
    full = bool(os.environ.get("RECORDS_HOSTILE_FULL"))
    for item in sorted(CORPUS.iterdir()):
        if full or item.name not in EXPENSIVE:
            shutil.copy(item, folder / f"pillow-{item.name}")
    return folder


#: what must become of a file; anything not listed may be stored or quarantined
EXPECTED = {
    "encrypted.pdf": "quarantined",
    "giant-page.pdf": "quarantined",
    "huge-header.tif": "quarantined",
    "gif-named.png": "quarantined",
    "random.tif": "quarantined",
    "png-named.pdf": "stored",
    "pdf-named.tif": "stored",
    "pdf-zip-polyglot.pdf": "stored",
    "broken-xref.pdf": "stored",
    "pillow-decompression_bomb.gif": "quarantined",
    "pillow-broken.png": "quarantined",
}


@pytest.mark.slow
def test_each_hostile_file_alone_ends_stored_or_quarantined_within_limits(
    hostile_dir: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    runs = [ingest_alone(home, path) for path in sorted(hostile_dir.iterdir())]
    report = "\n".join(
        f"{r.name:40} {r.outcome:11} {r.seconds:6.1f} s {r.max_rss_mb:7.0f} MB {r.reason[:60]}"
        for r in runs
    )
    print(report)
    got = {r.name: r.outcome for r in runs}
    assert {n: got[n] for n in EXPECTED} == EXPECTED
    assert all(r.outcome in ("stored", "quarantined", "duplicate") for r in runs)
    archive = Archive.open(make_settings(home), migrate=False)
    try:
        state = check_archive(archive)
    finally:
        archive.close()
    assert state.documents == sum(r.outcome == "stored" for r in runs)


def test_the_whole_hostile_set_in_one_batch_completes(hostile_dir: Path, tmp_path: Path) -> None:
    archive = Archive.open(make_settings(tmp_path / "home", lang="eng"))
    try:
        summary = ingest_dir(archive, hostile_dir)
        accounted = summary["documents"] + summary["duplicates"] + len(summary["quarantined"])
        assert accounted == len(list(hostile_dir.iterdir()))
        check_archive(archive)
    finally:
        archive.close()
