"""Tesseract: orientation detection and OCR, run as a child process per page.

Tesseract is run single-threaded (``OMP_THREAD_LIMIT=1`` in the child's own
environment): several OpenMP threads per process slow a machine that already runs
one process per core. The image's resolution is passed with ``--dpi`` because the
page images we hand over carry the resolution we estimated, not always the file's.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image

from pipeline._exec import child_env, failed, run
from pipeline.errors import ExternalProgramError
from pipeline.text import Word as Word

#: OSD gives up on pages with fewer characters; these lines on stderr mean "no answer"
_NO_ORIENTATION = ("Too few characters", "Invalid resolution")
#: oldest release with the LSTM engine, TSV output and ``--dpi``
MIN_VERSION = (4, 1)


@dataclass(frozen=True)
class OcrResult:
    """Words plus the single-page searchable PDF tesseract rendered for the image."""

    words: list[Word]
    pdf: bytes


def _env() -> dict[str, str]:
    return child_env(OMP_THREAD_LIMIT="1")


@cache
def version() -> tuple[int, int]:
    """Tesseract's (major, minor) version, asked once per process."""
    proc = run(["tesseract", "--version"], "tesseract --version", 30, _env())
    found = re.search(rb"tesseract v?(\d+)\.(\d+)", proc.stdout + proc.stderr)
    if proc.returncode != 0 or not found:
        raise failed("tesseract --version", proc)
    major, minor = int(found[1]), int(found[2])
    if (major, minor) < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        raise ExternalProgramError(f"tesseract {major}.{minor} is too old; {need} or newer needed")
    return major, minor


def detect_rotation(image: Image.Image, timeout: float, dpi: int = 150) -> tuple[int, float]:
    """Clockwise rotation (0/90/180/270) that makes the page upright, and its confidence.

    A page with too little text for OSD counts as upright with confidence 0.
    """
    version()
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi))
    cmd = ["tesseract", "-", "-", "--dpi", str(dpi), "--psm", "0", "-c", "min_characters_to_try=20"]
    proc = run(cmd, "tesseract orientation detection", timeout, _env(), stdin=buf.getvalue())
    if proc.returncode != 0:
        if any(s.encode() in proc.stderr for s in _NO_ORIENTATION):
            return 0, 0.0
        raise failed("tesseract orientation detection", proc)
    return _parse_osd(proc.stdout.decode(errors="replace"))


def _parse_osd(out: str) -> tuple[int, float]:
    rotate = re.search(r"^Rotate:\s*(\d+)", out, re.MULTILINE)
    conf = re.search(r"^Orientation confidence:\s*([\d.]+)", out, re.MULTILINE)
    if not rotate or not conf:
        raise ExternalProgramError(f"tesseract orientation detection gave no answer: {out[:200]!r}")
    return int(rotate[1]), float(conf[1])


def ocr(image_path: Path, lang: str, timeout: float, dpi: int = 300) -> OcrResult:
    """OCR one page image once, returning word boxes (TSV) and a searchable PDF page."""
    version()
    with tempfile.TemporaryDirectory(prefix="tess-", dir=image_path.parent) as tmp:
        base = Path(tmp) / "out"
        cmd = ["tesseract", str(image_path), str(base), "--dpi", str(dpi), "-l", lang, "tsv", "pdf"]
        proc = run(cmd, "tesseract OCR", timeout, _env())
        tsv, pdf = base.with_suffix(".tsv"), base.with_suffix(".pdf")
        if proc.returncode != 0 or not tsv.exists() or not pdf.exists():
            raise failed("tesseract OCR", proc)
        return OcrResult(parse_tsv(tsv.read_text("utf-8", errors="replace")), pdf.read_bytes())


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


@cache
def available_languages() -> tuple[str, ...]:
    """Languages tesseract has data for (asked once per process)."""
    proc = run(["tesseract", "--list-langs"], "tesseract --list-langs", 30, _env())
    if proc.returncode != 0:
        raise failed("tesseract --list-langs", proc)
    lines = proc.stdout.decode(errors="replace").splitlines()
    return tuple(line.strip() for line in lines[1:] if line.strip())
