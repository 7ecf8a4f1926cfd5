"""The reading copy of a DI: a PDF laid out like the official document, then its attachments.

Text comes from the XML, so every DI page's text and line boxes are known exactly here
and no page of the DI is ever OCR'd. PDF attachments follow page for page; image
attachments become pages of their own, which the ordinary page step OCRs. One function,
:func:`render_reading_copy`, makes the file, so an archival step (PDF/A) can wrap it.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
from PIL import Image

from pipeline.dates import to_roc
from pipeline.di.model import DiDocument, Item, SignOff
from pipeline.errors import ConfigError, CorruptFile
from pipeline.pages import PageResult

if TYPE_CHECKING:  # fpdf2 takes 0.3 s to import: every command paid it, only rendering needs it
    from fpdf import FPDF

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
LEFT, RIGHT, TOP, BOTTOM = 25.0, 20.0, 20.0, 22.0
BODY_PT, SMALL_PT, TITLE_PT = 14.0, 10.5, 20.0
LINE = 1.55  # line height as a multiple of the font size
FACE = "Noto Serif CJK TC"
#: the page source of DI pages: their text is the XML's, not OCR's nor a text layer's
SOURCE = "di"
_FONT_GLOBS = ("/usr/share/fonts/**/NotoSerifCJK-{w}.ttc",
               "/usr/share/fonts/**/NotoSansCJK-{w}.ttc")


@dataclass(frozen=True)
class Attachment:
    """A file of the package shown after the DI (a PDF or an image)."""

    name: str
    path: Path
    media_type: str


@dataclass(frozen=True)
class Rendition:
    """The reading copy and the exact text of its DI pages (the first ``len(pages)``)."""

    path: Path
    pages: list[PageResult]


@dataclass(frozen=True)
class _Line:
    text: str
    size: float
    indent: float = 0.0
    hang: float = 0.0  # continuation lines start this much further right
    align: str = "L"
    gap: float = 0.0  # extra space before, mm


def render_reading_copy(
    di: DiDocument, sign_offs: Sequence[SignOff], attachments: Sequence[Attachment], out: Path,
    dpi: int = 300,
) -> Rendition:
    """Write the reading copy to ``out``: the DI's pages, a sign-off page, the attachments."""
    pdf = _new_pdf(di)
    lines = [*_document_lines(di), *_sign_off_lines(sign_offs)]
    placed = _place(pdf, lines)
    pages = [_page_result(n, rows, dpi) for n, rows in enumerate(placed, 1)]
    for att in attachments:
        if att.media_type.startswith("image/"):
            _image_page(pdf, att)
    body = out.with_suffix(".body.pdf")
    pdf.output(str(body))
    _append_pdfs(body, [a for a in attachments if a.media_type == "application/pdf"], out)
    body.unlink()
    return Rendition(out, pages)


@lru_cache
def _font(weight: str) -> tuple[str, int]:
    """The Traditional Chinese face of Noto CJK (fonts-noto-cjk) and its index in the .ttc."""
    from fontTools.ttLib import TTCollection

    for pattern in _FONT_GLOBS:
        for path in sorted(glob.glob(pattern.format(w=weight), recursive=True)):
            faces = TTCollection(path, lazy=True).fonts
            for index, face in enumerate(faces):
                if face["name"].getDebugName(1).endswith("CJK TC"):
                    return path, index
    raise ConfigError("找不到 Noto CJK TC 字型（請安裝 fonts-noto-cjk）；font not found")


def _new_pdf(di: DiDocument) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(LEFT, TOP, RIGHT)
    when = di.issued or datetime(2000, 1, 1).date()
    pdf.set_creation_date(datetime(when.year, when.month, when.day, tzinfo=UTC))
    pdf.set_title(di.subject or di.kind)
    pdf.set_author(di.agency or "")
    pdf.set_creator("records pipeline DI rendition")
    # one face: each face costs seconds to load and subset (a 20 MB collection)
    path, index = _font("Regular")
    pdf.add_font("tc", "", path, collection_font_number=index)
    return pdf


def _document_lines(di: DiDocument) -> Iterator[_Line]:
    if di.file_number or di.retention:
        yield _Line(f"檔號：{di.file_number or ''}", SMALL_PT)
        yield _Line(f"保存年限：{di.retention or ''}", SMALL_PT)
    if di.kind in ("簽", "便簽"):
        yield from _memo_head(di)
    else:
        yield _Line(f"{di.agency or ''}　{di.kind}", TITLE_PT, align="C", gap=4)
        yield from _letter_head(di)
    yield from _labelled("主旨：", di.subject, BODY_PT, gap=3)
    for label, text in di.extra:
        if label != "開會事由":
            yield from _labelled(f"{label}：", text, BODY_PT)
    for section in di.sections:
        if section.text:
            yield from _labelled(section.name, section.text, BODY_PT, gap=2)
        else:
            yield _Line(section.name, BODY_PT, gap=2)
        for item in section.items:
            yield from _item(item, 0.0)
    yield from _tail(di)


def _memo_head(di: DiDocument) -> Iterator[_Line]:
    yield _Line(f"簽　於{di.unit or di.agency or ''}", TITLE_PT, gap=4)
    if di.issued:
        yield _Line(to_roc(di.issued), SMALL_PT, indent=60)
    for label, value in (("文號：", di.doc_number), ("速別：", di.urgency),
                         ("密等及解密條件或保密期限：", _secrecy(di)),
                         ("附件：", di.attachment_text)):
        if value:
            yield from _labelled(label, value, SMALL_PT)


def _letter_head(di: DiDocument) -> Iterator[_Line]:
    for text in ([f"地址：{di.address}"] if di.address else []) + di.contacts:
        yield _Line(text, SMALL_PT, indent=95)
    yield from _labelled("受文者：", "、".join(di.recipients) or None, BODY_PT, gap=2)
    yield from _labelled("發文日期：", to_roc(di.issued) if di.issued else None, SMALL_PT)
    yield from _labelled("發文字號：", di.doc_number, SMALL_PT)
    yield from _labelled("速別：", di.urgency, SMALL_PT)
    yield from _labelled("密等及解密條件或保密期限：", _secrecy(di) or "普通", SMALL_PT)
    yield from _labelled("附件：", di.attachment_text, SMALL_PT)


def _secrecy(di: DiDocument) -> str | None:
    parts = [p for p in (di.classification, di.declassify) if p]
    return "（".join(parts) + ("）" if len(parts) == 2 else "") if parts else None


def _tail(di: DiDocument) -> Iterator[_Line]:
    yield from _labelled("正本：", "、".join(di.originals) or None, SMALL_PT, gap=3)
    yield from _labelled("副本：", "、".join(di.copies) or None, SMALL_PT)
    if di.signature:
        yield _Line(di.signature, BODY_PT, indent=70, gap=8)


def _item(item: Item, depth: float) -> Iterator[_Line]:
    yield _Line(f"{item.number}{item.text}", BODY_PT, indent=8 + depth,
                hang=_width_guess(item.number, BODY_PT))
    for child in item.children:
        yield from _item(child, depth + 8)


def _labelled(label: str, value: str | None, size: float, gap: float = 0.0) -> Iterator[_Line]:
    if value:
        yield _Line(f"{label}{value}", size, hang=_width_guess(label, size), gap=gap)


def _width_guess(text: str, size: float) -> float:
    """Width in mm of a label: CJK characters are one em wide, others half."""
    em = size * 25.4 / 72
    return sum(em if ord(c) > 0x2E7F else em / 2 for c in text)


def _sign_off_lines(sign_offs: Sequence[SignOff]) -> Iterator[_Line]:
    if not sign_offs:
        return
    yield _Line("簽核紀錄（線上簽核）", BODY_PT, gap=10)
    for s in sign_offs:
        when = _roc_minute(s.signed_at)
        who = "　".join(p for p in (s.unit, s.title, s.signer) if p)
        text = f"{s.seq}. {when}　{who}　{s.action or ''}"
        yield _Line(text + (f"：{s.opinion}" if s.opinion else ""), SMALL_PT, indent=4,
                    hang=_width_guess(f"{s.seq}. ", SMALL_PT))


def _roc_minute(at: datetime | None) -> str:
    if at is None:
        return ""
    return f"{at.year - 1911}/{at.month:02d}/{at.day:02d} {at.hour:02d}:{at.minute:02d}"


# ── layout ───────────────────────────────────────────────────────────────────────

Placed = tuple[str, float, float, float, float, bool]  # text, x, y, w, h (mm), continued


def _place(pdf: FPDF, lines: Sequence[_Line]) -> list[list[Placed]]:
    """Draw the lines, wrapping and breaking pages; the drawn rows of each page."""
    pages: list[list[Placed]] = []
    y = PAGE_H  # forces the first page
    for line in lines:
        pdf.set_font("tc", "", line.size)
        height = line.size * 25.4 / 72 * LINE
        x0 = LEFT + line.indent
        for i, row in enumerate(_wrap(pdf, line, PAGE_W - RIGHT - x0)):
            y += line.gap if i == 0 else 0.0
            if y + height > PAGE_H - BOTTOM:
                pdf.add_page()
                pages.append([])
                y = TOP
            x = x0 + (line.hang if i else 0.0)
            width = pdf.get_string_width(row)
            if line.align == "C":
                x = (PAGE_W - width) / 2
            pdf.text(x, y + line.size * 25.4 / 72, row)
            pages[-1].append((row, x, y, width, height, i > 0))
            y += height
    _footers(pdf, len(pages))
    return pages


def _wrap(pdf: FPDF, line: _Line, width: float) -> list[str]:
    rows, current, limit = [], "", width
    for ch in line.text:
        if current and pdf.get_string_width(current + ch) > limit:
            rows.append(current)
            current, limit = "", width - line.hang
        current += ch
    return [*rows, current] if current else rows


def _footers(pdf: FPDF, total: int) -> None:
    """第n頁，共N頁 at the foot of every DI page (drawn, kept out of the page text)."""
    pdf.set_font("tc", "", SMALL_PT)
    for n in range(1, total + 1):
        pdf.page = n
        label = f"第{n}頁，共{total}頁"
        pdf.text((PAGE_W - pdf.get_string_width(label)) / 2, PAGE_H - 12, label)
    pdf.page = total


def _page_result(number: int, rows: list[Placed], dpi: int) -> PageResult:
    px = dpi / 25.4
    words: list[list[Any]] = [
        [text, round(x * px), round(y * px), round(w * px), round(h * px), 100.0]
        for text, x, y, w, h, _ in rows
    ]
    # one text line per paragraph: a phrase wrapped on the page is still found by search
    text = "".join(("" if cont or i == 0 else "\n") + row for i, (row, *_, cont) in enumerate(rows))
    return PageResult(number=number, text=text, source=SOURCE, confidence=None, rotation=0,
                      skew=0.0, width=round(PAGE_W * px), height=round(PAGE_H * px), dpi=dpi,
                      words=words)


def _image_page(pdf: FPDF, att: Attachment) -> None:
    """An image attachment on a page of its own, fitted inside the margins."""
    try:
        with Image.open(att.path) as img:
            img.load()
            frame = img.convert("RGB") if img.mode not in ("1", "L", "RGB") else img.copy()
    except (OSError, ValueError) as exc:
        raise CorruptFile(f"附件影像無法解讀：{att.name}；cannot decode image ({exc})") from exc
    pdf.add_page()
    box_w, box_h = PAGE_W - LEFT - RIGHT, PAGE_H - TOP - BOTTOM
    scale = min(box_w / frame.width, box_h / frame.height)
    pdf.image(frame, x=LEFT, y=TOP, w=frame.width * scale, h=frame.height * scale)


def _append_pdfs(body: Path, attachments: Sequence[Attachment], out: Path) -> None:
    with ExitStack() as stack:
        pdf = stack.enter_context(pikepdf.open(body))
        for att in attachments:
            try:
                extra = stack.enter_context(pikepdf.open(att.path))
            except pikepdf.PdfError as exc:
                raise CorruptFile(
                    f"附件 PDF 損毀：{att.name}；corrupt PDF attachment ({exc})"
                ) from exc
            pdf.pages.extend(extra.pages)
        pdf.save(out, deterministic_id=True)
