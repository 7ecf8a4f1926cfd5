"""Page images: opening safely, orientation and skew correction.

Skew is found by the projection-profile method on a small binarised copy of
the page (coarse then fine angles): text lines give the sharpest row profile
when they are horizontal. The same copy tells a page turned by 90 degrees:
its columns, not its rows, then give the sharper profile. Both cost a few
tens of milliseconds per page, far less than OCR.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

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


def frame_count(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1))


def load_frame(img: Image.Image, index: int, limit: int) -> Image.Image:
    """Decode frame ``index`` fully, upright per its EXIF/TIFF orientation tag, as L or 1."""
    try:
        img.seek(index)
        check_pixels(img.width, img.height, limit)
        frame = ImageOps.exif_transpose(img.copy())
        frame.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"page {index + 1} cannot be decoded: {exc}") from exc
    return frame if frame.mode in ("1", "L") else frame.convert("L")


def resolution(img: Image.Image, default: int) -> int:
    """The image's DPI from its metadata, or ``default`` if missing or absurd."""
    dpi = img.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 72 <= value <= 2400 else default


def _profile_score(small: Image.Image, angle: float) -> float:
    rotated = small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    rows = np.asarray(rotated, dtype=np.float32).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def _text_ink(img: Image.Image) -> Image.Image:
    """A copy at most PROFILE_WIDTH wide with text as bright pixels (box-reduced: fast)."""
    gray = img.convert("L")
    factor = max(1, -(-gray.width // PROFILE_WIDTH))  # ceiling: at most PROFILE_WIDTH wide
    small = gray.reduce(factor) if factor > 1 else gray
    return small.point(lambda v: 255 if v < 160 else 0)


def _best_angle(ink: Image.Image) -> tuple[float, float]:
    """(angle, score) of the sharpest row profile: whole degrees, then tenths."""
    coarse = {float(a): _profile_score(ink, a) for a in np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0)}
    best = max(coarse, key=lambda a: coarse[a])
    fine = {float(a): _profile_score(ink, a) for a in np.arange(best - 0.5, best + 0.51, 0.1)}
    angle = max(fine, key=lambda a: fine[a])
    return round(angle, 2), fine[angle]


def find_skew(img: Image.Image) -> float:
    """Angle in degrees (counter-clockwise) that levels the text lines."""
    return _best_angle(_text_ink(img))[0]


def skew_and_sideways(img: Image.Image) -> tuple[float, bool]:
    """The skew angle, and whether the text lines run up and down (page turned 90 degrees).

    Measured on 50 upright pages, the row profile beat the column profile by 1.17 to
    18 times; on a page turned 90 degrees it reached 0.4 of it.
    """
    ink = _text_ink(img)
    angle, rows = _best_angle(ink)
    turned = ink.transpose(Image.Transpose.ROTATE_90)
    columns = max(_profile_score(turned, a) for a in np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0))
    return angle, rows < columns


def rotate_upright(img: Image.Image, clockwise: int) -> Image.Image:
    """Rotate by a multiple of 90 degrees clockwise (as OSD reports it)."""
    turns = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return img.transpose(turns[clockwise]) if clockwise in turns else img


def deskew(img: Image.Image, angle: float) -> Image.Image:
    """Rotate by ``angle`` degrees, filling with white.

    A bilevel page comes back in grayscale: thresholding the rotated page back to
    1 bit roughened thin strokes and, on the sample batch, raised the character
    error rate from 5.9% to 6.9%; bicubic beat bilinear by as much again.
    """
    if abs(angle) < 0.05:
        return img
    gray = img.convert("L")
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)


#: share of ink pixels that are isolated dots above which a page counts as speckled
SPECKLE_RATIO = 0.0003


def _ink_and_neighbours(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    ink = np.asarray(img.convert("L")) < 128
    padded = np.pad(ink, 1).astype(np.uint8)
    h, w = ink.shape
    neighbours = sum(
        padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if (dy, dx) != (0, 0)
    )
    return ink, np.asarray(neighbours)


def speckle_ratio(img: Image.Image) -> float:
    """Share of dark pixels with no dark neighbour: salt-and-pepper scanner noise."""
    ink, neighbours = _ink_and_neighbours(img)
    return float((ink & (neighbours == 0)).sum()) / max(1, int(ink.sum()))


def despeckle(img: Image.Image) -> Image.Image:
    """Clean a speckled page; clean pages are left alone.

    Measured on the sample batch: on grayscale scans a 3x3 median roughly
    halves the character error rate of speckled pages; on bilevel scans the
    median breaks thin strokes, so only dots with at most one dark neighbour
    are removed. Clean pages lose accuracy to either, hence the detector.
    """
    if speckle_ratio(img) < SPECKLE_RATIO:
        return img
    if img.mode != "1":
        return img.convert("L").filter(ImageFilter.MedianFilter(3))
    ink, neighbours = _ink_and_neighbours(img)
    clean = np.where(ink & (neighbours > 1), 0, 255).astype(np.uint8)
    return Image.fromarray(clean).convert("1")


def osd_copy(img: Image.Image, dpi: int) -> Image.Image:
    """A reduced copy for orientation detection (OSD needs ~150 dpi, not 300)."""
    if dpi <= 200:
        return img.convert("L")
    scale = 150 / dpi
    return img.convert("L").resize((int(img.width * scale), int(img.height * scale)))


def save_for_ocr(img: Image.Image, path: Path, dpi: int) -> Path:
    """Save the page image tesseract reads and embeds in the archival PDF.

    Bilevel pages as PNG (1 bit, tiny, lossless); grayscale as high-quality JPEG,
    which tesseract embeds in its PDF without re-encoding.
    """
    if img.mode == "1":
        target = path.with_suffix(".png")
        img.save(target, dpi=(dpi, dpi), optimize=False)
    else:
        target = path.with_suffix(".jpg")
        img.convert("L").save(target, quality=85, dpi=(dpi, dpi))
    return target
