"""Making the archival copy PDF/A-2 (ISO 19005-2), in memory, with pikepdf.

pikepdf's PDF/A preparation (``pikepdf.pdfa.prepare``) installs the sRGB output intent
(the ICC profile pikepdf ships), keeps only the XMP the flavour permits, declares
conformance and makes the document information agree with the XMP. What is ours:

- Tesseract's text layer (its ``GlyphLessFont``) maps character codes to Unicode with one
  ``bfrange`` over all 65,536 codes, which ISO 32000 does not allow (a range with one
  destination may vary only in its last byte) and veraPDF cannot read: it is replaced by the
  same identity written as 256-code ranges, which makes the text layer fit PDF/A-2u.
- Pages scanned bilevel are stored bilevel, as CCITT Group 4, whatever the OCR step
  embedded (a deskewed bilevel page reaches Tesseract in greyscale, as a lossless PNG).
- XMP: title (the document's subject line), the original's SHA-256 as ``dc:identifier``,
  dates from when the original was captured (not "now": the same pages must give the same
  bytes, so a run resumed after a crash stores the blob the crashed run linked), the tools.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import pikepdf
from pikepdf import Dictionary, Name, Pdf, PdfImage
from pikepdf import pdfa as pdfa_engine
from PIL import Image, TiffImagePlugin

#: the part of ISO 19005 every archival copy is made to
PART = 2
PROFILE_B, PROFILE_U = "PDF/A-2B", "PDF/A-2U"
TESSERACT_FONT = Name("/GlyphLessFont")
#: grey level below which a pixel of a bilevel page is ink when it goes back to 1 bit
INK_THRESHOLD = 128
#: Unicode values PDF/A-2u refuses as the meaning of a glyph (6.2.11.7.2)
_BAD_UNICODE = {0x0000, 0xFEFF, 0xFFFE}


@dataclass(frozen=True)
class ArchivalInfo:
    """What the archival copy's metadata says about the record."""

    original_sha256: str
    captured: datetime
    title: str | None = None
    creator: str | None = None
    source_name: str | None = None


def declared_profile(pdf: Pdf) -> str | None:
    """The PDF/A part and level a document claims in its XMP ("PDF/A-2B"), or None."""
    try:
        meta = pdf.open_metadata()
        part, level = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    except (pikepdf.PdfError, ValueError, KeyError):
        return None
    return f"PDF/A-{part}{(level or '').upper()}" if part else None


def text_fits_unicode_level(texts: list[str]) -> bool:
    """Whether Tesseract's 2-byte codes can name every character (no astral planes)."""
    return all(ord(c) < 0x10000 and ord(c) not in _BAD_UNICODE for t in texts for c in t)


def make_pdfa(pdf: Pdf, info: ArchivalInfo, bilevel_pages: set[int], unicode: bool) -> str:
    """Turn an open archival PDF into PDF/A-2 (u when ``unicode`` and the fonts allow).

    ``bilevel_pages`` (1-based) are re-encoded as CCITT G4. Returns the declared profile.
    """
    fonts_ok = _repair_tesseract_fonts(pdf)
    for number in sorted(bilevel_pages):
        for image in _page_images(pdf.pages[number - 1]):
            to_group4(image)
    _write_record_metadata(pdf, info)
    pdfa_engine.prepare(pdf, f"{PART}b")
    level = "U" if unicode and fonts_ok else "B"
    _finish_metadata(pdf, info, level)
    return f"PDF/A-{PART}{level}"


def _page_images(page: pikepdf.Page) -> list[pikepdf.Stream]:
    xobjects = page.obj.get("/Resources", Dictionary()).get("/XObject", Dictionary())
    return [
        x
        for x in xobjects.values()
        if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == Name.Image
    ]


def with_page_image(one_page_pdf: bytes, img: Image.Image) -> bytes:
    """The single-page PDF with its page image replaced by ``img`` (8-bit grey, Flate).

    OCR may read a reduced copy of a page (large print reads better smaller); the archival
    copy keeps the page at its own resolution. A PDF image fills the rectangle its page
    draws it into whatever its pixel size, so the text layer stays where it was.
    """
    gray = img.convert("L")
    with Pdf.open(io.BytesIO(one_page_pdf)) as pdf:
        for image in _page_images(pdf.pages[0]):
            # level 1: 0.35 s for an A4 page at 300 dpi, against 1.45 s at level 6
            image.write(zlib.compress(gray.tobytes(), 1), filter=Name.FlateDecode)
            image.Width, image.Height = gray.width, gray.height
            image.BitsPerComponent = 8
            image.ColorSpace = Name.DeviceGray
            for key in ("/DecodeParms", "/SMask", "/Decode"):
                if key in image:
                    del image[key]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def to_group4(image: pikepdf.Stream) -> None:
    """Re-encode one page image as 1-bit CCITT Group 4 (lossless for a bilevel scan)."""
    pil = PdfImage(image).as_pil_image()
    bits = pil.convert("L").point(lambda v: 255 if v >= INK_THRESHOLD else 0).convert("1")
    data, black_is_1 = group4_bytes(bits)
    image.write(
        data,
        filter=Name.CCITTFaxDecode,
        decode_parms=Dictionary(K=-1, Columns=bits.width, Rows=bits.height, BlackIs1=black_is_1),
    )
    image.BitsPerComponent = 1
    image.ColorSpace = Name.DeviceGray
    for key in ("/SMask", "/Decode", "/Interpolate"):
        if key in image:
            del image[key]


def group4_bytes(bits: Image.Image) -> tuple[bytes, bool]:
    """A 1-bit image as one Group 4 strip, and whether its 1 bits are black.

    libtiff (through Pillow) encodes it; a single strip of the whole height is one valid
    G4 stream, which is what a PDF image holds.
    """
    buf = io.BytesIO()
    bits.save(buf, "TIFF", compression="group4", strip_size=1 << 30)
    with TiffImagePlugin.TiffImageFile(io.BytesIO(buf.getvalue())) as tif:
        offsets, counts = tif.tag_v2[273], tif.tag_v2[279]
        min_is_black = tif.tag_v2.get(262, 0) == 1
    if len(offsets) != 1:
        raise ValueError("group 4 image was written in more than one strip")
    raw = buf.getvalue()[offsets[0] : offsets[0] + counts[0]]
    # libtiff's fax coder calls 0 bits white; in a min-is-black TIFF 0 bits are black ink
    return raw, min_is_black


def _repair_tesseract_fonts(pdf: Pdf) -> bool:
    """Give Tesseract's fonts a readable ToUnicode map; True if every font has one."""
    cmap = pdf.make_stream(identity_tounicode())
    every_font_mapped = True
    for font in _fonts(pdf):
        if _is_tesseract_font(font):
            font.ToUnicode = cmap
        elif "/ToUnicode" not in font:
            every_font_mapped = False
    return every_font_mapped


def _fonts(pdf: Pdf) -> list[pikepdf.Dictionary]:
    seen: dict[tuple[int, int], pikepdf.Dictionary] = {}
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
        for font in fonts.values():
            if isinstance(font, pikepdf.Dictionary):
                seen.setdefault(font.objgen, font)
    return list(seen.values())


def _is_tesseract_font(font: pikepdf.Dictionary) -> bool:
    descendants = font.get("/DescendantFonts", pikepdf.Array())
    return any(d.get("/BaseFont") == TESSERACT_FONT for d in descendants)


@lru_cache(maxsize=1)
def identity_tounicode() -> bytes:
    """A ToUnicode CMap mapping each 2-byte code to the same UTF-16 value.

    Written as 256-code ranges (the most one range may span), 100 to a block (the most a
    block may hold); surrogate codes (D800-DFFF) name no character and are left out.
    """
    highs = [hi for hi in range(256) if not 0xD8 <= hi <= 0xDF]
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in highs]
    blocks = []
    for i in range(0, len(ranges), 100):
        part = ranges[i : i + 100]
        blocks.append(f"{len(part)} beginbfrange\n" + "\n".join(part) + "\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _write_record_metadata(pdf: Pdf, info: ArchivalInfo) -> None:
    """Record metadata before preparation, which keeps what PDF/A permits."""
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        if info.title:
            meta["dc:title"] = info.title
        if info.creator:
            meta["dc:creator"] = [info.creator]
        if info.source_name:
            meta["dc:source"] = info.source_name
        meta["dc:identifier"] = f"urn:sha256:{info.original_sha256}"
        meta["xmp:CreatorTool"] = creator_tool()


def _finish_metadata(pdf: Pdf, info: ArchivalInfo, level: str) -> None:
    """Level, producer and fixed dates, after preparation stamped its own."""
    when = _utc(info.captured).replace(microsecond=0).isoformat()
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["pdfaid:conformance"] = level
        meta["pdf:Producer"] = producer()
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            meta[key] = when


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@lru_cache(maxsize=1)
def producer() -> str:
    return f"pikepdf {pikepdf.__version__} (qpdf {pikepdf.__libqpdf_version__})"


@lru_cache(maxsize=1)
def creator_tool() -> str:
    """The records pipeline and the OCR engine that made the text layer."""
    from importlib.metadata import PackageNotFoundError, version

    from pipeline._exec import tesseract
    from pipeline.errors import RecordsError

    try:
        ours = version("tainan-records")
    except PackageNotFoundError:
        ours = "unknown"
    try:
        tess = ".".join(map(str, tesseract.version()))
    except (RecordsError, OSError):
        tess = "unknown"
    return f"Tainan records pipeline {ours}; Tesseract {tess}"
