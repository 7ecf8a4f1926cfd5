"""Poppler through pdf2image and pdftotext: one page rasterised at a time, text layers."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError
from PIL import Image

from pipeline.errors import CorruptFile, ExternalProgramError, ExternalProgramTimeout

_NS = "{http://www.w3.org/1999/xhtml}"


@dataclass
class LayerPage:
    """The text layer of one PDF page: lines of words with boxes in PDF points."""

    width: float
    height: float
    lines: list[list[tuple[str, float, float, float, float]]] = field(default_factory=list)


def render_page(path: Path, number: int, dpi: int, timeout: float) -> Image.Image:
    """Rasterise page ``number`` (1-based) only, in grayscale."""
    try:
        images = convert_from_path(
            path,
            dpi=dpi,
            first_page=number,
            last_page=number,
            grayscale=True,
            timeout=int(max(1, timeout)),
        )
    except PDFPopplerTimeoutError as exc:
        raise ExternalProgramTimeout(
            f"pdftoppm timed out after {timeout:.0f} s on page {number}"
        ) from exc
    except (PDFSyntaxError, PDFPageCountError) as exc:
        raise CorruptFile(f"page {number} cannot be rasterised: {exc}") from exc
    if not images:
        raise CorruptFile(f"page {number} cannot be rasterised (poppler produced no image)")
    return images[0]


def text_layer(path: Path, timeout: float) -> list[LayerPage]:
    """Every page's text layer (pdftotext -bbox-layout); pages without text have no lines."""
    cmd = ["pdftotext", "-q", "-bbox-layout", str(path), "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ExternalProgramTimeout(f"pdftotext timed out after {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise ExternalProgramError("pdftotext (poppler-utils) is not installed") from exc
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
