#!/usr/bin/env python3
"""Generate the committed sample scan batch in ``sample_scans/`` and its ground truth.

The batch imitates what the Secretariat's scanning station produces: A4 pages at
300 dpi, grayscale or bilevel, as PNG, JPEG, image-only PDF and CCITT G4 TIFF, with
skew, rotation, speckle, blur and uneven paper.  One PDF is born digital (real
text layer).  Everything is seeded, so two runs give identical files.

Run from the repository root::

    .venv/bin/python scripts/make_samples.py            # writes sample_scans/
    .venv/bin/python scripts/make_samples.py --out DIR  # writes elsewhere

Needs Pillow, numpy, fpdf2 (born-digital PDF) and the Debian fonts-noto-cjk fonts.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_scans"
BATCH_SEED = 20240603
DPI = 300
PAGE_W, PAGE_H = 2480, 3508  # A4 at 300 dpi
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 236, 236, 250, 330
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
BODY = 50  # px, about 12 pt at 300 dpi
SMALL = 42
TABLE = 44
INK = 20
LINE_FACTOR = 1.6
FAMILIES = {"serif": "Noto Serif CJK TC", "sans": "Noto Sans CJK TC"}
NUMERALS = "一二三四五六七八九十"
CLOSING = set("，。、；：！？）」』》,.;:!?)%")
TOKEN_RE = re.compile(r"[\x21-\x7e]+|\s+|.")
SCANNED_AT = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)  # fixed: keeps output byte-stable
GENERATED_DIRS = ("box-0113-01", "box-0113-02", "box-0113-03", "digital")

# --------------------------------------------------------------------------- fonts


def face_index(path: str, family: str) -> int | None:
    """Index of the face named ``family`` inside a font collection (.ttc)."""
    for index in range(16):
        try:
            name = ImageFont.truetype(path, 10, index=index).getname()[0]
        except OSError:
            return None
        if name == family:
            return index
    return None


@lru_cache
def font_file(style: str, bold: bool) -> tuple[str, int]:
    """Path and face index of the Traditional Chinese Noto face, found with fc-list."""
    family = FAMILIES[style]
    query = f":family={family}:style={'Bold' if bold else 'Regular'}"
    out = subprocess.run(["fc-list", query, "file"], capture_output=True, text=True, check=True)
    for path in sorted({line.split(":")[0].strip() for line in out.stdout.splitlines()}):
        index = face_index(path, family) if path else None
        if index is not None:
            return path, index
    raise RuntimeError(f"font {family} not found; install fonts-noto-cjk")


@lru_cache
def font(style: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = font_file(style, bold)
    return ImageFont.truetype(path, size, index=index)


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the text width; ``prefix`` hangs (主旨：, 一、)."""

    text: str
    prefix: str = ""
    indent: int = 0
    size: int = BODY
    bold: bool = False
    align: str = "left"
    gap: int = 0


@dataclass(frozen=True)
class Table:
    """A ruled table; every cell must fit on one line.  Widths are fractions."""

    widths: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]
    size: int = TABLE
    header: bool = True
    left: float = 0.0
    gap: int = 30
    row_h: int = 0


@dataclass(frozen=True)
class Gap:
    px: int


@dataclass(frozen=True)
class Seal:
    """An official seal outline (no text), right side of the page."""

    size: int = 300


@dataclass(frozen=True)
class Break:
    pass


Block = Text | Table | Gap | Seal | Break

# --------------------------------------------------------------------------- layout


@dataclass
class Line:
    x: int
    y: int
    text: str
    size: int
    bold: bool


@dataclass
class Row:
    y: int
    h: int
    xs: list[int]
    cells: tuple[str, ...]
    size: int
    bold: bool


@dataclass
class Box:
    x: int
    y: int
    size: int


Item = Line | Row | Box


def line_h(size: int) -> int:
    return int(size * LINE_FACTOR)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy wrap: CJK per character, ASCII per word, no line starting with ，。."""
    lines: list[str] = []
    cur = ""
    for tok in TOKEN_RE.findall(text):
        too_long = fnt.getlength((cur + tok).rstrip()) > width
        if cur.strip() and too_long and tok[0] not in CLOSING and not tok.isspace():
            lines.append(cur.rstrip())
            cur = tok
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return [ln.lstrip() for ln in lines]


class Layout:
    """Flows blocks onto A4 pages; coordinates are pixels at 300 dpi."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.pages: list[list[Item]] = [[]]
        self.y = MARGIN_T
        self.header: Table | None = None

    def place(self, h: int) -> int:
        if self.y + h > PAGE_H - MARGIN_B and self.pages[-1]:
            self.new_page()
        y = self.y
        self.y += h
        return y

    def new_page(self) -> None:
        self.pages.append([])
        self.y = MARGIN_T
        if self.header is not None:
            self.row(self.header, self.header.rows[0], bold=True)

    def add(self, block: Block) -> None:
        if isinstance(block, Text):
            self.text(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Gap):
            self.y += block.px
        elif isinstance(block, Seal):
            y = self.place(block.size + 40)
            self.pages[-1].append(Box(PAGE_W - MARGIN_R - block.size - 120, y, block.size))
        else:
            self.new_page()

    def text(self, b: Text) -> None:
        fnt = font(self.style, b.size, b.bold)
        pre_w = int(fnt.getlength(b.prefix))
        lines = wrap(b.text, fnt, TEXT_W - b.indent - pre_w)
        for i, ln in enumerate(lines or [""]):
            content = b.prefix + ln if i == 0 else ln
            x = MARGIN_L + b.indent + (0 if i == 0 else pre_w)
            x = self.align_x(content, fnt, b.align, x)
            y = self.place(line_h(b.size))
            self.pages[-1].append(Line(x, y, content, b.size, b.bold))
        self.y += b.gap

    @staticmethod
    def align_x(text: str, fnt: ImageFont.FreeTypeFont, align: str, x: int) -> int:
        width = int(fnt.getlength(text))
        if align == "center":
            return MARGIN_L + (TEXT_W - width) // 2
        if align == "right":
            return PAGE_W - MARGIN_R - width
        return x

    def table(self, t: Table) -> None:
        self.header = t if t.header else None
        for i, cells in enumerate(t.rows):
            self.row(t, cells, bold=t.header and i == 0)
        self.header = None
        self.y += t.gap

    def row(self, t: Table, cells: tuple[str, ...], bold: bool) -> None:
        x0 = MARGIN_L + int(TEXT_W * t.left)
        xs = [x0 + int(TEXT_W * sum(t.widths[:i])) for i in range(len(t.widths) + 1)]
        fnt = font(self.style, t.size, bold)
        for cell, a, b in zip(cells, xs[:-1], xs[1:], strict=True):
            if fnt.getlength(cell) > b - a - 2 * cell_pad(t.size):
                raise ValueError(f"table cell too wide: {cell!r}")
        h = t.row_h or int(t.size * 1.9)
        y = self.place(h)
        self.pages[-1].append(Row(y, h, xs, cells, t.size, bold))


def cell_pad(size: int) -> int:
    return size // 3


def footer(page: int, total: int, style: str) -> Line:
    text = f"第{page}頁，共{total}頁"
    x = MARGIN_L + (TEXT_W - int(font(style, SMALL).getlength(text))) // 2
    return Line(x, PAGE_H - MARGIN_B + 110, text, SMALL, False)


def layout(blocks: Sequence[Block], style: str) -> list[list[Item]]:
    lay = Layout(style)
    for block in blocks:
        lay.add(block)
    pages = lay.pages
    if len(pages) > 1:
        for n, page in enumerate(pages, 1):
            page.append(footer(n, len(pages), style))
    return pages


def item_text(item: Item) -> str:
    if isinstance(item, Line):
        return item.text
    if isinstance(item, Row):
        return " ".join(c for c in item.cells if c)
    return ""


def page_text(items: Iterable[Item]) -> str:
    return "\n".join(t for t in map(item_text, items) if t)


# --------------------------------------------------------------------------- raster


def render(items: Sequence[Item], style: str) -> Image.Image:
    img = Image.new("L", (PAGE_W, PAGE_H), 255)
    draw = ImageDraw.Draw(img)
    for item in items:
        if isinstance(item, Line):
            fnt = font(style, item.size, item.bold)
            draw.text((item.x, item.y), item.text, font=fnt, fill=INK)
        elif isinstance(item, Row):
            draw_row(draw, item, style)
        else:
            draw_seal(draw, item)
    return img


def draw_row(draw: ImageDraw.ImageDraw, row: Row, style: str) -> None:
    fnt = font(style, row.size, row.bold)
    for cell, a, b in zip(row.cells, row.xs[:-1], row.xs[1:], strict=True):
        draw.rectangle((a, row.y, b, row.y + row.h), outline=INK, width=3)
        draw.text(
            (a + cell_pad(row.size), row.y + row.h // 2), cell, font=fnt, fill=INK, anchor="lm"
        )


def draw_seal(draw: ImageDraw.ImageDraw, box: Box) -> None:
    x, y, s = box.x, box.y, box.size
    draw.rectangle((x, y, x + s, y + s), outline=110, width=12)
    draw.rectangle((x + 26, y + 26, x + s - 26, y + s - 26), outline=140, width=4)


@dataclass(frozen=True)
class Fx:
    """Scanner artefacts for one page.  ``skew`` is counter-clockwise degrees;
    ``rotation`` is how far the page was turned clockwise before scanning."""

    skew: float = 0.0
    rotation: int = 0
    blur: float = 0.0
    speckle: int = 0
    uneven: float = 0.0
    paper: int = 248
    bilevel: bool = False


def uneven_field(rng: np.random.Generator, amount: float) -> np.ndarray:
    coarse = rng.uniform(-1.0, 1.0, (3, 3)).astype(np.float32)
    smooth = Image.fromarray(coarse, mode="F").resize((PAGE_W, PAGE_H), Image.Resampling.BICUBIC)
    return np.asarray(smooth) * amount


def add_speckle(arr: np.ndarray, count: int, rng: np.random.Generator) -> None:
    ys = rng.integers(0, arr.shape[0] - 3, count)
    xs = rng.integers(0, arr.shape[1] - 3, count)
    sizes = rng.integers(1, 4, count)
    for y, x, s in zip(ys, xs, sizes, strict=True):
        arr[y : y + s, x : x + s] = rng.integers(30, 120)


def scan(img: Image.Image, fx: Fx, rng: np.random.Generator) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32) * (fx.paper / 255.0)
    if fx.uneven:
        arr += uneven_field(rng, fx.uneven)
    page = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), mode="L")
    if fx.skew:
        page = page.rotate(fx.skew, Image.Resampling.BICUBIC, fillcolor=fx.paper)
    if fx.blur:
        page = page.filter(ImageFilter.GaussianBlur(fx.blur))
    if fx.speckle:
        arr = np.array(page)
        add_speckle(arr, fx.speckle, rng)
        page = Image.fromarray(arr, mode="L")
    if fx.bilevel:
        page = page.point(lambda v: 255 if v > 150 else 0, mode="1")
    return rotate(page, fx.rotation)


def rotate(page: Image.Image, clockwise: int) -> Image.Image:
    turns = {
        0: None,
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    method = turns[clockwise]
    return page if method is None else page.transpose(method)


# --------------------------------------------------------------------------- writers


def save_single(pages: list[Image.Image], path: Path, **opts: Any) -> None:
    if len(pages) != 1:
        raise ValueError(f"{path.name}: single-page format got {len(pages)} pages")
    pages[0].save(path, dpi=(DPI, DPI), **opts)


def save_pdf(pages: list[Image.Image], path: Path) -> None:
    stamp = SCANNED_AT.utctimetuple()
    pages[0].save(
        path,
        save_all=True,
        append_images=pages[1:],
        resolution=DPI,
        quality=80,
        title=path.stem,
        producer="make_samples.py",
        creationDate=stamp,
        modDate=stamp,
    )


def save_tiff_g4(pages: list[Image.Image], path: Path) -> None:
    if any(p.mode != "1" for p in pages):
        raise ValueError(f"{path.name}: G4 needs bilevel pages")
    pages[0].save(
        path, save_all=True, append_images=pages[1:], compression="group4", dpi=(DPI, DPI)
    )


def write_scanned(doc: Doc, pages: list[list[Item]], path: Path) -> None:
    rng = np.random.default_rng(zlib.crc32(doc.file.encode()) ^ BATCH_SEED)
    images = [scan(render(items, doc.style), doc.fx_for(i), rng) for i, items in enumerate(pages)]
    if doc.fmt == "png":
        save_single(images, path, optimize=True)
    elif doc.fmt == "jpeg":
        save_single(images, path, quality=80, optimize=True)
    elif doc.fmt == "pdf":
        save_pdf(images, path)
    elif doc.fmt == "tiff-g4":
        save_tiff_g4(images, path)
    else:
        raise ValueError(doc.fmt)


def write_born_digital(doc: Doc, pages: list[list[Item]], path: Path) -> None:
    """Vector PDF with a real text layer; units are 300-dpi pixels like the scans."""
    from fpdf import FPDF

    pdf = FPDF(unit=72 / DPI, format=(PAGE_W, PAGE_H))
    pdf.set_creation_date(datetime(2017, 8, 3, 9, 0, tzinfo=UTC))
    pdf.set_title("106年7月份節電報告 Energy Saving Report")
    pdf.set_author("臺南市政府秘書處總務科")
    for bold in (False, True):
        file, index = font_file(doc.style, bold)
        pdf.add_font("tc", "B" if bold else "", file, collection_font_number=index)
    pdf.set_auto_page_break(False)
    for items in pages:
        pdf.add_page()
        for item in items:
            pdf_item(pdf, item)
    pdf.output(str(path))


def pdf_item(pdf: Any, item: Item) -> None:
    pdf.set_line_width(3)
    if isinstance(item, Line):
        pdf.set_font("tc", "B" if item.bold else "", item.size * 72 / DPI)
        pdf.text(item.x, item.y + item.size * 1.16, item.text)
    elif isinstance(item, Row):
        pdf.set_font("tc", "B" if item.bold else "", item.size * 72 / DPI)
        for cell, a, b in zip(item.cells, item.xs[:-1], item.xs[1:], strict=True):
            pdf.rect(a, item.y, b - a, item.h)
            pdf.text(a + cell_pad(item.size), item.y + item.h / 2 + item.size * 0.38, cell)


# --------------------------------------------------------------------------- documents


@dataclass
class Doc:
    file: str
    kind: str
    fmt: str  # png | jpeg | pdf | tiff-g4 | born-digital
    pages: int
    blocks: list[Block]
    fields: dict[str, Any]
    phrases: list[str]
    fx: list[Fx] = field(default_factory=list)
    style: str = "serif"
    manifest: tuple[str, str, str] | None = None  # division, operator, document_date

    def fx_for(self, index: int) -> Fx:
        return self.fx[index] if index < len(self.fx) else Fx()


@dataclass(frozen=True)
class Letter:
    file_no: str
    retention: str
    contact: str
    phone: str
    email: str
    recipient: str
    date: str
    number: str
    urgency: str = "普通件"
    secrecy: str = "普通"
    attach: str = "無"


def letter_head(m: Letter, title: str = "函") -> list[Block]:
    contact_x = 1100
    return [
        Text(f"檔號：{m.file_no}", size=SMALL),
        Text(f"保存年限：{m.retention}", size=SMALL, gap=20),
        Text(f"臺南市政府 {title}", size=84, bold=True, align="center", gap=30),
        Text("地址：70801臺南市安平區永華路2段6號", size=SMALL, indent=contact_x),
        Text(f"承辦人：{m.contact}", size=SMALL, indent=contact_x),
        Text(f"電話：{m.phone}", size=SMALL, indent=contact_x),
        Text(f"電子信箱：{m.email}", size=SMALL, indent=contact_x, gap=40),
        Text(f"受文者：{m.recipient}", gap=30),
        Text(f"發文日期：{m.date}"),
        Text(f"發文字號：{m.number}"),
        Text(f"速別：{m.urgency}"),
        Text(f"密等及解密條件或保密期限：{m.secrecy}"),
        Text(f"附件：{m.attach}", gap=40),
    ]


def numbered(items: Sequence[str], indent: int = BODY, arabic: bool = False) -> list[Block]:
    marks = [f"{i + 1}. " if arabic else f"{NUMERALS[i]}、" for i in range(len(items))]
    return [Text(t, prefix=mark, indent=indent) for mark, t in zip(marks, items, strict=True)]


def letter_body(subject: str, items: Sequence[str]) -> list[Block]:
    return [Text(subject, prefix="主旨：", gap=20), Text("說明："), *numbered(items), Gap(40)]


def letter_tail(original: str, copies: str) -> list[Block]:
    return [
        Text(f"正本：{original}"),
        Text(f"副本：{copies}", gap=60),
        Text("本案依分層負責規定授權業務主管決行", size=SMALL, align="right"),
        Seal(),
    ]


def letter_fields(m: Letter, subject: str) -> dict[str, Any]:
    return {
        "doc_number": m.number.removeprefix("發文字號："),
        "doc_date": roc_iso(m.date),
        "issuing_agency": "臺南市政府",
        "recipient": m.recipient,
        "subject": subject,
        "urgency": m.urgency,
        "classification": m.secrecy,
    }


def roc_iso(text: str) -> str:
    """中華民國113年5月20日 / 113年5月20日 / 113.05.20 -> 2024-05-20."""
    m = re.search(r"(\d{2,3})\s*[年./]\s*(\d{1,2})\s*[月./]\s*(\d{1,2})", text)
    if m is None:
        raise ValueError(text)
    y, mo, d = (int(g) for g in m.groups())
    return f"{y + 1911:04d}-{mo:02d}-{d:02d}"


# ----- official letters 函


def destruction_rows() -> tuple[tuple[str, ...], ...]:
    titles = [
        ("0201", "文書收發登記", "10年"),
        ("0203", "公文時效稽催", "5年"),
        ("0305", "辦公廳舍清潔委外", "10年"),
        ("0307", "公務車輛保養", "5年"),
        ("0402", "員工文康活動", "5年"),
        ("0408", "節約能源推動", "10年"),
        ("0502", "小額採購核銷", "10年"),
        ("0506", "印刷品採購", "10年"),
        ("0601", "檔案借調申請", "5年"),
        ("0604", "檔案清查作業", "15年"),
        ("0702", "會議室借用登記", "3年"),
        ("0705", "電話費核銷", "5年"),
        ("0801", "公務人員差旅", "10年"),
        ("0809", "志工服務紀錄", "5年"),
        ("0902", "市政宣導品採購", "10年"),
    ]
    rows: list[tuple[str, ...]] = [("項次", "年度", "分類號", "案名", "卷數", "保存年限")]
    for i in range(50):
        code, title, years = titles[(i * 7) % len(titles)]
        year = 88 + (i * 5) % 15
        rows.append((str(i + 1), f"{year:03d}", code, title, str(3 + (i * 11) % 40), years))
    return tuple(rows)


def doc_destruction() -> Doc:
    m = Letter(
        "113/060401/1",
        "30年",
        "陳怡君",
        "06-2991111分機8123",
        "sec-archives@mail.tainan.gov.tw",
        "本府各一級機關",
        "中華民國113年5月20日",
        "府秘檔字第1130098765號",
        attach="銷毀目錄摘要（如說明六）",
    )
    subject = (
        "檢送本府112年度屆滿保存年限檔案銷毀目錄摘要1份，請於113年6月14日前回復會辦意見，請查照。"
    )
    items = [
        "依據檔案法第12條第2項及機關檔案保存年限及銷毀辦法第7條規定辦理。",
        "本次擬銷毀檔案計1,284案、2,316卷，檔案起訖年度為民國88年至102年，"
        "保存年限為3年至15年，均已屆滿保存年限。",
        "各業務單位如認為部分檔案仍具參考價值而需延長保存年限者，請於銷毀目錄"
        "「延長保存年限」欄填註延長年數及理由，逾期未回復者視為同意銷毀。",
        "銷毀目錄經國家發展委員會檔案管理局審核同意後，由本處會同本府政風處監毀人員"
        "辦理銷毀，銷毀方式以碎紙後化製為再生紙漿為原則。",
        "銷毀執行前，本處將再次確認各案無訴訟、稽核或調查等暫停銷毀情形；"
        "如有上述情形，請另案通知本處檔案科。",
        "檢附銷毀目錄摘要如下：",
    ]
    contact = "聯絡窗口：本府秘書處檔案科陳怡君小姐，電話06-2991111分機8123。"
    blocks = [
        *letter_head(m),
        *letter_body(subject, items)[:-1],
        Table((0.09, 0.1, 0.13, 0.4, 0.1, 0.18), destruction_rows(), size=SMALL, row_h=76),
        Text(contact, prefix="七、", indent=BODY),
        Gap(40),
        *letter_tail("本府各一級機關", "本府政風處、本府秘書處檔案科"),
    ]
    fields = letter_fields(m, subject.removesuffix("，請查照。"))
    fx = [Fx(skew=0.8, blur=0.5, paper=245), Fx(skew=-1.5, uneven=10), Fx(skew=0.6, speckle=600)]
    return Doc(
        "box-0113-01/folder-01/scan-0001.pdf",
        "letter",
        "pdf",
        3,
        blocks,
        fields,
        ["再生紙漿", "聯絡窗口"],
        fx,
        manifest=("檔案科", "林佩蓉", "2024-05-20"),
    )


def doc_gift_letter() -> Doc:
    m = Letter(
        "112/020105/3",
        "10年",
        "黃思涵",
        "06-2991111分機8032",
        "sec-special@mail.tainan.gov.tw",
        "財團法人府城文教基金會",
        "中華民國112年4月14日",
        "府秘專字第1120045678號",
        attach="受贈財物收據1份",
    )
    subject = "貴基金會捐贈本府「府城古地圖複製畫」1幅，本府同意受贈並敬表謝忱，請查照。"
    items = [
        "復貴基金會112年4月6日府文基字第112040601號函。",
        "本件受贈財物經本府估價為新臺幣4萬5,000元，已依「臺南市政府及所屬機關學校"
        "受贈財物處理要點」完成受贈財物登記，並列入本府財產管理。",
        "該畫作將陳列於永華市政中心1樓文物典藏展示區，供洽公民眾參觀。",
        "檢附受贈財物收據1份，請查收。",
    ]
    blocks = [
        *letter_head(m),
        *letter_body(subject, items),
        *letter_tail("財團法人府城文教基金會", "本府秘書處專務科、本府財政稅務局"),
    ]
    fields = letter_fields(m, subject.removesuffix("，請查照。"))
    return Doc(
        "box-0113-01/folder-03/scan-0004.png",
        "letter",
        "png",
        1,
        blocks,
        fields,
        ["文物典藏"],
        [Fx(skew=-0.7, paper=250)],
        manifest=("專務科", "林佩蓉", "2023-04-14"),
    )


def doc_repair_letter() -> Doc:
    m = Letter(
        "110/030201/7",
        "15年",
        "李明哲",
        "06-6322231分機6611",
        "sec-general@mail.tainan.gov.tw",
        "臺南市政府工務局",
        "中華民國110年1月18日",
        "府秘總字第1100123456號",
        urgency="最速件",
        attach="現況照片8張",
    )
    subject = "本府民治市政中心行政大樓外牆磁磚剝落，請貴局協助派員勘查並提供修繕建議，請查照。"
    items = [
        "本府民治市政中心（臺南市新營區民治路36號）行政大樓建於民國70年，"
        "近期受地震及東北季風影響，東側及北側外牆磁磚多處剝落，面積約120平方公尺。",
        "為維護洽公民眾及同仁安全，本府已於110年1月12日於剝落區域下方設置警示圍籬，"
        "並暫停使用東側出入口。",
        "因外牆修繕涉及結構安全評估，請貴局於110年1月29日前派員會勘，並提供修繕工法"
        "及經費概估，俾利本府辦理後續採購。",
        "檢附現況照片8張，請參考。",
    ]
    blocks = [
        *letter_head(m),
        *letter_body(subject, items),
        *letter_tail("臺南市政府工務局", "本府秘書處總務科"),
    ]
    fields = letter_fields(m, subject.removesuffix("，請查照。"))
    return Doc(
        "box-0113-02/folder-01/scan-0009.jpg",
        "letter",
        "jpeg",
        1,
        blocks,
        fields,
        ["警示圍籬"],
        [Fx(rotation=180, uneven=8, paper=243)],
        manifest=("總務科", "黃建文", "2021-01-18"),
    )


def doc_audit_letter() -> Doc:
    m = Letter(
        "109/050302/2",
        "10年",
        "吳宗翰",
        "06-2991111分機8275",
        "sec-procure@mail.tainan.gov.tw",
        "臺南市東區區公所",
        "中華民國109年10月30日",
        "府秘採字第1090765432號",
        urgency="速件",
        attach="採購稽核紀錄1份",
    )
    subject = (
        "檢送本府109年10月14日辦理貴所「辦公廳舍耐震補強工程」採購稽核紀錄1份，"
        "請於109年11月30日前依稽核意見完成改善並函復，請查照。"
    )
    items = [
        "依據政府採購法第108條及臺南市政府採購稽核小組作業要點辦理。",
        "本府採購稽核小組於109年10月14日至貴所實地稽核旨揭採購案（案號1090601-03，"
        "決標金額新臺幣1,865萬元），稽核範圍包括招標文件、決標程序、契約變更及履約管理。",
        "稽核結果計有缺失2項，缺失等級均為中度，詳如附件稽核紀錄，摘要如下：",
        "（一）決標結果未於決標日起30日內刊登政府採購公報，與政府採購法第61條規定不符。",
        "（二）第2次契約變更未依規定簽報核准即先行施作，變更金額新臺幣48萬3,200元。",
        "請貴所針對前述缺失研擬具體改善措施，包括補辦決標公告、檢討契約變更作業流程，"
        "並加強承辦人員採購法令訓練。",
        "改善情形請於109年11月30日前函復本府（秘書處採購管理科），逾期未函復或改善"
        "未完成者，本府將列入下年度優先稽核對象。",
        "本稽核結果另副知本府政風處及審計部臺南市審計處，如貴所對稽核意見有異議，"
        "得於收文次日起10日內敘明理由提出說明。",
        "本府為提升各機關採購品質，將於109年12月起辦理採購實務研習，請貴所指派採購"
        "承辦人員參加，報名方式另函通知。",
        "檢附本府109年度採購稽核常見缺失態樣彙整表，請貴所轉知所屬採購人員參考，"
        "並於內部控制自行評估時納入檢查項目。",
        "本案聯絡人：本府秘書處採購管理科吳宗翰先生，電話06-2991111分機8275。",
    ]
    body = [Text(subject, prefix="主旨：", gap=20), Text("說明：")]
    for i, text in enumerate(items):
        if text.startswith("（"):
            body.append(Text(text[3:], prefix=text[:3], indent=BODY * 3))
        else:
            n = i - sum(t.startswith("（") for t in items[:i])
            body.append(Text(text, prefix=f"{NUMERALS[n]}、", indent=BODY))
    blocks = [
        *letter_head(m),
        *body,
        Gap(40),
        *letter_tail("臺南市東區區公所", "本府政風處、審計部臺南市審計處"),
    ]
    fields = letter_fields(m, subject.removesuffix("，請查照。"))
    fx = [Fx(skew=1.1, speckle=900, bilevel=True), Fx(skew=-0.5, speckle=500, bilevel=True)]
    return Doc(
        "box-0113-02/folder-02/scan-0011.tif",
        "letter",
        "tiff-g4",
        2,
        blocks,
        fields,
        ["優先稽核對象", "本案聯絡人"],
        fx,
        manifest=("採購管理科", "黃建文", "2020-10-30"),
    )


def doc_timeliness_letter() -> Doc:
    m = Letter(
        "105/010203/4",
        "5年",
        "蔡淑芬",
        "06-2991111分機8105",
        "sec-doc@mail.tainan.gov.tw",
        "本府各機關",
        "中華民國105年9月12日",
        "府秘文字第1050012345號",
    )
    subject = (
        "為提升公文處理效率，請各機關確實依「臺南市政府公文處理時效管制要點」辦理公文稽催，請查照。"
    )
    items = [
        "經統計本府105年1月至8月公文平均處理日數為4.8日，逾限公文計3,517件，較104年同期增加12%。",
        "請各機關文書單位每週列印逾限公文清單送單位主管核閱，並於每月5日前將"
        "稽催結果陳報本府秘書處文書科。",
        "公文處理時效列入本府105年度各機關公文檔案管理考評項目，考評結果將公布於本府內部網站。",
    ]
    blocks = [
        *letter_head(m),
        *letter_body(subject, items),
        *letter_tail("本府各機關", "本府秘書處文書科"),
    ]
    fields = letter_fields(m, subject.removesuffix("，請查照。"))
    return Doc(
        "box-0113-02/folder-03/scan-0014.jpg",
        "letter",
        "jpeg",
        1,
        blocks,
        fields,
        ["主管核閱"],
        [Fx(skew=2.4, blur=0.8, uneven=14, paper=232)],
        manifest=("文書科", "黃建文", "2016-09-12"),
    )


# ----- memos 簽, announcement 公告


def memo_blocks(
    unit: str, date: str, subject: str, notes: Sequence[str], proposals: Sequence[str]
) -> list[Block]:
    return [
        Text(f"簽 於{unit}", size=64, bold=True),
        Text(date, align="right", gap=40),
        Text(subject, prefix="主旨：", gap=20),
        Text("說明："),
        *numbered(notes),
        Gap(20),
        Text("擬辦："),
        *numbered(proposals),
        Gap(60),
        Text("敬陳", indent=BODY * 2),
        Text("處長", indent=BODY * 4),
        Text("秘書長", indent=BODY * 4, gap=40),
        Text("承辦人 李明哲 科長 陳國華", size=SMALL, align="right"),
    ]


def doc_elevator_memo() -> Doc:
    subject = "擬辦理本府永華市政中心B棟電梯汰換案，簽請核示。"
    notes = [
        "永華市政中心B棟2部客用電梯啟用已逾22年，113年1月至5月故障報修計17次，"
        "其中2次發生民眾受困情形，經維護廠商評估已屆汰換年限。",
        "依建築物昇降設備設置及檢查管理辦法，本案汰換期間須停用單部電梯約60日，"
        "將分兩階段施工以維持洽公動線。",
    ]
    proposals = [
        "擬循公開招標程序辦理採購，預算新臺幣680萬元由本處「一般建築及設備」科目支應。",
        "奉核後即簽辦招標文件，預定113年9月開工、113年12月完工。",
    ]
    blocks = memo_blocks("秘書處總務科", "113年6月3日", subject, notes, proposals)
    fields = {
        "doc_date": "2024-06-03",
        "issuing_agency": "臺南市政府秘書處總務科",
        "subject": subject.removesuffix("，簽請核示。"),
    }
    return Doc(
        "box-0113-01/folder-02/scan-0002.png",
        "memo",
        "png",
        1,
        blocks,
        fields,
        ["民眾受困"],
        [Fx(paper=250)],
        manifest=("總務科", "林佩蓉", "2024-06-03"),
    )


def doc_esign_memo() -> Doc:
    subject = "為推動本府公文線上簽核，擬自110年7月1日起分階段實施，簽請核示。"
    notes = [
        "依行政院推動公文電子化政策，本府109年度公文總量約41萬件，其中線上簽核比率"
        "為38.6%，仍有提升空間。",
        "本處已完成公文系統憑證元件更新，並於109年12月試辦文書科、檔案科線上簽核，"
        "平均處理日數由3.9日降為2.7日。",
        "紙本公文掃描後仍須依檔案法規定歸檔，電子檔案應保存其簽核軌跡。",
    ]
    proposals = [
        "第一階段自110年7月1日起於本府一級單位實施，第二階段自111年1月1日起擴及所屬機關。",
        "奉核後函知各機關，並由本處辦理教育訓練4場次。",
    ]
    blocks = memo_blocks("秘書處文書科", "110年3月8日", subject, notes, proposals)
    fields = {
        "doc_date": "2021-03-08",
        "issuing_agency": "臺南市政府秘書處文書科",
        "subject": subject.removesuffix("，簽請核示。"),
    }
    return Doc(
        "box-0113-02/folder-03/scan-0013.jpg",
        "memo",
        "jpeg",
        1,
        blocks,
        fields,
        ["簽核軌跡"],
        [Fx(rotation=90, paper=246)],
        manifest=("文書科", "黃建文", "2021-03-08"),
    )


def doc_announcement() -> Doc:
    subject = "公告本府永華市政中心111年9月3日（星期六）辦理高壓電力設備年度檢修停電事宜。"
    items = [
        "停電時間：111年9月3日上午8時至下午5時。",
        "停電範圍：永華市政中心A、B棟全區（含地下停車場）。",
        "停電期間電梯、空調及網路暫停使用，地下停車場暫停開放，民眾洽公請改於"
        "111年9月5日（星期一）辦理。",
        "如有疑問，請洽本府秘書處總務科，電話06-2991111分機8451。",
    ]
    blocks: list[Block] = [
        Text("臺南市政府 公告", size=84, bold=True, align="center", gap=40),
        Text("發文日期：中華民國111年8月15日", indent=1100),
        Text("發文字號：府秘總字第1110987654號", indent=1100),
        Text("附件：無", indent=1100, gap=50),
        Text(subject, prefix="主旨：", gap=20),
        Text("依據：用戶用電設備裝置規則及本府高壓電力設備維護契約辦理。", gap=20),
        Text("公告事項："),
        *numbered(items),
        Gap(120),
        Text("市長", size=64, bold=True, indent=1500),
        Seal(),
    ]
    fields = {
        "doc_number": "府秘總字第1110987654號",
        "doc_date": "2022-08-15",
        "issuing_agency": "臺南市政府",
        "subject": subject.removeprefix("公告").removesuffix("。"),
    }
    return Doc(
        "box-0113-02/folder-01/scan-0008.png",
        "announcement",
        "png",
        1,
        blocks,
        fields,
        ["高壓電力"],
        [Fx(skew=-0.9, speckle=700, bilevel=True)],
        manifest=("總務科", "黃建文", "2022-08-15"),
    )


# ----- contract, audit record


def doc_contract() -> Doc:
    articles = [
        (
            "第一條 契約文件及效力",
            [
                "契約包括招標文件及其變更或補充、投標文件、決標文件及契約本文。",
                "契約文件之內容如有歧異，除另有規定外，依契約條款、招標文件之順序適用。",
            ],
        ),
        (
            "第二條 履約標的",
            [
                "廠商應辦理民治市政中心行政大樓東側及北側外牆磁磚打除、防水層施作及"
                "新作二丁掛磁磚，施作面積約1,350平方公尺，詳如施工規範及設計圖說。",
            ],
        ),
        (
            "第三條 契約價金之給付",
            [
                "契約價金採總價決標，以新臺幣參佰貳拾捌萬伍仟元整（NT$3,285,000）為上限。",
                "依工程進度分3期估驗付款，每期付款時扣留5%作為保留款，於驗收合格後無息發還。",
            ],
        ),
        (
            "第四條 履約期限",
            [
                "廠商應於機關通知開工日起90日曆天內完工，並提送竣工報告及相關試驗紀錄。",
                "逾期違約金以每日契約價金總額千分之一計算，總額以契約價金總額20%為上限。",
            ],
        ),
        (
            "第五條 履約保證及保固",
            [
                "廠商應於決標後14日內繳納履約保證金新臺幣16萬4,250元。",
                "外牆防水及磁磚工程保固期間為5年，自驗收合格之日起算。",
            ],
        ),
        (
            "第六條 爭議處理",
            [
                "機關與廠商因履約而生爭議者，應依法令及契約規定，以協商方式解決；"
                "協商不成時，得向臺南市政府採購申訴審議委員會申請調解。",
            ],
        ),
    ]
    blocks: list[Block] = [
        Text("臺南市政府秘書處 採購契約", size=80, bold=True, align="center"),
        Text("（工程類）", align="center", gap=40),
        Text("案號：秘總1100023"),
        Text("標的名稱：民治市政中心行政大樓外牆修繕工程"),
        Text("契約金額：新臺幣參佰貳拾捌萬伍仟元整（NT$3,285,000）"),
        Text("招標機關（以下簡稱機關）：臺南市政府秘書處"),
        Text("得標廠商（以下簡稱廠商）：鴻景營造有限公司", gap=20),
        Text(
            "雙方同意依政府採購法及其主管機關訂定之規定訂定本契約，共同遵守，其條款如下：", gap=30
        ),
    ]
    for title, clauses in articles:
        blocks += [Text(title, bold=True), *numbered(clauses), Gap(20)]
    blocks += [
        Break(),
        Text("立契約人", bold=True, gap=20),
        Text("機關：臺南市政府秘書處"),
        Text("代表人：處長 張惠雯"),
        Text("地址：臺南市安平區永華路2段6號", gap=40),
        Seal(),
        Text("廠商：鴻景營造有限公司"),
        Text("代表人：董事長 林振宇"),
        Text("統一編號：24681357"),
        Text("地址：臺南市新營區三民路128號", gap=40),
        Seal(),
        Text("中華民國110年3月15日", align="center", size=64),
    ]
    fields = {
        "case_number": "秘總1100023",
        "doc_date": "2021-03-15",
        "issuing_agency": "臺南市政府秘書處",
        "subject": "民治市政中心行政大樓外牆修繕工程",
        "contract_amount": 3285000,
        "contractor": "鴻景營造有限公司",
    }
    fx = [Fx(skew=0.5, paper=247), Fx(blur=0.6, paper=247)]
    return Doc(
        "box-0113-02/folder-02/scan-0010.pdf",
        "contract",
        "pdf",
        2,
        blocks,
        fields,
        ["防水層", "立契約人"],
        fx,
        manifest=("採購管理科", "黃建文", "2021-03-15"),
    )


def form_table(rows: Sequence[tuple[str, str]], label: float = 0.26) -> Table:
    return Table((label, 1 - label), tuple(rows), size=BODY, header=False, row_h=110)


def doc_audit_record() -> Doc:
    facts = [
        ("稽核日期", "109年10月14日"),
        ("案號", "1090601-03"),
        ("採購案名", "辦公廳舍耐震補強工程"),
        ("受稽核機關", "臺南市東區區公所"),
        ("決標金額", "新臺幣18,650,000元"),
        ("稽核小組", "本府採購稽核小組第3組"),
    ]
    findings = [
        "決標結果未於決標日起30日內刊登政府採購公報。",
        "第2次契約變更未依規定簽報核准即先行施作。",
    ]
    actions = [
        "補辦決標結果公告，並將公告作業列入採購檢核表。",
        "修訂契約變更作業流程，變更前應完成簽報核准，並辦理承辦人員法令訓練。",
    ]
    blocks: list[Block] = [
        Text("臺南市政府 採購稽核紀錄", size=80, bold=True, align="center", gap=40),
        form_table(facts),
        Gap(20),
        Text("稽核發現："),
        *numbered(findings),
        Text("缺失等級：中度", gap=10),
        Text("改善措施："),
        *numbered(actions),
        Text("改善期限：109年11月30日前函復", gap=60),
        Text("稽核委員：王立德 周美玲 吳宗翰", align="right"),
    ]
    fields = {
        "case_number": "1090601-03",
        "doc_date": "2020-10-14",
        "audited_agency": "臺南市東區區公所",
        "subject": "辦公廳舍耐震補強工程",
        "finding": "；".join(f.removesuffix("。") for f in findings),
        "severity": "中度",
        "corrective_action": "；".join(a.removesuffix("。") for a in actions),
        "due_date": "2020-11-30",
    }
    return Doc(
        "box-0113-02/folder-02/scan-0012.jpg",
        "audit",
        "jpeg",
        1,
        blocks,
        fields,
        ["採購檢核表"],
        [Fx(blur=0.6, speckle=400, paper=244)],
        style="sans",
        manifest=("採購管理科", "黃建文", "2020-10-14"),
    )


# ----- registers and forms


GIFTS = [
    ("112.04.12", "受贈", "府城文教基金會", "臺南市政府", "古地圖複製畫", "45,000", "文化捐贈"),
    ("112.05.03", "贈送", "臺南市政府", "波特艾德市長", "劍獅木雕", "6,500", "姊妹市來訪"),
    ("112.05.26", "受贈", "大和電機株式會社", "秘書長", "紀念茶具組", "2,800", "禮貌性拜會"),
    ("112.06.15", "受贈", "南瀛民俗協會", "秘書處", "藝陣紀念盤", "1,200", "節慶活動"),
    ("112.06.29", "贈送", "臺南市政府", "駐臺使節團", "臺南藍染巾", "3,600", "參訪致意"),
]


def gift_entry(row: tuple[str, ...]) -> dict[str, Any]:
    return {
        "gift_date": roc_iso(row[0]),
        "direction": "received" if row[1] == "受贈" else "presented",
        "giver": row[2],
        "recipient": row[3],
        "item": row[4],
        "estimated_value": int(row[5].replace(",", "")),
        "occasion": row[6],
    }


def doc_gift_register() -> Doc:
    header = ("日期", "受贈/贈送", "贈與人", "受贈人", "財物名稱", "估價(NT$)", "事由")
    blocks: list[Block] = [
        Text("臺南市政府秘書處 受贈財物登記表", size=72, bold=True, align="center"),
        Text("（餽贈登記）112年度第2季", align="center", gap=40),
        Table((0.125, 0.125, 0.19, 0.14, 0.15, 0.12, 0.15), (header, *GIFTS), size=38),
        Text("說明：估價以新臺幣計；單筆逾新臺幣3,000元者應另簽報處長核閱。", size=SMALL),
        Text("受贈財物屬公用者應列入財產管理，其餘依規定轉贈或公開展示。", size=SMALL, gap=80),
        Text("填表人：黃思涵 專務科科長：鄭雅玲", align="right"),
        Text("填表日期：112.07.03", align="right"),
    ]
    entries = [gift_entry(r) for r in GIFTS]
    fields = {
        **entries[0],
        "doc_date": "2023-07-03",
        "issuing_agency": "臺南市政府秘書處",
        "entries": entries,
    }
    return Doc(
        "box-0113-01/folder-03/scan-0005.jpg",
        "gift",
        "jpeg",
        1,
        blocks,
        fields,
        ["轉贈或公開"],
        [Fx(skew=-1.2, uneven=12, paper=242)],
        style="sans",
        manifest=("專務科", "林佩蓉", "2023-07-03"),
    )


def doc_repair_form() -> Doc:
    facts = [
        ("報修編號", "R1130521-007"),
        ("報修單位", "秘書處文書科"),
        ("報修人", "張雅婷（分機8127）"),
        ("設備名稱", "分離式冷氣機"),
        ("廠牌型號", "日立 RAS-50NK"),
        ("設備位置", "永華市政中心10樓1012室"),
        ("報修時間", "113/05/21 09:32"),
        ("故障情形", "運轉但不出冷風，室溫達31度"),
        ("派工時間", "113/05/21 13:15"),
        ("維修廠商", "南興冷凍空調工程行"),
        ("處理情形", "冷媒洩漏，更換銅管接頭並補充冷媒"),
        ("完修時間", "113/05/22 16:10"),
        ("驗收人", "總務科 李明哲"),
    ]
    blocks: list[Block] = [
        Text("臺南市政府秘書處 設備報修單", size=76, bold=True, align="center"),
        Text("（線上報修系統列印）", align="center", gap=40),
        form_table(facts),
        Gap(20),
        Text("備註：本單列印後併案歸檔，保存年限3年。", size=SMALL, gap=40),
        Table(
            (1 / 3, 1 / 3, 1 / 3),
            (("報修人", "承辦人", "科長"), ("", "", "")),
            size=BODY,
            row_h=180,
        ),
    ]
    fields = {
        "doc_date": "2024-05-21",
        "issuing_agency": "臺南市政府秘書處",
        "equipment": "分離式冷氣機",
        "location": "永華市政中心10樓1012室",
        "reported_at": "2024-05-21T09:32:00",
        "repaired_at": "2024-05-22T16:10:00",
    }
    return Doc(
        "box-0113-01/folder-02/scan-0003.png",
        "repair",
        "png",
        1,
        blocks,
        fields,
        ["銅管接頭"],
        [Fx(skew=3.0, paper=250)],
        style="sans",
        manifest=("總務科", "林佩蓉", "2024-05-21"),
    )


def doc_staff_eval() -> Doc:
    scores = (
        ("考核項目", "配分", "得分"),
        ("工作品質", "30", "26"),
        ("工作效率", "25", "22"),
        ("服務態度", "20", "18"),
        ("出勤狀況", "15", "13"),
        ("團隊合作", "10", "9"),
        ("總分", "100", "88"),
    )
    person = (
        ("姓名", "王志豪", "職稱", "行政助理"),
        ("服務單位", "總務科", "到職日期", "110.03.01"),
    )
    blocks: list[Block] = [
        Table((0.12,), (("密",),), size=72, header=False, left=0.88, row_h=130),
        Text("臺南市政府秘書處 臨時人員考核表", size=72, bold=True, align="center", gap=30),
        Text("考核期間：112年1月1日至112年12月31日", gap=20),
        Table((0.2, 0.3, 0.2, 0.3), person, size=BODY, header=False, row_h=100),
        Table((0.5, 0.25, 0.25), scores, size=BODY, row_h=100),
        Text("考核等第：甲等（80分以上）"),
        Text("具體事蹟：協助辦理市政中心會議室預約系統轉換，資料移轉零錯誤。"),
        Text("考核結果：續聘", gap=60),
        Text("考核人：陳國華 覆核人：張惠雯", align="right"),
        Text("113年1月10日", align="right", gap=60),
        Text("本表列為密件，非經核准不得調閱、影印或對外提供。", size=SMALL),
    ]
    fields = {
        "doc_date": "2024-01-10",
        "issuing_agency": "臺南市政府秘書處",
        "confidential": True,
        "classification": "密",
        "employee": "王志豪",
        "score": 88,
        "rating": "甲等",
        "position": "行政助理",
        "unit": "總務科",
        "period_start": "2023-01-01",
        "period_end": "2023-12-31",
        "result": "續聘",
    }
    return Doc(
        "box-0113-02/folder-01/scan-0007.png",
        "staff_eval",
        "png",
        1,
        blocks,
        fields,
        ["資料移轉"],
        [Fx(speckle=500, paper=249)],
        style="sans",
        manifest=("總務科", "黃建文", "2024-01-10"),
    )


def doc_safety_drill() -> Doc:
    facts = [
        ("演練日期", "107年10月17日（星期三）"),
        ("演練時間", "14:00至15:30"),
        ("演練地點", "民治市政中心行政大樓"),
        ("參加人數", "86人"),
        ("演練項目", "通報、初期滅火、避難引導"),
        ("指揮官", "總務科科長 陳國華"),
        ("協辦單位", "消防局第五大隊新營分隊"),
    ]
    notes = [
        "14:05模擬3樓茶水間電器起火，自衛消防編組於2分鐘內完成通報及初期滅火。",
        "14:20全棟避難疏散，86人於6分30秒內抵達集合點，較106年度縮短1分10秒。",
        "新營分隊示範滅火器及室內消防栓操作，並由同仁實際操作體驗。",
    ]
    reviews = [
        "2樓東側安全梯指示燈故障，已於107年10月19日修復。",
        "部分同仁不熟悉集合點位置，將於下次演練前加強宣導。",
    ]
    blocks: list[Block] = [
        Text("臺南市政府 消防演練紀錄", size=76, bold=True, align="center", gap=40),
        form_table(facts),
        Gap(20),
        Text("演練情形："),
        *numbered(notes),
        Text("檢討事項："),
        *numbered(reviews),
        Gap(40),
        Text("紀錄：許家瑜 107.10.18", align="right"),
    ]
    fields = {
        "doc_date": "2018-10-17",
        "issuing_agency": "臺南市政府秘書處",
        "drill_date": "2018-10-17",
        "site": "民治市政中心行政大樓",
        "participants": 86,
    }
    return Doc(
        "box-0113-03/folder-01/scan-0015.png",
        "safety_drill",
        "png",
        1,
        blocks,
        fields,
        ["茶水間"],
        [Fx(skew=-2.0, paper=249)],
        style="sans",
        manifest=("總務科", "林佩蓉", "2018-10-17"),
    )


def doc_energy() -> Doc:
    usage = (
        ("建築物 Building", "106年7月 (kWh)", "105年7月 (kWh)", "增減 Change"),
        ("永華市政中心 Yonghua", "1,284,600", "1,331,200", "-3.5%"),
        ("民治市政中心 Minzhi", "402,350", "409,800", "-1.8%"),
        ("秘書處倉庫 Warehouse", "12,480", "12,950", "-3.6%"),
        ("合計 Total", "1,699,430", "1,753,950", "-3.1%"),
    )
    measures = [
        "冷氣溫度設定於26至28度（air-conditioning set to 26-28°C）。",
        "午休時間關閉非必要照明及事務機器（lights off during lunch break）。",
        "汰換T5燈具為LED燈具共1,240具，預估每年節電約186,000 kWh。",
        "電梯於夜間及假日僅開放1部運轉。",
    ]
    blocks: list[Block] = [
        Text("臺南市政府秘書處 106年7月份節電報告", size=72, bold=True, align="center"),
        Text("Energy Saving Report, July 2017", size=60, align="center", gap=40),
        Text("報告月份 Report month：106年7月（2017-07）"),
        Text("填報日期 Date：106.08.03", gap=30),
        Text("一、用電概況 Electricity use", bold=True),
        Table((0.34, 0.23, 0.23, 0.2), usage, size=SMALL),
        Text(
            "本月總用電1,699,430 kWh，較去年同期減少54,520 kWh（-3.1%），已達行政院年度節電1%目標。"
        ),
        Gap(30),
        Text("二、節電措施 Measures", bold=True),
        *numbered(measures, arabic=True),
        Break(),
        Text("三、下月目標 Target for next month", bold=True),
        Text("106年8月用電較去年同期減少2%以上（target: at least 2% below August 2016）。", gap=30),
        Text("四、用電異常說明 Anomalies", bold=True),
        Text(
            "7月12日永華市政中心B棟冰水主機跳脫，備用機組運轉4小時，當日用電增加約"
            "3,100 kWh，已請維護廠商檢修完成。",
            gap=80,
        ),
        Text("填表人：李明哲 科長：陳國華 處長：張惠雯", align="right"),
    ]
    fields = {
        "doc_date": "2017-08-03",
        "issuing_agency": "臺南市政府秘書處",
        "subject": "106年7月份節電報告",
        "report_month": "2017-07",
        "kwh": 1699430,
    }
    return Doc(
        "digital/energy-report-106-07.pdf",
        "energy",
        "born-digital",
        2,
        blocks,
        fields,
        ["冰水主機", "Energy Saving Report"],
        style="sans",
    )


def doc_english() -> Doc:
    stamp = (("臺南市政府秘書處收文",), ("108.11.04",), ("府秘專字第1080141234號",))
    paragraphs = [
        "On behalf of the people of Port Alder, I would like to thank the Tainan City "
        "Government for the warm hospitality extended to our delegation of 14 members "
        "during our visit from October 15 to 18, 2019.",
        "We are pleased to confirm the student exchange programme for summer 2020 "
        "(July 6-24, 2020), with up to 12 students from each city. We also look forward "
        "to sending a team of lantern makers to the 2020 Tainan Lantern Festival.",
        "The gifts presented during the visit (total estimated value US$420, approx. "
        "NT$12,900) are listed in the enclosure for your records.",
    ]
    blocks: list[Block] = [
        Table((0.42,), stamp, size=SMALL, header=False, left=0.58, row_h=70, gap=20),
        Text("CITY OF PORT ALDER", size=72, bold=True),
        Text("Office of the Mayor"),
        Text("400 Harbor Street, Port Alder, WA 98000, U.S.A.", gap=50),
        Text("October 28, 2019", gap=50),
        Text("Secretariat, Tainan City Government"),
        Text("No. 6, Sec. 2, Yonghua Rd., Anping Dist., Tainan City 708, Taiwan", gap=50),
        Text("Re: Follow-up on the 2019 Sister City Delegation Visit", bold=True, gap=40),
        Text("Dear Director-General,", gap=30),
        *[Text(p, gap=30) for p in paragraphs],
        Text("Sincerely,", gap=120),
        Text("Margaret L. Owens"),
        Text("Mayor, City of Port Alder", gap=40),
        Text("Enclosure: list of gifts (1 page)", size=SMALL),
        Text("cc: Port Alder Sister City Association", size=SMALL, gap=60),
        Text("擬辦：陳閱後存查，學生交流計畫另簽辦理。 108.11.05", size=SMALL),
    ]
    fields = {
        "doc_date": "2019-10-28",
        "issuing_agency": "City of Port Alder",
        "recipient": "Secretariat, Tainan City Government",
        "subject": "Follow-up on the 2019 Sister City Delegation Visit",
    }
    return Doc(
        "box-0113-01/folder-03/scan-0006.jpg",
        "english",
        "jpeg",
        1,
        blocks,
        fields,
        ["學生交流", "lantern makers"],
        [Fx(skew=1.6, paper=247)],
        style="serif",
        manifest=("專務科", "林佩蓉", "2019-10-28"),
    )


# ----- typed records in a second layout each (record types, issue #5)


def doc_repair_log() -> Doc:
    """Repair ticket as labelled lines (not a table), times written 上午10時05分."""
    lines = [
        "報修編號：R1130514-003",
        "報修人：秘書處檔案科 林佩蓉（分機8131）",
        "報修日期：113年5月14日 上午10時05分",
        "報修設備：事務機（多功能影印機）",
        "設備位置：永華市政中心9樓檔案科辦公室",
        "故障狀況：卡紙且無法列印，面板顯示錯誤代碼E-202",
        "處理情形：更換進紙滾輪及定影組件，測試列印正常",
        "完修日期：113年5月14日 下午12時20分",
    ]
    blocks: list[Block] = [
        Text("臺南市政府秘書處 線上報修紀錄", size=72, bold=True, align="center", gap=60),
        *[Text(t, gap=14) for t in lines],
        Gap(60),
        Text("維修人員：全民事務機器有限公司 吳俊賢", size=SMALL),
        Text("驗收：總務科 李明哲 113.05.14", size=SMALL, align="right"),
    ]
    fields = {
        "doc_date": "2024-05-14",
        "issuing_agency": "臺南市政府秘書處",
        "equipment": "事務機（多功能影印機）",
        "location": "永華市政中心9樓檔案科辦公室",
        "reported_at": "2024-05-14T10:05:00",
        "repaired_at": "2024-05-14T12:20:00",
    }
    return Doc(
        "box-0113-03/folder-01/scan-0016.jpg",
        "repair",
        "jpeg",
        1,
        blocks,
        fields,
        ["定影組件"],
        [Fx(skew=1.3, blur=0.4, paper=246)],
        style="serif",
        manifest=("總務科", "林佩蓉", "2024-05-14"),
    )


def doc_repair_grid() -> Doc:
    """Repair ticket as a grid: two label/value pairs per row."""
    rows = (
        ("報修單號", "R1130527-011", "報修單位", "秘書處總務科"),
        ("設備名稱", "冰溫熱飲水機", "設備位置", "民治市政中心2樓走廊"),
        ("報修時間", "113/05/27 14:20", "完修時間", "113/05/28 10:05"),
        ("故障情形", "出水口持續滴漏", "處理情形", "更換出水閥"),
        ("維修廠商", "大成水電行", "驗收人", "總務科 李明哲"),
    )
    blocks: list[Block] = [
        Text("臺南市政府秘書處 設備維修紀錄表", size=72, bold=True, align="center", gap=50),
        Table((0.17, 0.33, 0.17, 0.33), rows, size=44, header=False, row_h=110),
        Gap(30),
        Text("備註：濾心已於113年4月更換，本次僅更換閥件。", size=SMALL),
    ]
    fields = {
        "doc_date": "2024-05-27",
        "issuing_agency": "臺南市政府秘書處",
        "equipment": "冰溫熱飲水機",
        "location": "民治市政中心2樓走廊",
        "reported_at": "2024-05-27T14:20:00",
        "repaired_at": "2024-05-28T10:05:00",
    }
    return Doc(
        "box-0113-03/folder-01/scan-0017.png",
        "repair",
        "png",
        1,
        blocks,
        fields,
        ["僅更換閥件"],
        [Fx(skew=-0.6, speckle=200, paper=250)],
        style="sans",
        manifest=("總務科", "林佩蓉", "2024-05-27"),
    )


def doc_gift_form() -> Doc:
    """A single gift presented, on a one-gift form (label and value per row)."""
    facts = [
        ("登記編號", "G112-0915-01"),
        ("類別", "贈送"),
        ("日期", "112年9月15日"),
        ("贈與人", "臺南市政府"),
        ("受贈人", "日本大分縣訪問團"),
        ("財物名稱", "安平劍獅陶瓷擺飾"),
        ("數量", "2件"),
        ("估價", "新臺幣3,200元"),
        ("事由", "國際交流參訪"),
    ]
    blocks: list[Block] = [
        Text("臺南市政府秘書處 餽贈財物登記單", size=72, bold=True, align="center", gap=50),
        form_table(facts),
        Gap(30),
        Text("說明：本府致贈外賓之禮品，單價逾新臺幣1,000元者應逐筆登記。", size=SMALL, gap=60),
        Text("填表人：黃思涵", align="right"),
        Text("填表日期：112年9月18日", align="right"),
    ]
    entry = {
        "gift_date": "2023-09-15",
        "direction": "presented",
        "giver": "臺南市政府",
        "recipient": "日本大分縣訪問團",
        "item": "安平劍獅陶瓷擺飾",
        "estimated_value": 3200,
        "occasion": "國際交流參訪",
    }
    fields = {
        **entry,
        "doc_date": "2023-09-18",
        "issuing_agency": "臺南市政府秘書處",
        "entries": [entry],
    }
    return Doc(
        "box-0113-03/folder-02/scan-0018.png",
        "gift",
        "png",
        1,
        blocks,
        fields,
        ["逐筆登記"],
        [Fx(skew=0.9, paper=249)],
        style="serif",
        manifest=("專務科", "黃建文", "2023-09-18"),
    )


def doc_staff_eval_lines() -> Doc:
    """Staff evaluation written as labelled lines, 密 stamp on the left."""
    scores = (
        ("項目", "權重", "評分"),
        ("工作績效", "40", "30"),
        ("專業能力", "30", "23"),
        ("品德操守", "30", "23"),
        ("總分", "100", "76"),
    )
    blocks: list[Block] = [
        Table((0.12,), (("密",),), size=72, header=False, row_h=130),
        Text("臺南市政府秘書處 臨時人員年度考核表", size=68, bold=True, align="center", gap=40),
        Text("考核期間：中華民國112年7月1日至112年12月31日"),
        Text("姓名：陳怡安 職稱：清潔隊員"),
        Text("服務單位：廳舍管理科", gap=30),
        Table((0.4, 0.3, 0.3), scores, size=BODY, row_h=100),
        Text("考核等第：乙等（70分以上未滿80分）"),
        Text("考核結果：續聘，並加強環境消毒作業訓練", gap=60),
        Text("考核人：鄭雅玲 覆核人：張惠雯", align="right"),
        Text("中華民國113年1月15日", align="right"),
    ]
    fields = {
        "doc_date": "2024-01-15",
        "issuing_agency": "臺南市政府秘書處",
        "confidential": True,
        "classification": "密",
        "employee": "陳怡安",
        "score": 76,
        "rating": "乙等",
        "position": "清潔隊員",
        "unit": "廳舍管理科",
        "period_start": "2023-07-01",
        "period_end": "2023-12-31",
        "result": "續聘",
    }
    return Doc(
        "box-0113-03/folder-02/scan-0019.jpg",
        "staff_eval",
        "jpeg",
        1,
        blocks,
        fields,
        ["加強環境"],
        [Fx(skew=-1.0, uneven=6, paper=247)],
        style="serif",
        manifest=("總務科", "黃建文", "2024-01-15"),
    )


def doc_audit_report() -> Doc:
    """Audit record as labelled lines with one finding written inline."""
    blocks: list[Block] = [
        Text("臺南市政府秘書處 採購稽核報告", size=72, bold=True, align="center", gap=50),
        Text("稽核日期：110年4月22日"),
        Text("案號：秘採1100042"),
        Text("採購案名：市政中心公務車輛租賃"),
        Text("受稽核機關：臺南市政府秘書處總務科", gap=30),
        Text("稽核發現：未依規定於招標文件載明履約期限之計算方式。"),
        Text("缺失等級：輕微"),
        Text("改善措施：修正招標文件範本，增列履約期限計算條款。"),
        Text("改善期限：110年5月31日", gap=60),
        Text("稽核委員：周美玲 吳宗翰", align="right"),
    ]
    fields = {
        "case_number": "秘採1100042",
        "doc_date": "2021-04-22",
        "audited_agency": "臺南市政府秘書處總務科",
        "subject": "市政中心公務車輛租賃",
        "finding": "未依規定於招標文件載明履約期限之計算方式",
        "severity": "輕微",
        "corrective_action": "修正招標文件範本，增列履約期限計算條款",
        "due_date": "2021-05-31",
    }
    return Doc(
        "box-0113-03/folder-03/scan-0020.png",
        "audit",
        "png",
        1,
        blocks,
        fields,
        ["文件範本"],
        [Fx(skew=0.4, speckle=250, paper=248)],
        style="sans",
        manifest=("採購管理科", "黃建文", "2021-04-22"),
    )


def doc_earthquake_drill() -> Doc:
    """Earthquake drill report: labelled lines, long ROC date, participants in a sentence."""
    blocks: list[Block] = [
        Text("臺南市政府秘書處 地震避難演練成果報告", size=68, bold=True, align="center", gap=50),
        Text("演練日期：中華民國112年9月21日（星期四）"),
        Text("演練場所：永華市政中心A、B棟"),
        Text("參演人數：計152人（含洽公民眾18人）"),
        Text("演練項目：趴下、掩護、穩住及疏散至戶外集結區", gap=30),
        Text("演練概要：", bold=True),
        *numbered(
            [
                "上午9時21分廣播地震警報，各樓層同仁就地避難1分鐘。",
                "搖晃停止後由樓層引導員沿安全梯疏散，全員於8分鐘內抵達市政中心廣場。",
                "各科清點人數後回報指揮中心，無人員受傷。",
            ]
        ),
        Gap(40),
        Text("承辦：廳舍管理科 許家瑜 112.09.22", size=SMALL, align="right"),
    ]
    fields = {
        "doc_date": "2023-09-21",
        "issuing_agency": "臺南市政府秘書處",
        "drill_date": "2023-09-21",
        "site": "永華市政中心A、B棟",
        "participants": 152,
    }
    return Doc(
        "box-0113-03/folder-03/scan-0021.jpg",
        "safety_drill",
        "jpeg",
        1,
        blocks,
        fields,
        ["樓層引導員"],
        [Fx(skew=1.5, blur=0.3, paper=245)],
        style="serif",
        manifest=("廳舍管理科", "黃建文", "2023-09-21"),
    )


def doc_energy_scan() -> Doc:
    """Monthly electricity report, scanned: the total only in the table's 總計 row."""
    usage = (
        ("建築物", "本月用電(度)", "去年同月(度)", "增減"),
        ("永華市政中心", "868,400", "901,350", "-3.7%"),
        ("民治市政中心", "275,120", "288,700", "-4.7%"),
        ("秘書處倉庫", "8,780", "8,700", "+0.9%"),
        ("總計", "1,152,300", "1,198,750", "-3.9%"),
    )
    blocks: list[Block] = [
        Text("臺南市政府秘書處 113年3月份用電報告", size=72, bold=True, align="center", gap=40),
        Text("填報日期：113年4月8日", align="right", gap=40),
        Table((0.34, 0.24, 0.24, 0.18), usage, size=BODY, row_h=100),
        Text("說明：", bold=True),
        *numbered(
            [
                "民治市政中心汰換老舊箱型冷氣6台，用電較去年同月下降。",
                "倉庫增設除濕機1台，用電略增。",
            ]
        ),
        Gap(60),
        Text("填表人：李明哲 科長：陳國華", align="right"),
    ]
    fields = {
        "doc_date": "2024-04-08",
        "issuing_agency": "臺南市政府秘書處",
        "subject": "113年3月份用電報告",
        "report_month": "2024-03",
        "kwh": 1152300,
    }
    return Doc(
        "box-0113-03/folder-03/scan-0022.pdf",
        "energy",
        "pdf",
        1,
        blocks,
        fields,
        ["除濕機"],
        [Fx(skew=-0.8, paper=247)],
        style="sans",
        manifest=("廳舍管理科", "黃建文", "2024-04-08"),
    )


def doc_classified_letter() -> Doc:
    """A 書函 classified 密: the record type raises the document to confidential."""
    m = Letter(
        "113/010101/5",
        "30年",
        "黃思涵",
        "06-2991111分機8036",
        "sec-special@mail.tainan.gov.tw",
        "臺南市政府警察局",
        "中華民國113年9月30日",
        "府秘機字第1130234567號",
        urgency="速件",
        secrecy="密（本件於113年10月11日後解密）",
        attach="維安勤務分工表1份",
    )
    subject = "檢送市長出席113年國慶升旗典禮維安勤務分工表1份，請依分工辦理，請查照。"
    items = [
        "本府訂於113年10月10日上午8時假永華市政中心廣場舉行國慶升旗典禮，市長將親自主持。",
        "請貴局依附件分工表派員執行會場周邊交通疏導及維安勤務，並於10月7日前指派聯絡人。",
        "本件內容涉及首長行程，請依機密文書處理規定辦理，勿對外公開。",
    ]
    blocks = [
        *letter_head(m, title="書函"),
        *letter_body(subject, items),
        *letter_tail("臺南市政府警察局", "本府秘書處專務科"),
    ]
    fields = {
        **letter_fields(m, subject.removesuffix("，請查照。")),
        "classification": "密",
    }
    return Doc(
        "box-0113-03/folder-02/scan-0023.png",
        "letter",
        "png",
        1,
        blocks,
        fields,
        ["交通疏導"],
        [Fx(skew=-0.5, paper=250)],
        manifest=("專務科", "黃建文", "2024-09-30"),
    )


def all_docs() -> list[Doc]:
    docs = [
        doc_destruction(),
        doc_elevator_memo(),
        doc_repair_form(),
        doc_gift_letter(),
        doc_gift_register(),
        doc_english(),
        doc_staff_eval(),
        doc_announcement(),
        doc_repair_letter(),
        doc_contract(),
        doc_audit_letter(),
        doc_audit_record(),
        doc_esign_memo(),
        doc_timeliness_letter(),
        doc_safety_drill(),
        doc_energy(),
        doc_repair_log(),
        doc_repair_grid(),
        doc_gift_form(),
        doc_staff_eval_lines(),
        doc_audit_report(),
        doc_earthquake_drill(),
        doc_energy_scan(),
        doc_classified_letter(),
    ]
    return sorted(docs, key=lambda d: d.file)


# --------------------------------------------------------------------------- ground truth


def page_record(n: int, items: list[Item], fx: Fx) -> dict[str, Any]:
    return {"page": n, "text": page_text(items), "rotation": fx.rotation, "skew": fx.skew}


def phrase_pages(doc: Doc, texts: list[str]) -> list[dict[str, Any]]:
    found = []
    for phrase in doc.phrases:
        pages = [i for i, t in enumerate(texts, 1) if phrase in t]
        if not pages:
            raise ValueError(f"{doc.file}: phrase {phrase!r} not on one line of any page")
        found.append({"text": phrase, "page": pages[0]})
    return found


def ground_truth(doc: Doc, pages: list[list[Item]]) -> dict[str, Any]:
    if len(pages) != doc.pages:
        raise ValueError(f"{doc.file}: laid out {len(pages)} pages, expected {doc.pages}")
    records = [page_record(i + 1, items, doc.fx_for(i)) for i, items in enumerate(pages)]
    return {
        "file": doc.file,
        "kind": doc.kind,
        "format": doc.fmt,
        "pages": records,
        "fields": doc.fields,
        "search_phrases": phrase_pages(doc, [r["text"] for r in records]),
    }


def check_unique_phrases(truth: list[dict[str, Any]]) -> None:
    texts = {t["file"]: "\n".join(p["text"] for p in t["pages"]) for t in truth}
    for entry in truth:
        for phrase in entry["search_phrases"]:
            hits = [f for f, text in texts.items() if phrase["text"] in text]
            if hits != [entry["file"]]:
                raise ValueError(f"phrase {phrase['text']!r} found in {hits}")


def build_truth(docs: Sequence[Doc]) -> list[dict[str, Any]]:
    truth = [ground_truth(d, layout(d.blocks, d.style)) for d in docs]
    check_unique_phrases(truth)
    return truth


def write_manifest(docs: Sequence[Doc], out: Path) -> None:
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "box", "folder", "division", "operator", "document_date"])
        for doc in docs:
            if doc.manifest is not None:
                box, folder, _ = doc.file.split("/")
                writer.writerow([doc.file, box, folder, *doc.manifest])


def write_doc(doc: Doc, out: Path) -> None:
    path = out / doc.file
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = layout(doc.blocks, doc.style)
    if doc.fmt == "born-digital":
        write_born_digital(doc, pages, path)
    else:
        write_scanned(doc, pages, path)


def generate(out: Path) -> list[dict[str, Any]]:
    docs = all_docs()
    truth = build_truth(docs)
    out.mkdir(parents=True, exist_ok=True)
    for name in GENERATED_DIRS:
        shutil.rmtree(out / name, ignore_errors=True)
    for doc in docs:
        write_doc(doc, out)
    write_manifest(docs, out)
    text = json.dumps(truth, ensure_ascii=False, indent=2) + "\n"
    (out / "ground_truth.json").write_text(text, encoding="utf-8")
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    truth = generate(args.out)
    pages = sum(len(t["pages"]) for t in truth)
    print(f"wrote {len(truth)} files, {pages} pages to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
