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

#: a reading under this mean word confidence, or with fewer words than MIN_WORDS, may be of a
#: page lying turned, and its orientation is asked for. Read as they lay, the prepared pages
#: of real_scans/ and sample_scans/ scored 60 to 96 upright; turned by 90, 180 or 270 degrees
#: (51 pages) at most 52 with more than two words, and sideways pages of zh_dev gave no words.
DOUBTFUL = 65.0
#: ... a reading with fewer words than this (a sideways page gave 1-2 words at 83-93)
MIN_WORDS = 10
#: a reading still under this confidence after the detected turn is tried the other way
#: up: detection took 2 of 17 pages turned 180 degrees for upright ones
LOW_CONFIDENCE = 50.0


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

    ``dpi`` is the file's resolution, None when it states none. An upright page is read
    once. A doubtful reading (see DOUBTFUL) asks Tesseract for the page's orientation; a
    page found turned is turned upright by a lossless transpose, prepared again and read
    again, and the better reading kept; one still poor is tried the other way up, and
    one still doubtful is read again with Tesseract's automatic layout.
    """
    bilevel = img.mode == "1"
    ready: dict[int, _Ready] = {}  # each turn is prepared once, however often it is read
    page = first = _reading(img, dpi, 0, number, opts, work, ready)
    if doubtful(first.confidence, len(first.words)):
        if first.turn:
            page = max(page, _reading(img, dpi, first.turn, number, opts, work, ready),
                       key=_worth)
        # a page with next to no text (a blank back) has nothing more to tell
        if len(page.words) >= MIN_WORDS and (page.confidence or 0.0) < LOW_CONFIDENCE:
            back = (first.turn + 180) % 360
            page = max(page, _reading(img, dpi, back, number, opts, work, ready), key=_worth)
        if len(page.words) >= MIN_WORDS and doubtful(page.confidence, len(page.words)):
            plain = _reading(img, dpi, page.rotation, number, opts, work, ready,
                             tesseract.PLAIN_LAYOUT)
            page = max(page, plain, key=_worth)
    pdf_path = work / f"page-{number:05d}.pdf"
    pdf_path.write_bytes(_archival_pdf(page, ready[page.rotation]))
    return PageResult(
        number=number,
        text=page.text,
        source="ocr",
        confidence=page.confidence,
        rotation=page.rotation,
        skew=page.skew,
        width=page.width,
        height=page.height,
        dpi=page.dpi,
        words=page.words,
        pdf_path=str(pdf_path),
        bilevel=bilevel,
    )


@dataclass
class _Attempt:
    """One OCR run over one orientation of a page, before it is chosen."""

    text: str
    #: word boxes at the page's own size
    words: list[list[Any]]
    confidence: float | None
    skew: float
    width: int
    height: int
    #: Tesseract's page PDF, of the image it read (reduced for large print)
    pdf: bytes
    #: the clockwise turn the page was read in, and the resolution stated for it
    rotation: int
    dpi: int
    #: the turn orientation detection found for a doubtful reading (0: upright or not asked)
    turn: int = 0


@dataclass(frozen=True)
class _Ready:
    """A page prepared for one turn, its skew, and the deskewed image Tesseract reads."""

    prepared: imaging.Prepared
    skew: float
    image: Image.Image


def doubtful(confidence: float | None, words: int) -> bool:
    """A reading that may be of a turned page (see DOUBTFUL): its orientation is asked for."""
    return (confidence or 0.0) < DOUBTFUL or words < MIN_WORDS


def _worth(page: _Attempt) -> tuple[bool, float]:
    """A reading with some text beats a few confident words (a page read on its side)."""
    return len(page.words) >= MIN_WORDS, page.confidence or 0.0


def _prepared(original: Image.Image, file_dpi: int | None, turn: int,
              ready: dict[int, _Ready]) -> _Ready:
    """The page turned clockwise by ``turn`` and prepared for that turn (kept in ``ready``).

    A turned page is prepared from the original turned: its character size, and so the
    enlargement and despeckle, were measured wrong on its side (zh_dev 01_*_rot270:
    CER 0.44 prepared before the turn, against 0.09 for the upright page)."""
    if turn not in ready:
        prepared = imaging.prepare(imaging.rotate_upright(original, turn), file_dpi)
        skew = imaging.find_skew(prepared.image)
        ready[turn] = _Ready(prepared, skew, imaging.deskew(prepared.image, skew))
    return ready[turn]


def _reading(
    original: Image.Image, file_dpi: int | None, turn: int, number: int, opts: PageOptions,
    work: Path, ready: dict[int, _Ready], layout: str = tesseract.LAYOUT,
) -> _Attempt:
    """OCR the page turned clockwise by ``turn``; orientation is asked of a doubtful first
    reading, from the image it read."""
    r = _prepared(original, file_dpi, turn, ready)
    page, skew, img = r.prepared, r.skew, r.image
    image_path = imaging.save_for_ocr(img, work / f"page-{number:05d}", page.dpi)
    result = tesseract.ocr(image_path, opts.lang, opts.ocr_timeout, page.dpi, layout,
                           invert=page.panels)
    text, words, conf = words_to_text(result.words)
    detected = 0
    if turn == 0 and layout == tesseract.LAYOUT and doubtful(conf, len(words)):
        detected = tesseract.orientation(image_path, opts.ocr_timeout, page.dpi)
    image_path.unlink()
    if page.full is None:
        return _Attempt(text, words, conf, skew, img.width, img.height, result.pdf, turn,
                        page.dpi, detected)
    # read reduced; the word boxes and the archival image (see _archival_pdf) at full size
    return _Attempt(text, [_scaled(w, 1 / page.scale) for w in words], conf, skew,
                    page.full.width, page.full.height, result.pdf, turn,
                    round(page.dpi / page.scale), detected)


def _archival_pdf(page: _Attempt, r: _Ready) -> bytes:
    """The kept reading's page PDF, its image put back at the page's own size where it was
    read reduced (only for the kept reading: 0.35 s an A4 page)."""
    if r.prepared.full is None:
        return page.pdf
    return pdfa.with_page_image(page.pdf, imaging.deskew(r.prepared.full, r.skew))


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
