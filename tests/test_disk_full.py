"""Disk full while storing: a clean StorageError (exit code 6), nothing half-written, and the
batch completes once space returns.

The full disk is a tmpfs of a few hundred kB mounted by the test (as root) over
``RECORDS_HOME/store`` or over the whole ``RECORDS_HOME``; ``mount -o remount,size=`` then
gives the space back. Where mounting is not permitted the same runs use ``RLIMIT_FSIZE``
in the child process instead (writes beyond the limit fail with EFBIG), and the space
"returns" by running without the limit.
``RECORDS_DISKFULL_MARGINS`` (kB free besides the database, comma separated) widens the scan.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from fpdf import FPDF
from PIL import Image

from pipeline.archive import Archive
from pipeline.errors import ExitCode
from tests import imagegen
from tests.archive_checks import check_archive
from tests.conftest import ROOT, make_settings

RECORDS = str(ROOT / ".venv" / "bin" / "records")
MARGINS = [int(v) for v in os.environ.get("RECORDS_DISKFULL_MARGINS", "300,900").split(",")]


def make_batch(folder: Path) -> list[str]:
    """Two small scans and a 700 kB born-digital PDF (an image that does not compress,
    under a text layer: stored as it is, no OCR)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        page = imagegen.page([f"秘書處 第{i}號", f"record {i}"], size=(900, 260))
        imagegen.save_png(page, folder / f"s{i}.png")
    noise = folder / "noise.png"
    Image.fromarray(np.random.default_rng(7).integers(0, 255, (700, 1000), dtype=np.uint8)).save(
        noise
    )
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Annual procurement audit report of the Secretariat, with a scanned annex")
    pdf.image(str(noise), x=10, y=30, w=150)
    pdf.output(str(folder / "big.pdf"))
    noise.unlink()
    return sorted(p.name for p in folder.iterdir())


def _can_mount() -> bool:
    probe = Path(f"/tmp/records-mount-probe-{uuid.uuid4().hex[:8]}")
    probe.mkdir()
    try:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    except FileNotFoundError:
        return False
    finally:
        probe.rmdir()


MOUNT = _can_mount()


@contextmanager
def tmpfs(path: Path, kb: int) -> Iterator[Callable[[int], None]]:
    """A tmpfs of ``kb`` kB at ``path``; yields a function that resizes it. Always unmounted."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kb}k", "tmpfs", str(path)], check=True)

    def resize(new_kb: int) -> None:
        opts = f"remount,size={new_kb}k"
        subprocess.run(["mount", "-o", opts, str(path)], check=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _limit_fsize(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a dead process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def ingest(home: Path, src: Path, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECORDS_HOME": str(home), "RECORDS_WORKERS": "2", "OMP_THREAD_LIMIT": "1"}
    for name in ("RECORDS_DATABASE_URL", "RECORDS_SEARCH_URL"):
        env.pop(name, None)
    return subprocess.run(
        [RECORDS, "ingest", "--direct", "--json", str(src)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limit_fsize(fsize) if fsize else None,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], home: Path) -> None:
    """Exit code 6 with a message, no traceback; the archive holds complete records only."""
    assert result.returncode == ExitCode.storage_error, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "No space left" in result.stderr or "too large" in result.stderr, result.stderr
    assert_consistent(home)


def assert_consistent(home: Path) -> list[str]:
    archive = Archive.open(make_settings(home), migrate=False)
    try:
        state = check_archive(archive)
    finally:
        archive.close()
    assert state.temp_leftovers == [], "a failed copy left its temporary file"
    return state.unreferenced


def assert_complete(result: subprocess.CompletedProcess[str], home: Path, names: list[str]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["quarantined"] == []
    archive = Archive.open(make_settings(home), migrate=False)
    try:
        state = check_archive(archive)
    finally:
        archive.close()
    assert state.documents == len(names) and state.unreferenced == []


@pytest.mark.skipif(not MOUNT, reason="mount not permitted: see the RLIMIT_FSIZE test")
def test_full_store_volume_fails_cleanly_and_the_batch_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    names = make_batch(src)
    home = tmp_path / "home"
    with tmpfs(home / "store", 400) as resize:
        assert_clean_failure(ingest(home, src), home)
        resize(16_384)  # space returns
        assert_complete(ingest(home, src), home, names)


@pytest.mark.skipif(not MOUNT, reason="mount not permitted: see the RLIMIT_FSIZE test")
@pytest.mark.parametrize("margin_kb", MARGINS)
def test_full_home_volume_never_crashes_and_resumes(tmp_path: Path, margin_kb: int) -> None:
    """Database, work folder and store on one small volume: whatever fills up first."""
    src = tmp_path / "in"
    names = make_batch(src)
    home = tmp_path / "home"
    Archive.open(make_settings(home)).close()  # the schema takes what it takes
    db_kb = (home / "records.db").stat().st_size // 1024
    staged = tmp_path / "staged"
    os.rename(home, staged)
    with tmpfs(home, db_kb + margin_kb) as resize:
        for item in staged.iterdir():
            (home / item.name).write_bytes(item.read_bytes())
        first = ingest(home, src)
        assert first.returncode in (0, ExitCode.storage_error), first.stderr[-3000:]
        assert "Traceback" not in first.stderr
        assert_consistent(home)
        resize(65_536)
        assert_complete(ingest(home, src), home, names)


@pytest.mark.skipif(
    MOUNT and not os.environ.get("RECORDS_DISKFULL_RLIMIT"),
    reason="tmpfs volumes are used where mounting works (RECORDS_DISKFULL_RLIMIT=1 runs it)",
)
def test_file_size_limit_fails_cleanly_and_the_batch_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    names = make_batch(src)
    home = tmp_path / "home"
    assert_clean_failure(ingest(home, src, fsize=650_000), home)
    assert_complete(ingest(home, src), home, names)


@pytest.mark.skipif(not MOUNT, reason="needs a tmpfs (root)")
def test_an_archival_pdf_cut_off_by_a_full_disk_raises_enospc(tmp_path: Path) -> None:
    """qpdf's page job reports success on a full disk; the read-back catches the cut-off file."""
    from types import SimpleNamespace

    from pipeline.finalize import build_archival_pdf
    from pipeline.ingest import Job
    from pipeline.pages import PageResult
    from pipeline.store import ContentStore

    pages = [imagegen.save_pdf([imagegen.page(["臺南市政府秘書處"])], tmp_path / f"p{i}.pdf")
             for i in range(3)]
    results = [PageResult(number=i + 1, text="", source="ocr", confidence=None, rotation=0,
                          skew=0.0, width=1, height=1, dpi=300, pdf_path=str(p))
               for i, p in enumerate(pages)]
    archive = SimpleNamespace(store=ContentStore(tmp_path))  # all the assembly uses
    job = Job(name="original.pdf", source=str(tmp_path / "original.pdf"), sha256="0" * 64,
              size=0, relpath="original.pdf", media_type="application/pdf", page_count=3)
    whole = build_archival_pdf(archive, job, results, tmp_path / "whole.pdf")  # type: ignore[arg-type]
    half_kb = max(4, whole.stat().st_size // 2048)
    with tmpfs(tmp_path / "full", half_kb), pytest.raises(OSError) as caught:
        build_archival_pdf(archive, job, results, tmp_path / "full" / "a.pdf")  # type: ignore[arg-type]
    assert caught.value.errno == errno.ENOSPC
