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

from pipeline._exec import child_env, failed, run
from pipeline.errors import ExternalProgramError
from pipeline.text import Word as Word

#: page segmentation mode of a reading: one column of text of variable sizes. Tesseract's
#: automatic layout (``--psm 3``, bare Tesseract's default; ``--psm 1`` adds orientation
#: detection) split the hanging numerals of numbered lists into blocks of their own and
#: dropped them, and read a form's label and its value as separate blocks. On the prepared
#: pages of real_scans/ (CER, psm 1 / 3 / 4): funsd_train 0.269 / 0.269 / 0.204, sroie_dev
#: 0.173 / 0.173 / 0.168, zh_dev 0.027 / 0.038 / 0.010 (01_*_rot0: 0.068 / 0.047 / 0.010),
#: sample_scans images 0.043 / 0.043 / 0.031; no folder read worse. It costs about 10 %
#: more than ``--psm 3`` and 25 % less than ``--psm 1``.
LAYOUT = "4"
#: automatic layout, for a second opinion on a doubtful reading of an upright page: on a
#: sample page made a noisy 100-dpi fax, one column read 0.475 (confidence 60), automatic
#: layout 0.313 (confidence 71): one column took noisy lines for English
PLAIN_LAYOUT = "3"
#: no line is read a second time inverted (Tesseract 5 tries lines whose mean confidence is
#: below ``invert_threshold``, 0.7 by default; 4.1 knows the older switch only)
_NO_INVERT = ("-c", "tessedit_do_invert=0")
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


def ocr(
    image_path: Path, lang: str, timeout: float, dpi: int = 300, layout: str = LAYOUT,
    *, invert: bool = True,
) -> OcrResult:
    """OCR one page image once, as it lies: word boxes (TSV) and a searchable PDF page.

    ``invert=False`` skips Tesseract's second reading of each low-confidence line as
    white on black, for pages with no dark area to hold such text
    (:func:`pipeline.imaging.dark_panels`).
    """
    version()
    with tempfile.TemporaryDirectory(prefix="tess-", dir=image_path.parent) as tmp:
        base = Path(tmp) / "out"
        cmd = ["tesseract", str(image_path), str(base), "--dpi", str(dpi),
               "--psm", layout, "-l", lang, *([] if invert else _NO_INVERT), "tsv", "pdf"]
        proc = run(cmd, "tesseract OCR", timeout, _env())
        tsv, pdf = base.with_suffix(".tsv"), base.with_suffix(".pdf")
        if proc.returncode != 0 or not (tsv.exists() and pdf.exists()):
            raise failed("tesseract OCR", proc)
        return OcrResult(parse_tsv(tsv.read_text("utf-8", errors="replace")), pdf.read_bytes())


#: what tesseract says when a page has too little text to tell its orientation
_NO_ORIENTATION = ("Too few characters",)
_ROTATE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)


def orientation(image_path: Path, timeout: float, dpi: int = 300) -> int:
    """Clockwise turn (0/90/180/270) that makes the page upright, by ``--psm 0``.

    0 when the page has too little text to tell. Asked only of doubtful readings: the
    turn is a hint that a second reading confirms or not (on real_scans/ pages turned by
    us it was right for 48 of 51, and for all 9 turned pages of zh_dev, some at an
    orientation confidence under 2).
    """
    version()
    # ``-l osd``: orientation needs only the OSD model; without it the default language is
    # loaded too (0.1 s a call), for the same answer (the same turn and confidence on all
    # 41 pages of real_scans/ funsd_train and sroie_dev)
    cmd = ["tesseract", str(image_path), "-", "--dpi", str(dpi), "--psm", "0", "-l", "osd",
           "-c", "min_characters_to_try=20"]
    proc = run(cmd, "tesseract orientation detection", timeout, _env())
    said = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    if (found := _ROTATE.search(said)) is not None:
        return int(found[1]) % 360
    if any(reason in said for reason in _NO_ORIENTATION):
        return 0
    raise failed("tesseract orientation detection", proc)


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
