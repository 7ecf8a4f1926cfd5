"""Page images: opening safely, orientation and skew correction.

Skew is found by the projection-profile method on a small binarised copy of
the page (coarse then fine angles): text lines give the sharpest row profile
when they are horizontal. It costs a few milliseconds per page, far less
than OCR. The profile does not tell a page turned by 90 degrees (Chinese print on
its grid gives sharp columns too): the column profile was 0.6 to 4.9 times as sharp
as the row profile on zh_dev's pages turned 90 and 270 degrees, and up to 5 times on
upright receipts. Tesseract's orientation detection tells it (see :mod:`pipeline.pages`).

Every other step is chosen per page from what the page shows (see :func:`examine`):
the height of its characters in pixels says whether it is a low-resolution scan to
enlarge and whether a median filter would erase its strokes. Pixel work on full pages
uses OpenCV: its median, resize and rotation run in a few tens of milliseconds on an
A4 page at 300 dpi, where Pillow's took a few hundred.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import CorruptFile, ImageTooLarge

PROFILE_WIDTH = 900
MAX_SKEW = 5.0


def check_pixels(width: int, height: int, limit: int) -> None:
    """Refuse images larger than the configured pixel limit (decompression bombs)."""
    if width * height > limit:
        raise ImageTooLarge(
            f"image of {width}x{height} pixels exceeds the limit of {limit} pixels "
            "(possible decompression bomb)"
        )


def open_image(path: Path, limit: int) -> Image.Image:
    """Open an image lazily, checking its declared size before any pixel is decoded."""
    Image.MAX_IMAGE_PIXELS = None  # our own limit below applies, per file
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"cannot decode image: {exc}") from exc
    check_pixels(img.width, img.height, limit)
    return img


def _gray(img: Image.Image) -> np.ndarray:
    """The page's grey levels as an array (a grey page is not converted first: one copy less)."""
    return np.asarray(img if img.mode == "L" else img.convert("L"))


def frame_count(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1))


def load_frame(img: Image.Image, index: int, limit: int) -> Image.Image:
    """Decode frame ``index`` fully, upright per its EXIF/TIFF orientation tag, as L or 1."""
    try:
        img.seek(index)
        check_pixels(img.width, img.height, limit)
        frame = img.copy()
        ImageOps.exif_transpose(frame, in_place=True)  # on the copy: no second copy
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"page {index + 1} cannot be decoded: {exc}") from exc
    return frame if frame.mode in ("1", "L") else frame.convert("L")


def resolution(img: Image.Image, default: int) -> int:
    """The image's DPI from its metadata, or ``default`` if missing or absurd."""
    return file_resolution(img) or default


def file_resolution(img: Image.Image) -> int | None:
    """The image's DPI from its metadata; None if missing or absurd."""
    dpi = img.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 72 <= value <= 2400 else None


def _row_profiles(ink: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Squared row-to-row change of the ink's row profile with the page turned by each angle.

    Each ink pixel is projected onto the turned page's rows (one ``bincount`` per angle)
    instead of turning the image: 0.005 s a page against 0.031 s for 22 image rotations,
    the same angle on 77 of 81 pages of real_scans/, sample_scans and the benchmark, the
    others 0.1 degree apart.
    """
    ys, xs = np.nonzero(ink)
    h, w = ink.shape
    ys_c, xs_c = ys - h / 2, xs - w / 2
    scores = np.empty(len(angles))
    for i, angle in enumerate(np.radians(angles)):
        rows = np.rint(ys_c * math.cos(angle) - xs_c * math.sin(angle) + h / 2).astype(np.intp)
        profile = np.bincount(rows[(rows >= 0) & (rows < h)], minlength=h).astype(np.float64)
        scores[i] = np.square(np.diff(profile)).sum()
    return scores


def _text_ink(img: Image.Image) -> np.ndarray:
    """The text pixels of a copy at most PROFILE_WIDTH wide (box-reduced: fast)."""
    gray = img.convert("L")
    factor = max(1, -(-gray.width // PROFILE_WIDTH))  # ceiling: at most PROFILE_WIDTH wide
    small = gray.reduce(factor) if factor > 1 else gray
    return np.asarray(small) < 160


def _best_angle(ink: np.ndarray) -> tuple[float, float]:
    """(angle, score) of the sharpest row profile: whole degrees, then tenths."""
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0)
    best = float(coarse[int(np.argmax(_row_profiles(ink, coarse)))])
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    scores = _row_profiles(ink, fine)
    i = int(np.argmax(scores))
    return round(float(fine[i]), 2), float(scores[i])


def find_skew(img: Image.Image) -> float:
    """Angle in degrees (counter-clockwise) that levels the text lines."""
    return _best_angle(_text_ink(img))[0]


def rotate_upright(img: Image.Image, clockwise: int) -> Image.Image:
    """Rotate by a multiple of 90 degrees clockwise (as OSD reports it)."""
    turns = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return img.transpose(turns[clockwise]) if clockwise in turns else img


def deskew(img: Image.Image, angle: float) -> Image.Image:
    """Rotate by ``angle`` degrees (counter-clockwise), filling with white.

    A bilevel page comes back in grayscale: thresholding the rotated page back to
    1 bit roughened thin strokes and, on the sample batch, raised the character
    error rate from 5.9% to 6.9%; bicubic beat bilinear by as much again.
    """
    if abs(angle) < 0.05:
        return img
    gray = _gray(img)
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)
    return Image.fromarray(turned)


#: share of ink pixels that are isolated dots above which a page counts as speckled
SPECKLE_RATIO = 0.0003
#: a pixel's 8 neighbours
_RING = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8)


def _ink_and_neighbours(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Dark pixels, and how many of each pixel's 8 neighbours are dark (one OpenCV pass)."""
    ink = (_gray(img) < 128).astype(np.uint8)
    neighbours = cv2.filter2D(ink, -1, _RING, borderType=cv2.BORDER_CONSTANT)
    return ink.astype(bool), neighbours


def speckle_ratio(gray: np.ndarray) -> float:
    """Share of dark pixels with no dark neighbour: salt-and-pepper scanner noise.

    A dilation by the 8-neighbour ring marks the pixels with a dark neighbour: a fifth of
    the time of counting the neighbours (a 3x3 convolution), for the same share.
    """
    ink = (gray < 128).astype(np.uint8)
    lonely = cv2.countNonZero(cv2.bitwise_and(ink, 1 - cv2.dilate(ink, _RING)))
    return lonely / max(1, cv2.countNonZero(ink))


def speckled(gray: np.ndarray) -> bool:
    return speckle_ratio(gray) >= SPECKLE_RATIO


def despeckle(img: Image.Image) -> Image.Image:
    """Clean a speckled page (see :func:`speckled`; clean pages lose accuracy to it).

    Measured on the sample batch: on grayscale scans a 3x3 median roughly
    halves the character error rate of speckled pages; on bilevel scans the
    median breaks thin strokes, so only dots with at most one dark neighbour
    are removed.
    Only for speckled pages whose characters are large enough (see :func:`prepare`).
    """
    if img.mode != "1":
        return Image.fromarray(cv2.medianBlur(_gray(img), 3))
    ink, neighbours = _ink_and_neighbours(img)
    clean = np.where(ink & (neighbours > 1), 0, 255).astype(np.uint8)
    return Image.fromarray(clean).convert("1")


#: median height in pixels of a character (after closing 3x3) below which a page counts
#: as a low-resolution scan. On the real faxes of real_scans/funsd_train (about 100 dpi)
#: it is 8 to 12; on 300-dpi pages (sample_scans, zh_dev) 14 to 31.
SMALL_GLYPHS = 12.0
#: a 3x3 median is used only where it keeps at least this share of the characters' ink.
#: funsd_train faxes: 0.62-0.92; a Chinese sample page faxed at 100 dpi: 0.44;
#: 300-dpi pages of zh_dev and sample_scans: 0.90-0.99.
MEDIAN_SAFE = 0.90
#: the character height of 10-12 pt text at 300 dpi, the size Tesseract's models read best
GLYPHS_AT_300_DPI = 22.0


@dataclass(frozen=True)
class PageLook:
    """What a page shows about itself before OCR."""

    #: median character height in pixels, None when too few characters to tell
    glyph_height: float | None
    #: solid dark areas large enough to carry white-on-black text (see :func:`dark_panels`)
    dark_panels: bool = False

    @property
    def low_resolution(self) -> bool:
        """Characters too small for Tesseract: enlarge the page.

        Thin strokes alone are no reason: a Chinese sample page faxed at 100 dpi
        (15-px characters, 1-px strokes) read 0.31 as it was and 0.87 enlarged 2x.
        """
        return self.glyph_height is not None and self.glyph_height < SMALL_GLYPHS

    def estimated_dpi(self) -> int | None:
        """The resolution the text's size suggests (10-12 pt body text assumed)."""
        if self.glyph_height is None:
            return None
        return int(min(1200, max(50, round(300 * self.glyph_height / GLYPHS_AT_300_DPI))))


def _ink(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Ink mask by Otsu's threshold (inclusive, so a 0/255 page keeps its ink), and the level."""
    level, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink, float(level)


def _blobs(ink: np.ndarray) -> np.ndarray:
    """Width, height and area of each ink blob (rows), the ink closed with a 3x3 square
    first so that a dot-matrix character or a fax glyph broken by noise counts as one blob."""
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    return np.asarray(stats[1:, 2:5])


def glyph_height(gray: np.ndarray, blobs: np.ndarray | None = None) -> float | None:
    """Median height of character-like ink blobs, in pixels.

    Closing the ink first matters: without it a dot-matrix receipt (real_scans/sroie_dev/
    089, 27-pixel lines) measured 7 pixels and was enlarged into nonsense (CER 0.51 ->
    1.14). Blobs too flat, too tall or too sparse to be characters (rules, specks,
    photos) are left out, and so are blobs one pixel wide: on two of zh_dev's pages lying
    turned (3508 x 2480, no DPI) short scan streaks, vertical as the page lay, made the
    median 4 and 6 pixels where the characters are 39-43, and the page was read enlarged
    2x (35 megapixels) before its orientation was asked; without them the median is 30,
    the same decisions on every upright page of real_scans/ and sample_scans, and zh_dev
    reads 0.007 (worst page 0.015) against 0.010 (0.031).
    """
    w, h, area = (_blobs(_ink(gray)[0]) if blobs is None else blobs).T
    chars = (h >= 4) & (w >= 2) & (h <= gray.shape[0] // 15) & (w <= 3 * h) & (h <= 4 * w + 4)
    chars &= area >= 0.15 * w * h
    return float(np.median(h[chars])) if int(chars.sum()) >= 10 else None


#: a dark panel: a blob at least this share solid ink, PANEL_LINES character heights
#: high and PANEL_CHARS wide (room for a line of white-on-black words)
PANEL_FILL = 0.6
PANEL_LINES = 2.0
PANEL_CHARS = 8.0


def dark_panels(blobs: np.ndarray, glyphs: float | None) -> bool:
    """Whether the page has solid dark areas that could carry white-on-black text.

    Only such pages keep Tesseract's second reading of low-confidence lines inverted: on
    real_scans/ and sample_scans, none of which has inverted text, it cost 4-8 % of the
    CPU time of funsd_train and sroie_dev (2-4 % elsewhere) and changed no page's CER by
    more than 0.02 either way (folder means: funsd 0.211 -> 0.209, sroie 0.169 -> 0.171,
    zh_dev and sample_scans unchanged). Bold words merged by a fax's closing are smaller
    than a panel; 2 of funsd_train's 25 forms have one.
    """
    w, h, area = blobs.T
    size = glyphs or GLYPHS_AT_300_DPI
    solid = (area >= PANEL_FILL * w * h) & (h >= PANEL_LINES * size) & (w >= PANEL_CHARS * size)
    return bool(solid.any())


def median_keep(gray: np.ndarray, ink: tuple[np.ndarray, float] | None = None) -> float:
    """Share of the ink of blobs of 20+ pixels (not specks) still ink after a 3x3 median.

    ``ink`` is :func:`_ink` of ``gray`` when the caller has it already. The kept ink is
    counted per blob (``bincount`` of the kept pixels' labels), not by a lookup of the
    whole label image: the same share in 0.05 s a page instead of 0.08 s.
    """
    mask, level = ink if ink is not None else _ink(gray)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    wanted = stats[:, 4] >= 20
    wanted[0] = False  # the background
    total = int(stats[wanted, 4].sum())
    if not total:
        return 1.0
    kept = cv2.medianBlur(gray, 3) <= level
    return float(np.bincount(labels[kept], minlength=count)[wanted].sum() / total)


def _look(gray: np.ndarray, ink: np.ndarray) -> PageLook:
    blobs = _blobs(ink)
    glyphs = glyph_height(gray, blobs)
    return PageLook(glyphs, dark_panels(blobs, glyphs))


def examine(img: Image.Image) -> PageLook:
    gray = _gray(img)
    return _look(gray, _ink(gray)[0])


def enlarge(img: Image.Image, factor: int) -> Image.Image:
    """Bicubic enlargement of a grayscale copy (bilevel input gains grey edges)."""
    gray = _gray(img)
    size = (gray.shape[1] * factor, gray.shape[0] * factor)
    return Image.fromarray(cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC))


#: character height above which a page is reduced before OCR, and the height it is reduced to.
#: Tesseract's layout analysis lost list numerals and whole lines on pages with large
#: characters: zh_dev 01_*_rot0 (40-px characters) read 0.076 as it was, 0.010 reduced to
#: 30 px; 03_*_rot0 (41 px) 0.082 -> 0.010; 01_*_rot270 (43 px) 0.265 -> 0.086. The sample
#: gift form (39 px) read 陶瓷擺飾 as 陶次擺 at full size. Fewer pixels also read faster.
#: Applied only where the file states no resolution (see :func:`prepare`).
LARGE_GLYPHS = 32.0
GLYPH_TARGET = 30.0


@dataclass(frozen=True)
class Prepared:
    """A page image ready for orientation, deskew and OCR, and the resolution to state.

    ``full`` is the page at its own size when ``image`` was reduced for OCR (``scale`` < 1):
    the archival copy keeps the page's own resolution.
    """

    image: Image.Image
    dpi: int
    scale: float
    #: character height in the prepared image, None when unknown
    glyphs: float | None
    full: Image.Image | None = None
    #: the page may carry white-on-black text (:func:`dark_panels`)
    panels: bool = False


def reduce(img: Image.Image, scale: float) -> Image.Image:
    """Area-averaged reduction of a grayscale copy."""
    gray = _gray(img)
    size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
    return Image.fromarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))


def prepare(img: Image.Image, file_dpi: int | None) -> Prepared:
    """Enlarge low-resolution pages, reduce large print, despeckle only where strokes survive.

    Measured with bare Tesseract on real_scans/ (case-folded CER):
    - funsd_train faxes (~100 dpi, characters 8-12 px): a 3x3 median erased their
      1-2 px strokes, 0.334 -> 0.536, so a page is median-filtered only where the
      median keeps its characters (MEDIAN_SAFE); enlarged 2x the faxes read
      0.334 -> 0.259 (3x: 0.277, at 25% more Tesseract time than 2x).
    - sroie_dev receipts: enlarging helped those with small characters or thin
      strokes (007: 0.13 -> 0.06, 335: 0.37 -> 0.17) and hurt those without
      (171, 31-px characters: 0.18 -> 0.84), hence the two measures.
    - zh_dev pages (300 dpi, salt-and-pepper noise): the median took the upright pages
      from 0.122 to 0.047; large characters are reduced (LARGE_GLYPHS).
    The resolution stated to Tesseract is the file's, else the one the text size
    suggests (pages without DPI were taken to be 300 dpi, which sent a 200-dpi page to
    orientation detection at 100 dpi, where it failed).
    """
    gray = _gray(img)
    ink = _ink(gray)  # Otsu's mask, shared by the look and the median's test
    look = _look(gray, ink[0])
    dpi = file_dpi or look.estimated_dpi() or 300
    if look.low_resolution:
        return Prepared(enlarge(img, 2), dpi * 2, 2, (look.glyph_height or 0) * 2,
                        panels=look.dark_panels)
    # the median's test is asked only of speckled pages: it costs a labelling of the page
    if speckled(gray) and median_keep(gray, ink) >= MEDIAN_SAFE:
        img = despeckle(img)
    # only where the file states no resolution: on the sample forms (300 dpi stated, 39-44 px)
    # reduction moved pages both ways and lost typed fields (gift fields 28 -> 25 of 30)
    if file_dpi is None and look.glyph_height is not None and look.glyph_height > LARGE_GLYPHS:
        scale = GLYPH_TARGET / look.glyph_height
        return Prepared(reduce(img, scale), max(50, round(dpi * scale)), scale, GLYPH_TARGET,
                        full=img, panels=look.dark_panels)
    return Prepared(img, dpi, 1, look.glyph_height, panels=look.dark_panels)


#: uncompressed, resolution in dots per inch
_TIFF_PLAIN = [cv2.IMWRITE_TIFF_COMPRESSION, 1, cv2.IMWRITE_TIFF_RESUNIT, 2]


def save_for_ocr(img: Image.Image, path: Path, dpi: int) -> Path:
    """Save the page image tesseract reads and embeds in the archival PDF, losslessly.

    Bilevel pages as 1-bit PNG (tiny); grayscale as uncompressed TIFF: written in about a
    hundredth of a second where PNG took 0.1-0.3 s on an A4 page at 300 dpi, and
    Tesseract Flate-compresses it into its page PDF itself (a PNG's own data it embeds as
    it is, which at PNG's fast level 1 made page PDFs twice the size: 1.35 MB against
    0.68 MB). Not PGM: Leptonica reads PGM slowly, and Tesseract took 1.85 s a page
    instead of 1.66 s on the same pixels (10 benchmark pages, TSV and PDF out). A JPEG
    re-encode (as long ago) put a second round of compression artefacts on scans that
    were already JPEG.
    """
    if img.mode == "1":
        target = path.with_suffix(".png")
        img.save(target, dpi=(dpi, dpi), optimize=False)
    else:
        target = path.with_suffix(".tif")
        flags = [*_TIFF_PLAIN, cv2.IMWRITE_TIFF_XDPI, dpi, cv2.IMWRITE_TIFF_YDPI, dpi]
        cv2.imwrite(str(target), _gray(img), flags)
    return target
