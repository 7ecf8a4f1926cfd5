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
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline._exec import child_env, failed, run
from pipeline.errors import ExternalProgramError
from pipeline.text import Word as Word

#: page segmentation mode of a reading: automatic layout with orientation detection
LAYOUT = "1"
#: ... and without it, for a second opinion on a doubtful reading
PLAIN_LAYOUT = "3"
#: oldest release with the LSTM engine, TSV output and ``--dpi``
MIN_VERSION = (4, 1)


@dataclass(frozen=True)
class OcrResult:
    """Words plus the single-page searchable PDF tesseract rendered for the image."""

    words: list[Word]
    pdf: bytes
    #: clockwise turn (0/90/180/270) that makes the page upright, as the reading's own
    #: orientation detection found it: the angle most of its text lines carry
    turn: int = 0


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


def ocr(
    image_path: Path, lang: str, timeout: float, dpi: int = 300, layout: str | None = None
) -> OcrResult:
    """OCR one page image once: word boxes (TSV), a searchable PDF page, and its turn.

    ``--psm 1`` is automatic layout with Tesseract's orientation detection inside the
    reading: a page on its side or upside down is read in its own direction, and its
    hOCR lines carry the angle. On zh_dev it found all nine turned pages, two of them
    ones a separate ``--psm 0`` run was unsure of (03_*_rot270 at 0.8, 02_*_rot90 at
    1.7), and upright pages cost no second Tesseract run (the ``--psm 0`` run took
    40% of the reading's time).
    """
    version()
    with tempfile.TemporaryDirectory(prefix="tess-", dir=image_path.parent) as tmp:
        base = Path(tmp) / "out"
        cmd = ["tesseract", str(image_path), str(base), "--dpi", str(dpi),
               "--psm", layout or LAYOUT, "-l", lang, "tsv", "hocr", "pdf"]
        proc = run(cmd, "tesseract OCR", timeout, _env())
        tsv, hocr, pdf = (base.with_suffix(s) for s in (".tsv", ".hocr", ".pdf"))
        if proc.returncode != 0 or not all(p.exists() for p in (tsv, hocr, pdf)):
            raise failed("tesseract OCR", proc)
        words = parse_tsv(tsv.read_text("utf-8", errors="replace"))
        return OcrResult(words, pdf.read_bytes(), page_turn(hocr.read_text("utf-8", "replace")))


_LINE = re.compile(r"class='ocr_(?:line|caption|header|textfloat)'[^>]*title=\"([^\"]*)\"")
_ANGLE = re.compile(r"textangle (\d+)")


def page_turn(hocr: str) -> int:
    """The angle most text lines of an hOCR page carry (0 when most carry none).

    An upright page has a few lines marked 90 (a margin note, a stamp, a table's
    header read up and down: 1-3 of 9-35 lines on the real faxes and receipts); a
    turned page nearly all (25 of 26-28 lines on zh_dev's).
    """
    angles = [int(m[1]) if (m := _ANGLE.search(t)) else 0 for t in _LINE.findall(hocr)]
    if not angles:
        return 0
    angle, count = Counter(angles).most_common(1)[0]
    return angle % 360 if count * 2 > len(angles) else 0


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
