"""Tesseract through pytesseract: orientation detection and OCR.

Tesseract is run single-threaded (``OMP_THREAD_LIMIT=1``): several OpenMP
threads per process slow a machine that already runs one process per core.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image

from pipeline.errors import ExternalProgramError, ExternalProgramTimeout
from pipeline.text import Word as Word

# Set before any tesseract child starts; children inherit the environment.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@dataclass(frozen=True)
class OcrResult:
    """Words plus the single-page searchable PDF tesseract rendered for the image."""

    words: list[Word]
    pdf: bytes


def _call(what: str, limit: float, fn: object, *args: object, **kwargs: object) -> object:
    try:
        return fn(*args, **kwargs)  # type: ignore[operator]
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise ExternalProgramTimeout(f"tesseract {what} timed out after {limit:.0f} s") from exc
        raise ExternalProgramError(f"tesseract {what} failed: {exc}") from exc
    except pytesseract.TesseractError as exc:
        raise ExternalProgramError(f"tesseract {what} failed: {exc.message.strip()}") from exc
    except pytesseract.TesseractNotFoundError as exc:
        raise ExternalProgramError("tesseract is not installed or not on PATH") from exc


def detect_rotation(image: Image.Image, timeout: float) -> tuple[int, float]:
    """Clockwise rotation (0/90/180/270) that makes the page upright, and its confidence.

    A page with too little text for OSD counts as upright with confidence 0.
    """
    try:
        out = _call(
            "orientation detection",
            timeout,
            pytesseract.image_to_osd,
            image,
            config="--psm 0 -c min_characters_to_try=20",
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except ExternalProgramTimeout:
        raise
    except ExternalProgramError as exc:
        if "Too few characters" in str(exc) or "Invalid resolution" in str(exc):
            return 0, 0.0
        raise
    assert isinstance(out, dict)
    return int(out["rotate"]), float(out["orientation_conf"])


def ocr(image_path: Path, lang: str, timeout: float) -> OcrResult:
    """OCR one page image once, returning word boxes (TSV) and a searchable PDF page."""
    out = _call(
        "OCR",
        timeout,
        pytesseract.run_and_get_multiple_output,
        str(image_path),
        extensions=["tsv", "pdf"],
        lang=lang,
        timeout=int(max(1, timeout)),
        return_bytes=True,
    )
    assert isinstance(out, list)
    tsv, pdf = out
    return OcrResult(parse_tsv(tsv.decode("utf-8", errors="replace")), pdf)


def parse_tsv(tsv: str) -> list[Word]:
    """Words of a tesseract TSV (level 5 rows with text)."""
    words = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        key = (
            int(row["page_num"]),
            int(row["block_num"]),
            int(row["par_num"]),
            int(row["line_num"]),
        )
        words.append(
            Word(
                text=text,
                left=int(row["left"]),
                top=int(row["top"]),
                width=int(row["width"]),
                height=int(row["height"]),
                conf=float(row["conf"]),
                line_key=key,
            )
        )
    return words


def available_languages() -> list[str]:
    """Languages tesseract has data for."""
    langs = _call("language list", 30, pytesseract.get_languages, config="")
    assert isinstance(langs, list)
    return [str(x) for x in langs]
