"""Ingest end to end on small synthetic scans: formats, dedupe, bad input, resume."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from sqlalchemy import func, select, text

from pipeline import imaging
from pipeline.archive import Archive
from pipeline.db.models import Document, Page, StoredFile
from pipeline.search import SearchQuery
from tests import imagegen
from tests.conftest import CORPUS, ingest_dir

LETTER = ["臺南市政府秘書處函", "主旨：檢送檔案銷毀目錄一份", "Records Management Office"]
MEMO = ["簽於秘書處總務科", "主旨：辦理公務車輛保養"]


def _count(archive: Archive, model: Any) -> int:
    with archive.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _search(archive: Archive, q: str) -> list[tuple[int, int]]:
    with archive.session() as s:
        return [(h.document_id, h.page) for h in archive.search.search(s, SearchQuery(q)).hits]


def test_png_is_stored_ocrd_archived_and_searchable(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(LETTER, skew=2.0), src / "letter.png")
    summary = ingest_dir(archive, src)
    assert (summary["documents"], summary["pages"], summary["quarantined"]) == (1, 1, [])
    with archive.session() as s:
        doc = s.scalars(select(Document)).one()
        page = doc.pages[0]
        assert "檔案銷毀" in page.text and page.source == "ocr"
        assert page.confidence is not None and page.confidence > 60
        assert abs(page.skew + 2.0) < 0.6  # corrected by rotating back
        assert page.words and all(len(w) == 6 for w in page.words)
        assert doc.archival is not None and doc.archival.kind == "archival"
        archival = archive.store.path(doc.archival.store_path)
    with pikepdf.open(archival) as pdf:
        assert len(pdf.pages) == 1
    assert _search(archive, "銷毀目錄") == [(doc.id, 1)]
    assert _search(archive, "records MANAGEMENT") == [(doc.id, 1)]


def test_rotated_pages_are_turned_upright(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(LETTER + MEMO, rotate=90), src / "r90.png")
    imagegen.save_png(imagegen.page(LETTER + MEMO, rotate=180), src / "r180.png")
    ingest_dir(archive, src)
    with archive.session() as s:
        rotations = {d.original_name: d.pages[0].rotation for d in s.scalars(select(Document))}
        texts = [d.pages[0].text for d in s.scalars(select(Document))]
    # scanned a quarter turn clockwise: three quarter turns clockwise set it upright
    assert rotations == {"r90.png": 270, "r180.png": 180}
    assert all("公務車輛" in t for t in texts)


def test_multipage_pdf_and_g4_tiff_keep_page_numbers(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    pages = [imagegen.page(LETTER), imagegen.page(MEMO)]
    imagegen.save_pdf(pages, src / "scan.pdf")
    imagegen.save_g4_tiff(list(reversed(pages)), src / "scan.tif")
    summary = ingest_dir(archive, src)
    assert summary["documents"] == 2 and summary["pages"] == 4
    hits = dict(_search_names(archive, "公務車輛"))
    assert hits == {"scan.pdf": 2, "scan.tif": 1}


def _search_names(archive: Archive, q: str) -> list[tuple[str, int]]:
    out = []
    with archive.session() as s:
        for doc_id, pg in _search(archive, q):
            doc = s.get(Document, doc_id)
            assert doc is not None
            out.append((doc.original_name, pg))
    return out


def test_born_digital_pdf_uses_its_text_layer(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(LETTER), src / "p.png")
    ingest_dir(archive, src)  # its archival copy is a PDF with a real text layer
    with archive.session() as s:
        arch_rel = s.scalars(select(Document)).one().archival
        assert arch_rel is not None
    digital = tmp_path / "digital"
    digital.mkdir()
    shutil.copy(archive.store.path(arch_rel.store_path), digital / "born-digital.pdf")
    ingest_dir(archive, digital)
    with archive.session() as s:
        doc = s.scalars(select(Document).where(Document.original_name == "born-digital.pdf")).one()
        assert doc.pages[0].source == "text_layer"
        assert doc.archival_file_id == doc.original_file_id  # already searchable
    forced = ingest_dir(archive, digital, force_ocr=True)
    assert forced["duplicates"] == 1  # same bytes: never a second record


def test_same_bytes_are_one_record_in_a_run_and_across_runs(
    archive: Archive, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    (src / "copy").mkdir(parents=True)
    imagegen.save_png(imagegen.page(MEMO), src / "a.png")
    shutil.copy(src / "a.png", src / "copy" / "a-again.png")
    first = ingest_dir(archive, src)
    assert (first["documents"], first["duplicates"]) == (1, 1)
    second = ingest_dir(archive, src)
    assert (second["documents"], second["duplicates"]) == (0, 2)
    assert _count(archive, Document) == 1
    assert _count(archive, StoredFile) == 2  # one original, one archival copy


def test_bad_inputs_are_quarantined_and_the_rest_is_stored(
    archive: Archive, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(MEMO), src / "good.png")
    scanned = imagegen.save_pdf([imagegen.page(LETTER)], tmp_path / "scanned.pdf")
    (src / "zero.pdf").write_bytes(b"")
    (src / "truncated.pdf").write_bytes(scanned.read_bytes()[:400])
    imagegen.encrypt_pdf(scanned, src / "locked.pdf")
    imagegen.png_bomb(src / "bomb.png")
    (src / "notes.docx").write_bytes(b"PK\x03\x04 not a scan")
    (src / "gone.png").symlink_to(tmp_path / "does-not-exist.png")
    shutil.copy(CORPUS / "broken.png", src / "broken.png")
    summary = ingest_dir(archive, src)
    reasons = {q["path"]: q["reason"] for q in summary["quarantined"]}
    assert summary["documents"] == 1
    assert "empty" in reasons["zero.pdf"]
    assert "corrupt" in reasons["truncated.pdf"] or "rasterised" in reasons["truncated.pdf"]
    assert "password" in reasons["locked.pdf"]
    assert "exceeds the limit" in reasons["bomb.png"]
    assert "unsupported" in reasons["notes.docx"]
    assert "unreadable" in reasons["gone.png"]
    assert "decode" in reasons["broken.png"]
    assert len(reasons) == 7


def test_a_page_that_runs_out_of_memory_quarantines_its_file_only(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(MEMO), src / "good.png")
    imagegen.save_png(imagegen.page(LETTER, size=(1800, 900)), src / "huge.png")
    real = imaging.prepare

    def short_of_memory(img: Any, dpi: int | None) -> Any:
        # the 1800-px page stands for one whose arrays do not fit the process's limit
        if img.width != 1800:
            return real(img, dpi)
        raise MemoryError("Unable to allocate 32.1 MiB")

    monkeypatch.setattr(imaging, "prepare", short_of_memory)
    summary = ingest_dir(archive, src)
    reasons = {q["path"]: q["reason"] for q in summary["quarantined"]}
    assert summary["documents"] == 1
    assert list(reasons) == ["huge.png"] and "記憶體" in reasons["huge.png"]


def test_hostile_corpus_files_end_stored_or_quarantined(archive: Archive, tmp_path: Path) -> None:
    summary = ingest_dir(archive, CORPUS)
    accounted = summary["documents"] + summary["duplicates"] + len(summary["quarantined"])
    assert accounted == len(list(CORPUS.iterdir()))
    names = {q["path"] for q in summary["quarantined"]}
    assert {"decompression_bomb.gif", "broken.png"} <= names


def test_hung_tesseract_is_stopped_by_the_timeout(settings: Any, tmp_path: Path) -> None:
    settings.ocr_timeout = 1.0
    archive = Archive.open(settings)
    src = tmp_path / "in"
    src.mkdir()
    big = imagegen.page(LETTER * 8, size=(2480, 3508))
    imagegen.save_png(big, src / "slow.png")
    summary = ingest_dir(archive, src)
    archive.close()
    assert summary["documents"] == 0
    assert "timed out" in summary["quarantined"][0]["reason"]


def test_crash_before_commit_leaves_no_half_record_and_next_run_completes(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_pdf([imagegen.page(LETTER), imagegen.page(MEMO)], src / "two.pdf")

    def crash(*_args: Any, **_kw: Any) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr("pipeline.finalize.Page", crash)  # dies inside the commit
    with pytest.raises(KeyboardInterrupt):
        ingest_dir(archive, src)
    assert (_count(archive, Document), _count(archive, Page)) == (0, 0)
    with archive.session() as s:
        assert s.execute(text("SELECT count(*) FROM page_fts")).scalar_one() == 0
    monkeypatch.undo()
    summary = ingest_dir(archive, src)
    assert (summary["documents"], summary["pages"]) == (1, 2)
    assert _search(archive, "公務車輛") == [(1, 2)] or len(_search(archive, "公務車輛")) == 1


def test_bytes_destroyed_under_a_disposal_are_not_stored_again(archive: Archive,
                                                                tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(MEMO), src / "a.png")
    ingest_dir(archive, src)
    with archive.session() as s:
        doc = s.scalars(select(Document)).one()
        blob = archive.store.path(doc.original.store_path)
        # what a disposal leaves behind (the real procedure is tested in test_disposal.py)
        s.execute(text("UPDATE documents SET status = 'disposed' WHERE id = :i"), {"i": doc.id})
    blob.unlink()
    again = ingest_dir(archive, src)
    assert again["documents"] == 0
    assert "destroyed under an approved disposal" in again["quarantined"][0]["reason"]
    assert not blob.exists()
