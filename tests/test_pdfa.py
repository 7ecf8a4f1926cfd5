"""PDF/A archival copies: made with pikepdf, judged by veraPDF run for real.

The ``verapdf`` tests need Java and the entry point ``scripts/setup`` builds into
``tools/verapdf/target`` (CI builds it); they fail, not skip, when it is missing.
"""

from __future__ import annotations

import io
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from pipeline import fixity, pdfa, preservation
from pipeline._exec import verapdf
from pipeline.archive import Archive
from pipeline.auth import Perm, system_actor
from pipeline.db.models import Document
from pipeline.settings import REPO_VERAPDF_DIR
from pipeline.views import DocumentView
from tests import imagegen
from tests.conftest import SAMPLE_DOCUMENTS, ingest_dir, make_settings

TIMEOUT = 1800.0
LETTER = ["臺南市政府秘書處函", "主旨：檢送檔案銷毀目錄一份", "Records Management Office"]


def _judge(paths: list[Path], flavour: str) -> list[verapdf.Verdict]:
    return verapdf.validate(paths, REPO_VERAPDF_DIR, TIMEOUT, flavour)


def _copies(archive: Archive) -> dict[str, Path]:
    with archive.session() as s:
        docs = s.scalars(select(Document).order_by(Document.id)).all()
        return {
            d.original_name: archive.store.path((d.archival or d.original).store_path) for d in docs
        }


# ── without Java: how the copy is made ──


def test_tesseract_identity_cmap_is_written_in_ranges_pdf_allows() -> None:
    cmap = pdfa.identity_tounicode().decode()
    ranges = [line.split() for line in cmap.splitlines() if line.count("<") == 3]
    assert len(ranges) == 256 - 8  # every high byte but the surrogates
    for lo, hi, dst in ranges:
        assert lo[1:3] == hi[1:3] == dst[1:3] and lo[3:5] == "00" and hi[3:5] == "FF"
    counts = [int(line.split()[0]) for line in cmap.splitlines() if line.endswith("beginbfrange")]
    assert sum(counts) == len(ranges) and max(counts) <= 100  # at most 100 to a block


def test_group4_keeps_every_pixel_of_a_bilevel_image() -> None:
    bits = Image.new("1", (600, 200), 1)
    ImageDraw.Draw(bits).text((20, 50), "Tainan 0113", fill=0)
    ImageDraw.Draw(bits).rectangle((400, 20, 560, 180), outline=0, width=7)
    pdf = pikepdf.new()
    image = pdf.make_stream(
        bits.convert("L").tobytes(),
        Width=600,
        Height=200,
        ColorSpace=pikepdf.Name.DeviceGray,
        BitsPerComponent=8,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
    )
    pdfa.to_group4(image)
    assert image.Filter == pikepdf.Name.CCITTFaxDecode and image.BitsPerComponent == 1
    back = pikepdf.PdfImage(image).as_pil_image().convert("1")
    assert back.tobytes() == bits.tobytes()


def test_a_bilevel_scan_is_archived_as_g4_pdfa_with_its_text(
    archive: Archive, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    page = imagegen.page(LETTER, skew=1.5).point(lambda v: 255 if v > 128 else 0).convert("1")
    imagegen.save_png(page, src / "bilevel.png")
    ingest_dir(archive, src)
    with archive.session() as s:
        doc = s.scalars(select(Document)).one()
        assert doc.archival is not None
        path = archive.store.path(doc.archival.store_path)
        sha = doc.sha256
    with pikepdf.open(path) as pdf:
        images = [x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image"]
        assert [im.Filter for im in images] == [pikepdf.Name.CCITTFaxDecode]
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "U")
        assert meta["dc:identifier"] == f"urn:sha256:{sha}"
        assert "檢送檔案銷毀目錄一份" in str(meta["dc:title"])
        assert len(pdf.Root.OutputIntents) == 1
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    assert "銷毀" in text.decode()  # the OCR text layer is kept


def test_the_same_pages_give_the_same_pdfa_bytes(archive: Archive, tmp_path: Path) -> None:
    """A run resumed after a crash must store the very blob the crashed run linked."""
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(LETTER), src / "a.png")
    ingest_dir(archive, src)
    with archive.session() as s:
        doc = s.scalars(select(Document)).one()
        assert doc.archival is not None
        first = archive.store.path(doc.archival.store_path)
    info = pdfa.ArchivalInfo("0" * 64, doc.created_at, "標題")
    outs = []
    for _ in (1, 2):
        with pikepdf.open(first) as pdf:
            pdfa.make_pdfa(pdf, info, set(), True)
            buf = io.BytesIO()
            pdf.save(buf, deterministic_id=True)
            outs.append(buf.getvalue())
    assert outs[0] == outs[1]


@contextmanager
def _one_letter(tmp_path: Path, **settings: Any) -> Iterator[tuple[Archive, dict[str, Any]]]:
    """An archive that has ingested one letter with archival validation on, and its summary."""
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(LETTER), src / "a.png")
    archive = Archive.open(make_settings(tmp_path / "home", validate_archival=True, **settings))
    try:
        yield archive, ingest_dir(archive, src)
    finally:
        archive.close()


def test_a_missing_validator_never_fails_the_batch(tmp_path: Path) -> None:
    with _one_letter(tmp_path, verapdf_dir=tmp_path / "nowhere") as (archive, summary):
        assert summary["documents"] == 1 and summary["archival_validation"] is None
        with archive.session() as s:
            assert preservation.unvalidated(s) == summary["document_ids"]


# ── veraPDF ──


@pytest.mark.slow
@pytest.mark.verapdf
def test_the_batch_does_not_wait_for_validation_and_the_verdict_arrives(tmp_path: Path) -> None:
    with _one_letter(tmp_path, validate_in_background=True) as (archive, summary):
        queued = summary["archival_validation"]
        assert queued["queued"] == 1 and queued["validated"] == 0 and queued["pid"] > 0
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with archive.session() as s:
                if not preservation.unvalidated(s):
                    break
            time.sleep(1)
        with archive.session() as s:
            assert preservation.unvalidated(s) == []
            event = preservation.latest(s, summary["document_ids"][0])
            assert event is not None and event.compliant and event.trigger == preservation.INGEST


@pytest.mark.slow
@pytest.mark.verapdf
def test_every_sample_archival_copy_passes_pdfa_2b(sample_archive: Archive) -> None:
    copies = _copies(sample_archive)
    assert len(copies) == SAMPLE_DOCUMENTS
    verdicts = _judge(list(copies.values()), "2b")
    failed = {
        v.path: [r["rule"] for r in v.failed_rules] or v.error for v in verdicts if not v.compliant
    }
    assert failed == {}
    assert {v.profile for v in verdicts} == {"PDF/A-2B"}


@pytest.mark.slow
@pytest.mark.verapdf
def test_validation_events_are_stored_shown_and_re_validated(sample_archive: Archive) -> None:
    run = preservation.validate(sample_archive, None, preservation.INGEST)
    assert (run.validated, run.compliant, run.failed) == (SAMPLE_DOCUMENTS, SAMPLE_DOCUMENTS, [])
    with sample_archive.session() as s:
        assert preservation.unvalidated(s) == []
        shown = {
            d.original_name: DocumentView.of(d, False).to_json()["archival_validation"]
            for d in s.scalars(select(Document))
        }
    for name, event in shown.items():
        assert event is not None and event["compliant"] is True, name
        assert event["validator"] == "veraPDF" and event["validator_version"] == "1.28.1"
        # scanned pages carry Tesseract's text layer: 2u; born-digital renditions: 2b
        expected = "PDF/A-2B" if name.startswith(("digital/", "electronic/")) else "PDF/A-2U"
        assert event["profile"] == expected, name
    report = fixity.run(sample_archive, system_actor("fixity", Perm.audit_read), pdfa=True)
    assert report.ok and report.archival is not None
    assert report.archival["compliant"] == SAMPLE_DOCUMENTS
    with sample_archive.session() as s:
        doc = s.scalars(select(Document).where(Document.original_name.startswith("digital/"))).one()
        assert doc.archival_file_id != doc.original_file_id  # a rendition; original untouched
        assert len(preservation.events(s, doc.id)) == 2  # the ingest event and the re-check


@pytest.mark.slow
@pytest.mark.verapdf
def test_a_copy_without_its_output_intent_fails(sample_archive: Archive, tmp_path: Path) -> None:
    good = next(p for name, p in _copies(sample_archive).items() if name.endswith("0002.png"))
    broken = tmp_path / "no-output-intent.pdf"
    with pikepdf.open(good) as pdf:
        del pdf.Root.OutputIntents
        pdf.save(broken)
    ok, bad = _judge([good, broken], "2b")
    assert ok.compliant and not bad.compliant
    # DeviceGray page images need a PDF/A output intent (ISO 19005-2, 6.2.4.3)
    assert "6.2.4.3-4" in [r["rule"] for r in bad.failed_rules]
