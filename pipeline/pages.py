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

#: minimum OSD confidence to trust a 90/180/270 degree rotation
MIN_OSD_CONFIDENCE = 2.0
#: mean word confidence below which a page may be upside down: on 47 sample and
#: benchmark pages, upright ones scored 56 to 95 and the same pages turned 180° 22 to 43
LOW_CONFIDENCE = 50.0
#: the same for a page already turned, whose OSD answer may have been wrong
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
    """Prepare, orient, deskew and OCR one decoded page image.

    ``dpi`` is the file's resolution, None when it states none. Orientation detection
    runs on a reduced copy of every page; a page on its side that OSD is unsure of is
    read both ways, and a reading with a low confidence (what an upside-down page
    gives) is tried the other way up; the more confident reading is kept.
    """
    bilevel = img.mode == "1"
    prepared = imaging.prepare(img, dpi)
    skew, sideways = imaging.skew_and_sideways(prepared.image)
    # OSD on every page: the line profile missed pages turned 90/270° whose characters
    # it sized wrong (zh_dev 01_*_rot90/rot270: not "sideways", yet OSD was sure at
    # 14.7 and 8.0), and on the reduced OSD copy it costs a fraction of the OCR run.
    turns = _turns(*_orientation(prepared.image, prepared.dpi, prepared.glyphs, opts), sideways)
    page, rotation, page_dpi = _best_reading(img, dpi, prepared, skew, turns, number, opts,
                                             work)
    # an upside-down page reads with a low confidence (zh_dev, turned the wrong way: 52;
    # the same pages upright 88-93): try it the other way up, keep the more confident
    if page.confidence is not None and page.confidence < (
            TURNED_LOW_CONFIDENCE if rotation else LOW_CONFIDENCE):
        flipped = _best_reading(img, dpi, None, 0.0, [(rotation + 180) % 360], number, opts,
                                work)
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


def _best_reading(
    original: Image.Image, file_dpi: int | None, prepared: imaging.Prepared | None,
    skew: float, turns: list[int], number: int, opts: PageOptions, work: Path,
) -> tuple[_Attempt, int, int]:
    """OCR the page turned by each of ``turns``: the most confident reading, its turn, its dpi.

    A turned page is prepared again from the original: its character size, and so the
    enlargement and despeckle, were measured wrong on its side (zh_dev 01_*_rot270:
    CER 0.44 prepared before the turn, against 0.09 for the upright page)."""
    readings = []
    for turn in turns:
        if turn or prepared is None:
            ready = imaging.prepare(imaging.rotate_upright(original, turn), file_dpi)
            page_skew = imaging.find_skew(ready.image)
        else:
            ready, page_skew = prepared, skew
        readings.append((_recognise(ready, page_skew, number, opts, work), turn,
                         round(ready.dpi / ready.scale) if ready.full else ready.dpi))
    return max(readings, key=lambda r: r[0].confidence or 0.0)


def _turns(guess: int, sure: bool, sideways: bool) -> list[int]:
    """The turns worth reading: OSD's when it is sure; when it is not, the page as it is
    and, if its lines may run up and down, both sides (zh_dev 03_*_rot270: 0 at 0.51;
    02_*_rot90: 180 at 1.7). The page as it is stays in the running: upright receipts
    in a monospaced face look sideways to the line profile (sroie_dev 171, 581)."""
    if sure:
        return [guess]
    return [0, 90, 270] if sideways else [0]


def _recognise(
    ready: imaging.Prepared, skew: float, number: int, opts: PageOptions, work: Path
) -> _Attempt:
    img = imaging.deskew(ready.image, skew)
    image_path = imaging.save_for_ocr(img, work / f"page-{number:05d}", ready.dpi)
    result = tesseract.ocr(image_path, opts.lang, opts.ocr_timeout, ready.dpi)
    image_path.unlink()
    text, words, conf = words_to_text(result.words)
    if ready.full is None:
        return _Attempt(text, words, conf, skew, img.width, img.height, result.pdf)
    # read reduced, kept at full size: the archival image and the word boxes
    full = imaging.deskew(ready.full, skew)
    pdf = pdfa.with_page_image(result.pdf, full)
    return _Attempt(text, [_scaled(w, 1 / ready.scale) for w in words], conf, skew,
                    full.width, full.height, pdf)


def _scaled(word: list[Any], factor: float) -> list[Any]:
    return [word[0], *(round(v * factor) for v in word[1:5]), word[5]]


def _orientation(
    img: Image.Image, dpi: int, glyphs: float | None, opts: PageOptions
) -> tuple[int, bool]:
    """OSD's clockwise turn to upright, and whether its confidence is enough to act alone."""
    small, small_dpi = imaging.osd_copy(img, dpi, glyphs)
    rotation, conf = tesseract.detect_rotation(small, opts.ocr_timeout, small_dpi)
    return rotation, conf >= MIN_OSD_CONFIDENCE


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
