"""Checks that the committed sample batch (sample_scans/) matches its ground truth."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageSequence

from tests.di_support import generator

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_scans"
SCRIPT = ROOT / "scripts" / "make_samples.py"
#: born-digital packages (DI/SI), with their own generator and ground truth
ELECTRONIC = SAMPLES / "electronic"
A4_PX = (2480, 3508)
KINDS = {
    "letter",
    "memo",
    "announcement",
    "contract",
    "gift",
    "repair",
    "audit",
    "staff_eval",
    "safety_drill",
    "energy",
    "english",
}
MANIFEST_COLUMNS = ["file", "box", "folder", "division", "operator", "document_date"]
CJK = re.compile(r"^[\u4e00-\u9fff]{2,6}$")

Entry = dict[str, Any]


def load_truth() -> list[Entry]:
    data: list[Entry] = json.loads((SAMPLES / "ground_truth.json").read_text(encoding="utf-8"))
    return data


TRUTH = load_truth()
BY_FORMAT = {
    fmt: [e for e in TRUTH if e["format"] == fmt]
    for fmt in ("png", "jpeg", "pdf", "tiff-g4", "born-digital")
}


def entry_id(entry: Entry) -> str:
    return str(entry["file"])


def page_count(path: Path) -> int:
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    with Image.open(path) as im:
        return int(getattr(im, "n_frames", 1))


def pdftotext(path: Path, page: int | None = None) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    pages = ["-f", str(page), "-l", str(page)] if page else []
    cmd = ["pdftotext", "-enc", "UTF-8", *pages, str(path), "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("entry", TRUTH, ids=entry_id)
def test_file_exists_with_ground_truth_page_count(entry: Entry) -> None:
    path = SAMPLES / entry["file"]
    assert path.is_file()
    assert entry["kind"] in KINDS
    assert [p["page"] for p in entry["pages"]] == list(range(1, len(entry["pages"]) + 1))
    assert page_count(path) == len(entry["pages"])


def test_no_sample_file_lacks_ground_truth() -> None:
    on_disk = {
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.rglob("*")
        if p.is_file() and not p.name.startswith(".") and ELECTRONIC not in p.parents
    }
    extras = {"ground_truth.json", "manifest.csv", "README.md"}
    assert on_disk - extras == {e["file"] for e in TRUTH}


def test_every_born_digital_package_has_ground_truth() -> None:
    """``electronic/`` holds DI/SI packages (folders and one zip), each in its own truth."""
    truth = json.loads((ELECTRONIC / "ground_truth.json").read_text(encoding="utf-8"))
    on_disk = {f"electronic/{p.name}" for p in ELECTRONIC.iterdir()
               if p.name != "ground_truth.json"}
    assert on_disk == {e["package"] for e in truth}
    assert {e["kind"] for e in truth} >= {"函", "書函", "簽", "開會通知單", "公告"}
    assert any(e["attachments"] for e in truth) and any(len(e["sign_offs"]) >= 4 for e in truth)
    assert any(e["fields"].get("declassify") for e in truth)


def test_regenerating_the_packages_reproduces_them(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    generator().generate(tmp_path / "electronic")
    out = tmp_path / "electronic"
    made = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert made == sorted(p.relative_to(ELECTRONIC) for p in ELECTRONIC.rglob("*"))
    for rel in made:
        if (ELECTRONIC / rel).is_file():
            assert (out / rel).read_bytes() == (ELECTRONIC / rel).read_bytes()


def test_batch_shape() -> None:
    pages = [p for e in TRUTH for p in e["pages"]]
    assert 20 <= len(pages) <= 30
    assert sorted(p["rotation"] for p in pages if p["rotation"]) == [90, 180]
    assert sum(1 for p in pages if p["skew"]) >= 5
    assert all(abs(p["skew"]) <= 3 for p in pages)
    assert all(BY_FORMAT.values()), "every file format is represented"
    size = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert size < 15 * 2**20


@pytest.mark.parametrize(
    "entry", BY_FORMAT["png"] + BY_FORMAT["jpeg"] + BY_FORMAT["tiff-g4"], ids=entry_id
)
def test_raster_pages_are_a4_at_300_dpi(entry: Entry) -> None:
    with Image.open(SAMPLES / entry["file"]) as im:
        for frame, page in zip(ImageSequence.Iterator(im), entry["pages"], strict=True):
            expected = A4_PX[::-1] if page["rotation"] in (90, 270) else A4_PX
            assert frame.size == expected
            assert frame.mode in ("L", "1")
            assert round(im.info["dpi"][0]) == 300


@pytest.mark.parametrize("entry", BY_FORMAT["tiff-g4"], ids=entry_id)
def test_tiff_is_bilevel_group4(entry: Entry) -> None:
    with Image.open(SAMPLES / entry["file"]) as im:
        assert getattr(im, "n_frames", 1) > 1
        for frame in ImageSequence.Iterator(im):
            assert frame.mode == "1"
            assert frame.info["compression"] == "group4"


@pytest.mark.parametrize("entry", BY_FORMAT["pdf"], ids=entry_id)
def test_scanned_pdf_is_images_only(entry: Entry) -> None:
    path = SAMPLES / entry["file"]
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            assert "/Font" not in page.resources
            xobjects: Any = page.resources.get("/XObject", {})
            assert [obj.Subtype for _, obj in xobjects.items()] == ["/Image"]
    assert pdftotext(path).strip() == ""


@pytest.mark.parametrize("entry", BY_FORMAT["born-digital"], ids=entry_id)
def test_born_digital_pdf_text_layer_has_phrases(entry: Entry) -> None:
    path = SAMPLES / entry["file"]
    for phrase in entry["search_phrases"]:
        assert phrase["text"] in pdftotext(path, phrase["page"])
    first = pdftotext(path, 1)
    assert "節電報告" in first and "Energy Saving Report" in first


def test_search_phrases_are_unique_and_on_their_page() -> None:
    texts = {e["file"]: "\n".join(p["text"] for p in e["pages"]) for e in TRUTH}
    for entry in TRUTH:
        phrases = entry["search_phrases"]
        assert any(CJK.match(p["text"]) for p in phrases), entry["file"]
        for phrase in phrases:
            assert phrase["text"] in entry["pages"][phrase["page"] - 1]["text"]
            hits = [f for f, text in texts.items() if phrase["text"] in text]
            assert hits == [entry["file"]]
    english = [e for e in TRUTH if e["kind"] == "english"]
    assert english and any(p["text"].isascii() for p in english[0]["search_phrases"])


def test_field_dates_are_iso() -> None:
    for entry in TRUTH:
        for key, value in entry["fields"].items():
            if key.endswith("_date"):
                date.fromisoformat(value)
            elif key.endswith("_at"):
                datetime.fromisoformat(value)


def test_manifest_names_existing_files() -> None:
    with (SAMPLES / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == MANIFEST_COLUMNS
        rows = list(reader)
    assert len(rows) >= 0.8 * len(TRUTH)
    for row in rows:
        path = Path(row["file"])
        assert (SAMPLES / path).is_file()
        assert path.parts[:2] == (row["box"], row["folder"])
        assert row["division"].endswith("科") and row["operator"]
        date.fromisoformat(row["document_date"])


def test_ground_truth_matches_generator_layout() -> None:
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig not installed")
    gen = load_generator()
    assert gen.build_truth(gen.all_docs()) == TRUTH


@pytest.mark.slow
def test_regenerating_reproduces_committed_batch(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig not installed")
    load_generator().generate(tmp_path)
    for name in ("ground_truth.json", "manifest.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes()
    for entry in TRUTH:
        assert page_count(tmp_path / entry["file"]) == len(entry["pages"])
