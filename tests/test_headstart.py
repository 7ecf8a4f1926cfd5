"""Image files read while the orchestrator starts are used only for the very bytes read."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.headstart import HeadStart
from pipeline.ingest import Job
from pipeline.intake import InputFile
from pipeline.pages import PageOptions
from pipeline.store import hash_file

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "sample_scans" / "box-0113-01" / "folder-02" / "scan-0003.png"
PDF = ROOT / "sample_scans" / "box-0113-01" / "folder-01" / "scan-0001.pdf"


def _job(path: Path, sha: str) -> Job:
    return Job(name=path.name, source=str(path), sha256=sha, size=1, relpath="x")


def test_a_page_read_early_is_taken_only_for_the_same_bytes(tmp_path: Path) -> None:
    page = tmp_path / "in" / PAGE.name
    page.parent.mkdir()
    shutil.copy(PAGE, page)
    early = HeadStart([InputFile(page, page.name)], PageOptions(), tmp_path / "work", 1)
    try:
        assert early.take(_job(page, "0" * 64), [1]) is None  # other bytes: read again
        (result,) = early.take(_job(page, hash_file(page)[0]), [1]) or []
        assert "設備報修單" in result.text.replace(" ", "")
        assert result.pdf_path and Path(result.pdf_path).is_file()
    finally:
        early.close()


def test_pdfs_are_left_to_the_flow_and_untaken_pages_are_deleted(tmp_path: Path) -> None:
    page = tmp_path / PAGE.name
    shutil.copy(PAGE, page)
    items = [InputFile(PDF, PDF.name), InputFile(page, page.name)]
    early = HeadStart(items, PageOptions(), tmp_path / "work", 2)
    assert early.take(_job(PDF, hash_file(PDF)[0]), [1]) is None
    early.close()
    assert not any((tmp_path / "work").rglob("*.pdf"))
