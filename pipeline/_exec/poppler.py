"""Poppler's pdftoppm and pdftotext: one page rasterised at a time, text layers."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from pipeline._exec import child_env, run
from pipeline.errors import CorruptFile

_NS = "{http://www.w3.org/1999/xhtml}"


@dataclass
class LayerPage:
    """The text layer of one PDF page: lines of words with boxes in PDF points."""

    width: float
    height: float
    lines: list[list[tuple[str, float, float, float, float]]] = field(default_factory=list)


def render_page(path: Path, number: int, dpi: int, timeout: float) -> Image.Image:
    """Rasterise page ``number`` (1-based) only, in grayscale (lossless PNG through a pipe)."""
    page = str(number)
    cmd = ["pdftoppm", "-r", str(dpi), "-f", page, "-l", page, "-gray", "-png", str(path)]
    proc = run(cmd, f"pdftoppm on page {number}", timeout, child_env())
    if proc.returncode != 0 or not proc.stdout:
        raise CorruptFile(f"page {number} cannot be rasterised (pdftoppm exit {proc.returncode})")
    try:
        img = Image.open(io.BytesIO(proc.stdout))
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise CorruptFile(f"page {number} cannot be rasterised: {exc}") from exc
    return img


def text_layer(path: Path, timeout: float) -> list[LayerPage]:
    """Every page's text layer (pdftotext -bbox-layout); pages without text have no lines."""
    cmd = ["pdftotext", "-q", "-bbox-layout", str(path), "-"]
    proc = run(cmd, "pdftotext", timeout, child_env())
    if proc.returncode != 0:
        raise CorruptFile(f"pdftotext cannot read the PDF (exit {proc.returncode})")
    return _parse_bbox_layout(proc.stdout)


def _parse_bbox_layout(xhtml: bytes) -> list[LayerPage]:
    try:
        root = ET.fromstring(xhtml)
    except ET.ParseError as exc:
        raise CorruptFile(f"unreadable text layer: {exc}") from exc
    pages = []
    for page in root.iter(f"{_NS}page"):
        lp = LayerPage(float(page.get("width", 0)), float(page.get("height", 0)))
        for line in page.iter(f"{_NS}line"):
            words = [_word(w) for w in line.iter(f"{_NS}word") if (w.text or "").strip()]
            if words:
                lp.lines.append(words)
        pages.append(lp)
    return pages


def _word(el: ET.Element) -> tuple[str, float, float, float, float]:
    x0, y0 = float(el.get("xMin", 0)), float(el.get("yMin", 0))
    x1, y1 = float(el.get("xMax", 0)), float(el.get("yMax", 0))
    return ((el.text or "").strip(), x0, y0, x1, y1)
