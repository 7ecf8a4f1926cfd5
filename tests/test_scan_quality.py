"""Pages like the real backlog, made from the sample batch: old faxes and turned pages
without a resolution in the file are read at least as well as bare Tesseract reads them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline import imaging, pages
from tests.cer import cer
from tests.imagegen import FONT, TC_INDEX

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_scans"
LANG = "chi_tra+eng"


def _sample(name: str) -> tuple[Image.Image, str]:
    truth = json.loads((SAMPLES / "ground_truth.json").read_text(encoding="utf-8"))
    entry = next(e for e in truth if e["file"].endswith(name))
    with Image.open(SAMPLES / entry["file"]) as img:
        page = img.convert("L")
    return page, "\n".join(p["text"] for p in entry["pages"])


def _rate(text: str, truth: str) -> float:
    distance, length = cer(text, truth)
    return distance / length


def _fax(page: Image.Image) -> Image.Image:
    """A 300-dpi page as a 1990s fax: ~100 dpi, thresholded, with salt-and-pepper noise."""
    small = page.resize((page.width // 3, page.height // 3), Image.Resampling.BOX)
    ink = np.asarray(small) < 150
    noise = np.random.default_rng(12).random(ink.shape) < 0.004
    return Image.fromarray(np.where(ink ^ noise, 0, 255).astype(np.uint8))


def _ingest_read(path: Path, work: Path) -> str:
    work.mkdir(exist_ok=True)
    result = pages.process_image_page(path, 1, pages.PageOptions(lang=LANG), work)
    return result.text


def _bare_tesseract(path: Path) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    proc = subprocess.run(
        ["tesseract", str(path), "-", "-l", LANG], capture_output=True, env=env, check=True
    )
    return proc.stdout.decode("utf-8")


def test_a_low_resolution_fax_reads_at_least_as_well_as_bare_tesseract(tmp_path: Path) -> None:
    page, truth = _sample("scan-0002.png")
    fax = tmp_path / "fax.png"
    _fax(page).save(fax)  # no resolution in the file, as fax archives often have
    ours = _rate(_ingest_read(fax, tmp_path / "work"), truth)
    bare = _rate(_bare_tesseract(fax), truth)
    assert ours <= bare, (ours, bare)


@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180])
def test_a_turned_200_dpi_jpeg_without_dpi_reads_as_well_as_upright(
    tmp_path: Path, turn: Image.Transpose
) -> None:
    page, truth = _sample("scan-0005.jpg")
    page = page.resize((page.width * 2 // 3, page.height * 2 // 3), Image.Resampling.LANCZOS)
    upright, turned = tmp_path / "upright.jpg", tmp_path / "turned.jpg"
    page.save(upright, quality=90)  # JPEG with no DPI
    page.transpose(turn).save(turned, quality=90)
    straight = _rate(_ingest_read(upright, tmp_path / "a"), truth)
    rotated = _rate(_ingest_read(turned, tmp_path / "b"), truth)
    assert straight < 0.2
    assert rotated <= straight + 0.02, (rotated, straight)


def test_large_print_is_read_reduced_and_archived_at_its_own_size(tmp_path: Path) -> None:
    """A sample page (39-px characters) in a file without DPI: OCR reads a copy reduced to
    30 px, while the page PDF and the word boxes keep the page's own pixels."""
    page, truth = _sample("scan-0023.png")
    assert imaging.prepare(page, 300).full is None  # a stated resolution is kept
    ready = imaging.prepare(page, None)
    assert ready.full is not None and ready.scale < 0.85
    assert ready.image.width == round(page.width * ready.scale)
    result = pages.ocr_image(page, 1, None, pages.PageOptions(lang=LANG), tmp_path)
    assert (result.width, result.height) == (page.width, page.height)
    assert _rate(result.text, truth) < 0.05
    assert max(w[1] + w[3] for w in result.words) > 0.8 * page.width  # boxes at full size
    with pikepdf.open(result.pdf_path or "") as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert (int(image.Width), int(image.Height)) == (page.width, page.height)


def test_pages_with_ordinary_print_are_not_resized() -> None:
    page, _ = _sample("scan-0002.png")
    small = page.resize((page.width * 3 // 5, page.height * 3 // 5), Image.Resampling.LANCZOS)
    ready = imaging.prepare(small, None)  # 44-px characters become 26 px
    assert ready.full is None and ready.scale == 1 and ready.image.size == small.size


def _with_dark_panel(page: Image.Image, words: str) -> Image.Image:
    """The page under a black title bar with white words, as some forms print their title."""
    canvas = Image.new("L", (page.width, page.height + 300), 255)
    canvas.paste(page, (0, 300))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((120, 80, 1500, 230), fill=0)
    draw.text((170, 115), words, font=ImageFont.truetype(FONT, 60, index=TC_INDEX), fill=255)
    return canvas


def test_white_on_black_words_are_read_and_only_such_pages_pay_for_it(tmp_path: Path) -> None:
    """Tesseract reads a low-confidence line inverted only on pages with a dark panel:
    the bar's words are read, and the plain page and its fax have no panel to pay for."""
    page, _ = _sample("scan-0002.png")
    titled = _with_dark_panel(page, "永久保存檔案移轉清冊")
    assert imaging.examine(titled).dark_panels
    assert not imaging.examine(page).dark_panels and not imaging.examine(_fax(page)).dark_panels
    path = tmp_path / "titled.png"
    titled.save(path, dpi=(300, 300))
    assert "永久保存檔案移轉清冊" in _ingest_read(path, tmp_path / "work")


def test_speckle_is_the_share_of_ink_pixels_without_a_dark_neighbour() -> None:
    page = np.full((60, 80), 255, np.uint8)
    page[10:20, 10:20] = 0  # a blot: 100 pixels, each with dark neighbours
    for y, x in ((40, 10), (40, 30), (50, 60)):  # three lone dots
        page[y, x] = 0
    page[30, 50:52] = 0  # a pair: each has a neighbour, so neither is a speck
    assert imaging.speckle_ratio(page) == pytest.approx(3 / 105)
    assert imaging.speckled(page)
    for y, x in ((40, 10), (40, 30), (50, 60)):
        page[y, x] = 255
    assert imaging.speckle_ratio(page) == 0.0 and not imaging.speckled(page)


def test_streaks_one_pixel_wide_do_not_pass_for_small_characters() -> None:
    """Short scan streaks (vertical on a page lying turned) once outnumbered the characters
    and made a 300-dpi page look like a fax to enlarge."""
    page, _ = _sample("scan-0002.png")
    clean = imaging.examine(page).glyph_height
    assert clean is not None and clean > imaging.SMALL_GLYPHS
    streaked = np.asarray(page).copy()
    rng = np.random.default_rng(5)
    for y, x in zip(rng.integers(3, page.height - 9, 4000), rng.integers(3, page.width - 3, 4000),
                    strict=True):
        if streaked[y - 3:y + 8, x - 3:x + 4].min() > 200:  # on blank paper, apart
            streaked[y:y + 5, x] = 0
    look = imaging.examine(Image.fromarray(streaked))
    assert look.glyph_height == pytest.approx(clean, abs=2) and not look.low_resolution
