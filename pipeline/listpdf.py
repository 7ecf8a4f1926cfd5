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

from fpdf import FPDF

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


class _Doc(FPDF):
    def __init__(self, sheet: Sheet) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.sheet = sheet
        path, index = _font()
        self.add_font(_FONT, fname=str(path), collection_font_number=index)
        self.set_auto_page_break(False)
        self.set_margins(10, 10, 10)
        self.alias_nb_pages("{nb}")

    def header(self) -> None:
        self.set_font(_FONT, size=14)
        self.cell(0, 8, self.sheet.title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, size=9)
        meta = "　".join([*self.sheet.meta, f"第 {self.page_no()} 頁／共 {{nb}} 頁"])
        self.cell(0, 6, meta, align="C", new_x="LMARGIN", new_y="NEXT")
        self._heading_row()

    def _heading_row(self) -> None:
        self.set_font(_FONT, size=_SIZE)
        self.set_fill_color(235, 235, 235)
        height = max(self._lines(c.heading, c.width) for c in self.sheet.columns) * _LINE
        self._row([c.heading for c in self.sheet.columns], height, fill=True)

    def _lines(self, text: str, width: float) -> int:
        lines = self.multi_cell(width, _LINE, text, dry_run=True, output="LINES")
        return max(1, len(lines) if isinstance(lines, list) else 1)

    def _row(self, cells: list[str], height: float, fill: bool = False) -> None:
        x, y = self.l_margin, self.get_y()
        for column, text in zip(self.sheet.columns, cells, strict=True):
            self.rect(x, y, column.width, height, style="DF" if fill else "D")
            self.set_xy(x, y)
            self.multi_cell(column.width, _LINE, text, border=0, align="L")
            x += column.width
        self.set_xy(self.l_margin, y + height)

    def body(self) -> list[int]:
        """Print the rows; the page each row landed on."""
        pages = []
        for row in self.sheet.rows:
            cells = ["" if row.get(c.key) is None else str(row[c.key]) for c in self.sheet.columns]
            height = max(self._lines(t, c.width) for t, c in zip(cells, self.sheet.columns,
                                                                 strict=True)) * _LINE
            if self.get_y() + height > self.h - self.b_margin:
                self.add_page()
            pages.append(self.page_no())
            self._row(cells, height)
        return pages

    def signatures(self) -> None:
        needed = 8 + 6 * len(self.sheet.footer) + 26
        if self.get_y() + needed > self.h - self.b_margin:
            self.add_page()
        self.ln(4)
        self.set_font(_FONT, size=9)
        for line in self.sheet.footer:
            self.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        boxes = self.sheet.signatures
        width = (self.w - self.l_margin - self.r_margin) / max(1, len(boxes))
        y = self.get_y() + 2
        for i, label in enumerate(boxes):
            x = self.l_margin + i * width
            self.rect(x, y, width, 24)
            self.set_xy(x + 2, y + 1)
            self.cell(width - 4, 5, label)


def render(sheet: Sheet) -> tuple[bytes, list[int]]:
    """The PDF and, per row, the page it is printed on."""
    doc = _Doc(sheet)
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
