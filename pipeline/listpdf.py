"""Printable lists (銷毀目錄, 移轉目錄) as PDF: A4 landscape, CJK font embedded, signatures.

fpdf2 lays the table out row by row so that each row's page (頁次) is known and can be
written into the CSV too; the header row repeats on every page, every page says
``第 n 頁／共 N 頁``, and the signature blocks close the last page. The font is Noto Sans
CJK TC from Debian's ``fonts-noto-cjk`` (scripts/setup installs it), embedded as a subset.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_NAME = "Noto Sans CJK TC"
_FONT = "cjk"
_LINE = 4.2  # mm per text line at 8 pt
_SIZE = 8


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: float  # mm


@dataclass
class Sheet:
    """What to print: a title, lines under it, the table, and the signature boxes."""

    title: str
    meta: list[str]
    columns: list[Column]
    rows: list[dict[str, Any]]
    signatures: list[str] = field(default_factory=list)
    #: facts printed above the signature boxes (e.g. the approval letter)
    footer: list[str] = field(default_factory=list)


def _font() -> tuple[Path, int]:
    """The Traditional Chinese face of Noto Sans CJK (file and index in the collection)."""
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}\t%{index}", f"{FONT_NAME}:style=Regular"],
                             capture_output=True, text=True, check=False, timeout=30).stdout
        path, _, index = out.partition("\t")
        if path.endswith(".ttc") and "NotoSansCJK" in path and index.isdigit():
            return Path(path), int(index)
    if FONT_FILE.is_file():
        return FONT_FILE, 3  # TC is the fourth face of Debian's collection
    raise ConfigError(f"the CJK font {FONT_NAME} is missing: install fonts-noto-cjk "
                      "(scripts/setup does)")


def render(sheet: Sheet) -> tuple[bytes, list[int]]:
    """The PDF and, per row, the page it is printed on."""
    from pipeline.listdoc import ListDoc  # fpdf2 costs 0.3 s to import; only lists need it

    doc = ListDoc(sheet)
    doc.add_page()
    pages = doc.body()
    doc.signatures()
    return bytes(doc.output()), pages


def write_csv(rows: list[dict[str, Any]], columns: Sequence[tuple[str, str]], path: Path) -> None:
    """The rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([heading for _, heading in columns])
        writer.writerows([[row[key] for key, _ in columns] for row in rows])


def export(sheet: Sheet, columns: Sequence[tuple[str, str]], pdf_path: Path | None,
           csv_path: Path | None) -> None:
    """Write the PDF and/or the CSV; each row's ``page`` (頁次) is where the PDF prints it."""
    pdf, pages = render(sheet)
    for row, page in zip(sheet.rows, pages, strict=True):
        row["page"] = page
    if pdf_path:
        pdf_path.write_bytes(pdf)
    if csv_path:
        write_csv(sheet.rows, columns, csv_path)
