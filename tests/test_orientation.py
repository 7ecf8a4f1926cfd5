"""Orientation and skew: pages come out upright and level; an upright page is read once,
a turned one a second time upright, and a doubtful reading the other way up."""

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


def _read(img: Image.Image, work: Path) -> pages.PageResult:
    return pages.ocr_image(img, 1, 300, pages.PageOptions(), work)


@pytest.mark.parametrize("skew", [-2.5, 1.2])
def test_skew_is_measured_to_a_few_tenths_of_a_degree(skew: float) -> None:
    angle = imaging.find_skew(imagegen.page(LINES, skew=skew))
    assert angle == pytest.approx(-skew, abs=0.3)


def test_an_upright_page_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _count_ocr_runs(monkeypatch)
    result = _read(imagegen.page(LINES, skew=1.5), tmp_path)
    assert [r.turn for r in runs] == [0]
    assert (result.rotation, "檔案管理" in result.text) == (0, True)
    assert result.skew == pytest.approx(-1.5, abs=0.3)


@pytest.mark.parametrize(("turn", "upright"), [(90, 270), (180, 180), (270, 90)])
def test_a_turned_page_is_found_by_its_reading_and_read_again_upright(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, turn: int, upright: int
) -> None:
    runs = _count_ocr_runs(monkeypatch)
    result = _read(imagegen.page(LINES, rotate=turn), tmp_path)
    assert [r.turn for r in runs] == [upright, 0]
    assert result.rotation == upright
    assert "檔案管理" in result.text
    assert (result.width, result.height) == (1700, 700)


def _count_ocr_runs(monkeypatch: pytest.MonkeyPatch, detect: bool = True) -> list[Any]:
    """Record each real reading; ``detect=False``: readings without orientation detection
    (``--psm 3``), as when the detection misses a turned page."""
    runs: list[Any] = []
    real = tesseract.ocr
    if not detect:
        monkeypatch.setattr(tesseract, "LAYOUT", "3")

    def counted(
        path: Path, lang: str, timeout: float, dpi: int = 300, layout: str | None = None
    ) -> tesseract.OcrResult:
        result = real(path, lang, timeout, dpi, layout)
        runs.append(result)
        return result

    monkeypatch.setattr(tesseract, "ocr", counted)
    return runs


def test_an_upside_down_page_detection_misses_is_read_twice_and_the_better_reading_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _count_ocr_runs(monkeypatch, detect=False)
    result = _read(imagegen.page(LINES, rotate=180), tmp_path)
    assert len(runs) == 3  # as it lies, a second opinion as it lies, the other way up
    assert result.rotation == 180 and "檔案管理" in result.text
    assert result.confidence is not None and result.confidence >= pages.LOW_CONFIDENCE
    assert Path(str(result.pdf_path)).read_bytes().startswith(b"%PDF")


def _hocr(angles: list[int | None]) -> str:
    lines = [f"<span class='ocr_line' id='l{i}' title=\"bbox 0 0 9 9"
             + (f"; textangle {a}" if a is not None else "") + '; x_size 20">'
             for i, a in enumerate(angles)]
    return "\n".join(lines)


@pytest.mark.parametrize(("angles", "turn"), [
    ([None] * 9 + [90], 0),  # a margin note read up and down on an upright page
    ([270] * 25 + [None] * 3, 270),
    ([180] * 5, 180),
    ([90, 90, None, None], 0),  # no majority: as it is
    ([], 0),
])
def test_the_page_turn_is_what_most_lines_say(angles: list[int | None], turn: int) -> None:
    assert tesseract.page_turn(_hocr(angles)) == turn
