"""Orientation and skew: pages come out upright and level; an upright page is read once,
a turned one a second time upright, and a doubtful reading the other way up."""

from __future__ import annotations

from pathlib import Path

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
    runs = _count_runs(monkeypatch)
    result = _read(imagegen.page(LINES, skew=1.5), tmp_path)
    assert runs == ["read"]
    assert (result.rotation, "檔案管理" in result.text) == (0, True)
    assert result.skew == pytest.approx(-1.5, abs=0.3)


@pytest.mark.parametrize(("turn", "upright"), [(90, 270), (180, 180), (270, 90)])
def test_a_turned_page_is_found_from_its_doubtful_reading_and_read_again_upright(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, turn: int, upright: int
) -> None:
    runs = _count_runs(monkeypatch)
    result = _read(imagegen.page(LINES, rotate=turn), tmp_path)
    assert runs == ["read", f"orientation {upright}", "read"]
    assert result.rotation == upright
    assert "檔案管理" in result.text
    assert (result.width, result.height) == (1700, 700)


def _count_runs(monkeypatch: pytest.MonkeyPatch, detect: bool = True) -> list[str]:
    """Record each real reading and orientation detection; ``detect=False``: detection
    finds nothing, as for a page it misses."""
    runs: list[str] = []
    read, orientation = tesseract.ocr, tesseract.orientation

    def counted(path: Path, lang: str, timeout: float, dpi: int = 300,
                layout: str = tesseract.LAYOUT, *, invert: bool = True) -> tesseract.OcrResult:
        runs.append("read" if layout == tesseract.LAYOUT else f"read --psm {layout}")
        return read(path, lang, timeout, dpi, layout, invert=invert)

    def detected(path: Path, timeout: float, dpi: int = 300) -> int:
        turn = orientation(path, timeout, dpi) if detect else 0
        runs.append(f"orientation {turn}")
        return turn

    monkeypatch.setattr(tesseract, "ocr", counted)
    monkeypatch.setattr(tesseract, "orientation", detected)
    return runs


def test_an_upside_down_page_detection_misses_is_read_the_other_way_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _count_runs(monkeypatch, detect=False)
    result = _read(imagegen.page(LINES, rotate=180), tmp_path)
    assert runs == ["read", "orientation 0", "read"]
    assert result.rotation == 180 and "檔案管理" in result.text
    assert result.confidence is not None and result.confidence >= pages.LOW_CONFIDENCE
    assert Path(str(result.pdf_path)).read_bytes().startswith(b"%PDF")


def test_a_page_without_text_has_no_orientation(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (1000, 1400), 255).save(blank, dpi=(300, 300))
    assert tesseract.orientation(blank, 60) == 0


def test_a_camera_orientation_tag_is_applied_when_the_frame_is_decoded(tmp_path: Path) -> None:
    img = Image.new("L", (300, 100), 255)
    img.paste(0, (0, 0, 50, 100))  # a dark band at the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned, display turned 90 degrees clockwise
    path = tmp_path / "turned.png"
    img.save(path, exif=exif)
    with imaging.open_image(path, 10**6) as opened:
        frame = imaging.load_frame(opened, 0, 10**6)
    assert frame.size == (100, 300) and frame.mode == "L"
    # turned clockwise, the left edge is now at the top
    assert frame.getpixel((50, 10)) == 0 and frame.getpixel((50, 290)) == 255
    assert 0x0112 not in frame.getexif()
