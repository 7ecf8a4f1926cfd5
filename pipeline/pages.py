"""Turning one page of a preserved original into text, word boxes and a PDF page.

Called per chunk of pages, so a long PDF is never held in memory whole: each
page is rasterised alone (pdftoppm ``-f``/``-l``), oriented,
deskewed, OCR'd once, and only its results are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from pipeline import imaging, pdfa
from pipeline._exec import poppler, tesseract
from pipeline.text import join_words

#: mean word confidence below which a page may be upside down: on 47 sample and
#: benchmark pages, upright ones scored 56 to 95 and the same pages turned 180° 22 to 43
LOW_CONFIDENCE = 50.0
#: mean word confidence under which an upright reading gets a second opinion without
#: orientation detection: the synthetic fax of test_scan_quality read at 62 with it (71
#: without); zh_dev and sample pages read 85-95, the real faxes of funsd_train 61-89,
#: where the two readings were the same page for page (at 75, half of them were read twice)
DOUBTFUL = 65.0
#: confidence points a page turned upright may score below the reading in its own direction
TURN_MARGIN = 10.0
#: the same for a page already turned, whose detected orientation may have been wrong
TURNED_LOW_CONFIDENCE = 70.0


@dataclass(frozen=True)
class PageOptions:
    """How to process pages; built once from settings and command-line flags."""

    lang: str = "chi_tra+eng"
    dpi: int = 300
    force_ocr: bool = False
    ocr_timeout: float = 300.0
    raster_timeout: float = 180.0
    max_pixels: int = 150_000_000
    text_layer_min_chars: int = 20


@dataclass(kw_only=True)
class PageResult:
    """Everything kept of one page."""

    number: int
    text: str
    source: str  # "ocr" | "text_layer"
    confidence: float | None
    rotation: int
    skew: float
    width: int
    height: int
    dpi: int
    words: list[list[Any]] = field(default_factory=list)
    #: single-page searchable PDF made by tesseract; None for text-layer pages
    pdf_path: str | None = None
    #: the page was scanned bilevel: its archival image goes back to 1 bit (CCITT G4)
    bilevel: bool = False


def ocr_image(
    img: Image.Image, number: int, dpi: int | None, opts: PageOptions, work: Path
) -> PageResult:
    """Prepare, deskew and OCR one decoded page image, turned upright where it lies turned.

    ``dpi`` is the file's resolution, None when it states none. The reading detects the
    page's orientation itself (``tesseract.ocr``); a page it finds turned is turned
    upright by a lossless transpose, prepared again and read again, and the more
    confident reading is kept. A reading with a low confidence (what an upside-down page
    gives when detection missed it) is tried the other way up, likewise.
    """
    bilevel = img.mode == "1"
    prepared = imaging.prepare(img, dpi)
    skew = imaging.find_skew(prepared.image)
    page, rotation, page_dpi = _reading(img, dpi, prepared, skew, 0, number, opts, work)
    if page.turn:
        turned = _reading(img, dpi, None, 0.0, page.turn, number, opts, work)
        # the upright page wins unless clearly worse: its archival image and word boxes
        # are upright too (read in its own direction, a turned page scored 1-4 points
        # higher: zh_dev 02_*_rot90 93.4 against 92.9 upright, 03_*_rot180 89.2 against 88.7)
        if (turned[0].confidence or 0.0) >= (page.confidence or 0.0) - TURN_MARGIN:
            page, rotation, page_dpi = turned
    elif (page.confidence or 0.0) < DOUBTFUL:
        # orientation detection also steers the layout analysis: on a noisy low-resolution
        # page it split 9 lines into 17 and read worse (test_scan_quality fax: CER 0.49
        # against 0.31 without it, confidence 62 against 71); on real_scans/ the two
        # readings were the same page for page
        plain = _reading(img, dpi, prepared, skew, 0, number, opts, work,
                         tesseract.PLAIN_LAYOUT)
        if (plain[0].confidence or 0.0) > (page.confidence or 0.0):
            page, rotation, page_dpi = plain
    # an upside-down page reads with a low confidence (zh_dev, turned the wrong way: 52;
    # the same pages upright 88-93): try it the other way up, keep the more confident
    if page.confidence is not None and page.confidence < (
            TURNED_LOW_CONFIDENCE if rotation else LOW_CONFIDENCE):
        flipped = _reading(img, dpi, None, 0.0, (rotation + 180) % 360, number, opts, work)
        if (flipped[0].confidence or 0.0) > page.confidence:
            page, rotation, page_dpi = flipped
    pdf_path = work / f"page-{number:05d}.pdf"
    pdf_path.write_bytes(page.pdf)
    return PageResult(
        number=number,
        text=page.text,
        source="ocr",
        confidence=page.confidence,
        rotation=rotation,
        skew=page.skew,
        width=page.width,
        height=page.height,
        dpi=page_dpi,
        words=page.words,
        pdf_path=str(pdf_path),
        bilevel=bilevel,
    )


@dataclass
class _Attempt:
    """One OCR run over one orientation of a page, before it is chosen."""

    text: str
    words: list[list[Any]]
    confidence: float | None
    skew: float
    width: int
    height: int
    pdf: bytes
    #: the turn the reading's orientation detection found (0: upright as read)
    turn: int = 0


def _reading(
    original: Image.Image, file_dpi: int | None, prepared: imaging.Prepared | None,
    skew: float, turn: int, number: int, opts: PageOptions, work: Path,
    layout: str | None = None,
) -> tuple[_Attempt, int, int]:
    """OCR the page turned by ``turn``: the reading, its turn and its dpi.

    A turned page is prepared again from the original: its character size, and so the
    enlargement and despeckle, were measured wrong on its side (zh_dev 01_*_rot270:
    CER 0.44 prepared before the turn, against 0.09 for the upright page)."""
    if turn or prepared is None:
        ready = imaging.prepare(imaging.rotate_upright(original, turn), file_dpi)
        skew = imaging.find_skew(ready.image)
    else:
        ready = prepared
    dpi = round(ready.dpi / ready.scale) if ready.full else ready.dpi
    return _recognise(ready, skew, number, opts, work, layout), turn, dpi


def _recognise(
    ready: imaging.Prepared, skew: float, number: int, opts: PageOptions, work: Path,
    layout: str | None = None,
) -> _Attempt:
    img = imaging.deskew(ready.image, skew)
    image_path = imaging.save_for_ocr(img, work / f"page-{number:05d}", ready.dpi)
    result = tesseract.ocr(image_path, opts.lang, opts.ocr_timeout, ready.dpi, layout)
    image_path.unlink()
    text, words, conf = words_to_text(result.words)
    if ready.full is None:
        return _Attempt(text, words, conf, skew, img.width, img.height, result.pdf,
                        result.turn)
    # read reduced, kept at full size: the archival image and the word boxes
    full = imaging.deskew(ready.full, skew)
    pdf = pdfa.with_page_image(result.pdf, full)
    return _Attempt(text, [_scaled(w, 1 / ready.scale) for w in words], conf, skew,
                    full.width, full.height, pdf, result.turn)


def _scaled(word: list[Any], factor: float) -> list[Any]:
    return [word[0], *(round(v * factor) for v in word[1:5]), word[5]]


def words_to_text(words: list[tesseract.Word]) -> tuple[str, list[list[Any]], float | None]:
    """Page text in reading order, word boxes to store, and the mean word confidence."""
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    boxes: list[list[Any]] = []
    confs: list[float] = []
    for w in words:
        lines.setdefault(w.line_key, []).append(w.text)
        boxes.append([w.text, w.left, w.top, w.width, w.height, round(w.conf, 1)])
        if w.conf >= 0:
            confs.append(w.conf)
    text = "\n".join(join_words(ws) for ws in lines.values())
    mean = round(sum(confs) / len(confs), 2) if confs else None
    return text, boxes, mean


def layer_page(layer: poppler.LayerPage, number: int, dpi: int) -> PageResult:
    """A born-digital page: its own text layer, boxes converted from points to pixels."""
    scale = dpi / 72.0
    words = [
        [
            t,
            round(x0 * scale),
            round(y0 * scale),
            round((x1 - x0) * scale),
            round((y1 - y0) * scale),
            100.0,
        ]
        for line in layer.lines
        for (t, x0, y0, x1, y1) in line
    ]
    text = "\n".join(join_words(w[0] for w in line) for line in layer.lines)
    return PageResult(
        number=number,
        text=text,
        source="text_layer",
        confidence=None,
        rotation=0,
        skew=0.0,
        width=round(layer.width * scale),
        height=round(layer.height * scale),
        dpi=dpi,
        words=words,
    )


def layer_char_count(layer: poppler.LayerPage) -> int:
    return sum(len(w[0]) for line in layer.lines for w in line)


def process_pdf_page(path: Path, number: int, opts: PageOptions, work: Path) -> PageResult:
    """Rasterise and OCR one page of a PDF."""
    img = poppler.render_page(path, number, opts.dpi, opts.raster_timeout)
    imaging.check_pixels(img.width, img.height, opts.max_pixels)
    return ocr_image(img, number, opts.dpi, opts, work)


def process_image_page(path: Path, number: int, opts: PageOptions, work: Path) -> PageResult:
    """Decode and OCR one frame of an image file (TIFF pages, PNG, JPEG)."""
    with imaging.open_image(path, opts.max_pixels) as img:
        dpi = imaging.file_resolution(img)
        frame = imaging.load_frame(img, number - 1, opts.max_pixels)
    return ocr_image(frame, number, dpi, opts, work)
