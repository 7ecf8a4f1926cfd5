"""Crash and resume: SIGKILL the ingest at random moments and at chosen points, then resume.

Every killed run is followed by checks that hold at any moment (a record is complete or
absent, the index agrees, no partial blob under a final name); the clean run that ends each
cycle must complete the batch with every input stored exactly once, no orphan blob, and the
same records an uninterrupted run makes. Each cycle starts from an empty archive, so every
kill lands somewhere in real work.

Runs are seeded: ``RECORDS_CRASH_RUNS`` (default 8) kills per test, ``RECORDS_CRASH_SEED``
(default 20261125) the first seed, ``RECORDS_CRASH_DEPTH`` (default 1) how many times a
critical point is passed before the kill. ``RECORDS_CRASH_RUNS=100 RECORDS_CRASH_DEPTH=3 pytest
tests/test_crash_resume.py`` is the long version.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pipeline import enrich as enrich_module
from pipeline import finalize
from pipeline.archive import Archive
from pipeline.db.models import Document
from pipeline.search.maintenance import verify
from pipeline.store import hash_file
from tests import imagegen
from tests.archive_checks import check_archive
from tests.conftest import ROOT, ingest_dir, make_settings
from tests.crashrun import POINTS

RUNS = int(os.environ.get("RECORDS_CRASH_RUNS", "8"))
SEED = int(os.environ.get("RECORDS_CRASH_SEED", "20261125"))
#: kill at the 1st .. DEPTH-th time a critical point is reached (at most 5)
DEPTH = int(os.environ.get("RECORDS_CRASH_DEPTH", "1"))
RUN_TIMEOUT = 300.0
#: kills on one archive before the clean run; every cycle starts from an empty archive
KILLS_PER_CYCLE = 2


def _page(lines: list[str]) -> Any:
    return imagegen.page(lines, size=(900, 260))


def born_digital(path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "Born-digital minutes of the Secretariat records committee, 2024")
    pdf.output(str(path))
    return path


def make_batch(folder: Path, small: bool = False) -> dict[str, int]:
    """Scans of every kind the clerk feeds in; returns file name -> page count."""
    folder.mkdir(parents=True, exist_ok=True)
    imagegen.save_png(_page(["秘書處函 第一號", "Letter one"]), folder / "a.png")
    imagegen.save_pdf(
        [_page(["簽 第二號", "page one"]), _page(["第二頁", "page two"])], folder / "d.pdf"
    )
    if small:
        return {"a.png": 1, "d.pdf": 2}
    imagegen.save_png(_page(["公告 第三號", "Notice three"]), folder / "b.png")
    imagegen.save_g4_tiff([_page(["契約 第四號"]), _page(["附件", "annex"])], folder / "e.tif")
    born_digital(folder / "f.pdf")
    return {"a.png": 1, "d.pdf": 2, "b.png": 1, "e.tif": 2, "f.pdf": 1}


def start(home: Path, src: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crashrun", str(home), str(src), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # tesseract and pdftoppm children die with it
    )


def kill_after(proc: subprocess.Popen[str], delay: float) -> bool:
    """SIGKILL the run's whole process group after ``delay`` s; False if it ended first."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        return True


def finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, err[-3000:]
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return summary


def records(home: Path) -> dict[str, tuple[Any, ...]]:
    """Each document by original name: hash, page count, page texts, archival content."""
    archive = Archive.open(make_settings(home))
    try:
        with archive.session() as s:
            return {
                d.original_name: (
                    d.sha256,
                    d.page_count,
                    tuple(p.text for p in d.pages),
                    _page_content(archive.store.path(d.archival.store_path))
                    if d.archival else None,
                )
                for d in s.scalars(select(Document))
            }
    finally:
        archive.close()


def _page_content(path: Path) -> str:
    """A digest of what the archival copy shows, page by page: content streams and image
    bytes. Its metadata (XMP and Info dates, the document ID) records when the copy was
    made, so two runs differ there by design."""
    digest = hashlib.sha256()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for stream in _streams(page.obj.get("/Contents")):
                digest.update(stream.read_bytes())
            for _name, image in page.images.items():
                digest.update(image.read_raw_bytes())
    return digest.hexdigest()


def _streams(contents: Any) -> list[Any]:
    if contents is None:
        return []
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def assert_resumed(home: Path, src: Path, pages: dict[str, int]) -> None:
    """The batch is complete: each input once, whole, indexed, no orphan blob."""
    archive = Archive.open(make_settings(home))
    try:
        state = check_archive(archive)
        assert state.unreferenced == [], "orphan blobs after resume"
        assert verify(archive.search, archive.sessions).in_step
    finally:
        archive.close()
    found = records(home)
    assert {n: r[1] for n, r in found.items()} == pages
    assert {r[0] for r in found.values()} == {hash_file(src / n)[0] for n in pages}
    assert (state.documents, state.pages) == (len(pages), sum(pages.values()))


def crash_once(home: Path, src: Path, delay: float) -> bool:
    killed = kill_after(start(home, src), delay)
    archive = Archive.open(make_settings(home))
    try:
        state = check_archive(archive)  # whatever the moment: complete records only
    finally:
        archive.close()
    print(
        f"kill after {delay:5.2f} s: {'killed' if killed else 'finished'}, "
        f"{state.documents} documents, {len(state.unreferenced)} unreferenced blobs, "
        f"{len(state.temp_leftovers)} temporary leftovers"
    )
    return killed


def _boot_time(tmp_path: Path) -> float:
    """Seconds a run takes to start, open and migrate the archive (a batch of nothing)."""
    empty = tmp_path / "nothing"
    empty.mkdir()
    started = time.monotonic()
    finish(start(tmp_path / "boot-home", empty))
    return time.monotonic() - started


@pytest.mark.slow
def test_random_sigkills_then_one_clean_run_complete_the_batch(tmp_path: Path) -> None:
    """Cycles of KILLS_PER_CYCLE random kills on a fresh archive, then a clean run."""
    src = tmp_path / "in"
    pages = make_batch(src)
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert finish(start(reference, src))["documents"] == len(pages)
    full = time.monotonic() - started
    expected = records(reference)
    boot = _boot_time(tmp_path)
    rng = random.Random(SEED)
    kills = 0
    for cycle in range(-(-RUNS // KILLS_PER_CYCLE)):
        home = tmp_path / f"home{cycle}"
        # the first kill anywhere (start-up and migration included), the next ones in the work
        delays = [rng.uniform(0.2, full)]
        delays += [rng.uniform(boot, full) for _ in range(KILLS_PER_CYCLE - 1)]
        kills += sum(crash_once(home, src, delay) for delay in delays)
        summary = finish(start(home, src))
        assert summary["quarantined"] == []
        assert summary["documents"] + summary["duplicates"] == len(pages)
        assert_resumed(home, src, pages)
        assert records(home) == expected  # the same records as an uninterrupted run
    assert kills >= 1, f"no run was killed (full run {full:.1f} s)"


#: how often the full batch passes each point (the born-digital PDF gets a PDF/A rendition)
PASSES = {"original-linked": 5, "archival-linked": 5, "in-commit": 5, "committed": 5}
KILL_POINTS = [
    pytest.param(point, after, id=f"{point}-{after}")
    for point in POINTS
    for after in range(1, min(DEPTH, PASSES[point]) + 1)
]


@pytest.mark.parametrize(("point", "after"), KILL_POINTS)
def test_a_kill_at_each_critical_point_is_resumed(tmp_path: Path, point: str, after: int) -> None:
    src = tmp_path / "in"
    pages = make_batch(src, small=after <= 2)  # the full batch passes each point 5 times
    home = tmp_path / "home"
    proc = start(home, src, "--die-at", point, "--die-after", str(after))
    proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    before = check_archive(Archive.open(make_settings(home)))
    if point in ("original-linked", "archival-linked"):
        assert before.unreferenced, "the blob linked just before the kill should be there"
    finish(start(home, src))
    assert_resumed(home, src, pages)


def test_a_commit_clash_that_is_not_a_duplicate_is_retried(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer taking the same audit entry number is no duplicate: retry."""
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(_page(["秘書處函 第五號"]), src / "a.png")
    clashes = iter([True, True])
    enrich = enrich_module.enrich

    def clashing_enrich(*args: Any) -> None:
        enrich(*args)
        if next(clashes, False):
            raise IntegrityError("INSERT INTO audit_log", {}, Exception("UNIQUE audit_log.id"))

    monkeypatch.setattr(finalize, "enrich", clashing_enrich)
    summary = ingest_dir(archive, src)
    assert (summary["documents"], summary["duplicates"]) == (1, 0)
    assert check_archive(archive).documents == 1
