"""The fpdf2 layout of a printable list (:mod:`pipeline.listpdf`), imported only to render one."""

from __future__ import annotations

from fpdf import FPDF

from pipeline.listpdf import _FONT, _LINE, _SIZE, Sheet, _font


class ListDoc(FPDF):
    """One list sheet: title and page numbers on every page, the table, the signatures."""

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
