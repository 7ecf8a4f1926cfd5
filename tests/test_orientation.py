"""Orientation and skew: pages come out upright and level; orientation detection runs
once per page on a reduced copy, and a second reading only when the first is doubtful."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pipeline import imaging, pages
from pipeline._exec import tesseract
from tests import imagegen

LINES = [
    "臺南市政府秘書處檔案管理",
    "檔案保存年限及銷毀目錄",
    "Records retention schedule",
    "中華民國一一三年五月二十日",
    "公文電子化及檔案清查作業",
]


@pytest.fixture
def osd_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The real orientation detection, with a record of each result."""
    calls: list[int] = []
    real = tesseract.detect_rotation

    def counted(image: Image.Image, timeout: float, dpi: int = 150) -> tuple[int, float]:
        rotation, conf = real(image, timeout, dpi)
        calls.append(rotation)
        return rotation, conf

    monkeypatch.setattr(tesseract, "detect_rotation", counted)
    return calls


def _read(img: Image.Image, work: Path) -> pages.PageResult:
    return pages.ocr_image(img, 1, 300, pages.PageOptions(), work)


@pytest.mark.parametrize(("turn", "sideways"), [(0, False), (90, True), (180, False), (270, True)])
def test_sideways_pages_are_told_from_their_line_profiles(turn: int, sideways: bool) -> None:
    _, found = imaging.skew_and_sideways(imagegen.page(LINES, rotate=turn))
    assert found is sideways


@pytest.mark.parametrize("skew", [-2.5, 1.2])
def test_skew_is_measured_to_a_few_tenths_of_a_degree(skew: float) -> None:
    angle, _ = imaging.skew_and_sideways(imagegen.page(LINES, skew=skew))
    assert angle == pytest.approx(-skew, abs=0.3)


def test_an_upright_page_gets_one_orientation_check_and_one_reading(
    tmp_path: Path, osd_calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _count_ocr_runs(monkeypatch)
    result = _read(imagegen.page(LINES, skew=1.5), tmp_path)
    assert (osd_calls, len(runs)) == ([0], 1)
    assert (result.rotation, "檔案管理" in result.text) == (0, True)
    assert result.skew == pytest.approx(-1.5, abs=0.3)


@pytest.mark.parametrize(("turn", "upright"), [(90, 270), (180, 180), (270, 90)])
def test_a_turned_page_is_detected_once_and_read_upright(
    tmp_path: Path, osd_calls: list[int], turn: int, upright: int
) -> None:
    result = _read(imagegen.page(LINES, rotate=turn), tmp_path)
    assert osd_calls == [upright]
    assert result.rotation == upright
    assert "檔案管理" in result.text
    assert (result.width, result.height) == (1700, 700)


def _count_ocr_runs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    runs: list[Any] = []
    real = tesseract.ocr

    def counted(path: Path, lang: str, timeout: float, dpi: int = 300) -> tesseract.OcrResult:
        result = real(path, lang, timeout, dpi)
        runs.append(result)
        return result

    monkeypatch.setattr(tesseract, "ocr", counted)
    return runs


def test_an_upside_down_page_osd_misses_is_read_twice_and_the_better_reading_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OSD unsure and saying "upright", as it did on real pages (zh_dev 03_*: 0 at 0.51)
    monkeypatch.setattr(tesseract, "detect_rotation", lambda *a, **k: (0, 0.5))
    runs = _count_ocr_runs(monkeypatch)
    result = _read(imagegen.page(LINES, rotate=180), tmp_path)
    assert len(runs) == 2
    assert result.rotation == 180 and "檔案管理" in result.text
    assert result.confidence is not None and result.confidence >= pages.LOW_CONFIDENCE
    assert Path(str(result.pdf_path)).read_bytes().startswith(b"%PDF")
