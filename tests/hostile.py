"""Generated malformed and hostile input files, each with why it is hostile.

The PDF structure cases are modelled on qpdf's own test files (qpdf/qpdf,
``qpdf/qtest/qpdf/bad-xref.pdf``, ``bad-token-startxref.pdf``, ``append-xref-loop.pdf``,
Apache-2.0): the same defects, rebuilt here around our own objects. Real files from
Pillow's test suite are in ``tests/data/pillow/images`` (see its README and licence).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
from PIL import Image

from tests import imagegen

_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
    b" /Resources << /Font << /F1 5 0 R >> >> >>",
    b"<< /Length 57 >>\nstream\nBT /F1 24 Tf 72 720 Td (Records of the Secretariat) Tj ET\n"
    b"endstream",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]


def text_pdf(objects: list[bytes] | None = None, xref: bool = True) -> tuple[bytes, list[int]]:
    """A small PDF with a text layer: its bytes and the offsets of its objects."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects or _OBJECTS, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    if xref:
        start = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(offsets) + 1,
            start,
        )
    return bytes(out), offsets


def broken_xref(path: Path) -> Path:
    """xref entries with junk after them and blank lines (qpdf: bad-xref.pdf)."""
    body, offsets = text_pdf(xref=False)
    xref = b"xref\n0 6\n0000000000 65535 f don't panic \n"
    xref += b"".join(b"%010d 00000 n junk \n\n\n" % o for o in offsets)
    start = len(body)
    path.write_bytes(
        body + xref + b"trailer << /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % start
    )
    return path


def bad_startxref(path: Path) -> Path:
    """A garbage token where the xref offset belongs (qpdf: bad-token-startxref.pdf)."""
    data, _ = text_pdf()
    path.write_bytes(data.replace(b"startxref\n", b"startxref(\nstartxref\n", 1))
    return path


def xref_loop(path: Path) -> Path:
    """Two xref sections whose /Prev point at each other (qpdf: append-xref-loop.pdf)."""
    data, offsets = text_pdf(xref=False)
    first = len(data)
    entries = b"".join(b"%010d 00000 n \n" % o for o in offsets)
    section = b"xref\n0 6\n0000000000 65535 f \n" + entries
    second = first + len(section) + 64
    trailer1 = b"trailer << /Size 6 /Root 1 0 R /Prev %010d >>\n" % second
    trailer1 = trailer1.ljust(64, b" ")
    loop = section + trailer1 + b"xref\n0 1\n0000000000 65535 f \n"
    tail = b"trailer << /Size 6 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
    loop += tail % (first, second)
    path.write_bytes(data + loop)
    return path


def page_tree_cycle(path: Path) -> Path:
    """The page tree's only kid is the tree itself."""
    objects = list(_OBJECTS)
    objects[1] = b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"
    path.write_bytes(text_pdf(objects)[0])
    return path


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    images = [imagegen.page([f"第{i + 1}頁 hostile"], size=(900, 260)) for i in range(pages)]
    return imagegen.save_pdf(images, path)


def truncated(source: Path, path: Path, fraction: float) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * fraction))])
    return path


def without_trailer(source: Path, path: Path) -> Path:
    """Cut just before ``startxref``: objects intact, no way to find them but a scan."""
    data = source.read_bytes()
    path.write_bytes(data[: data.rfind(b"startxref")])
    return path


def giant_page(path: Path, inches: int = 200) -> Path:
    """A valid PDF whose page is ``inches`` square: 60 000 px a side at 300 dpi."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(inches * 72, inches * 72))
        pdf.save(path)
    return path


def image_bomb_pdf(path: Path, side: int = 16_000) -> Path:
    """A letter page drawing a ``side``² grey image of zeros: ~250 kB on disk, 256 MB decoded."""
    raw = zlib.compress(bytes(side) * side, 9)
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(612, 792))
        image = pikepdf.Stream(pdf, raw)
        image.write(raw, filter=pikepdf.Name.FlateDecode)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = side, side, 8
        image.ColorSpace = pikepdf.Name.DeviceGray
        page = pdf.pages[0]
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
        pdf.save(path)
    return path


def pdf_then_zip(source: Path, path: Path) -> Path:
    """A PDF with a ZIP archive appended: both readers accept it (a polyglot)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("payload.txt", "not a record")
    path.write_bytes(source.read_bytes() + buf.getvalue())
    return path


def zip_holding_pdf(source: Path, path: Path) -> Path:
    """A ZIP whose first member is a stored PDF: ``%PDF-`` inside the first kilobyte."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("a.pdf", source.read_bytes())
    path.write_bytes(buf.getvalue())
    return path


def _ifd(entries: list[tuple[int, int, int, int]], next_ifd: int) -> bytes:
    out = struct.pack("<H", len(entries))
    for tag, typ, count, value in sorted(entries):
        out += struct.pack("<HHII", tag, typ, count, value)
    return out + struct.pack("<I", next_ifd)


def tiff(
    entries: list[tuple[int, int, int, int]],
    data: bytes = b"",
    next_ifd: int = 0,
    width: int = 64,
    height: int = 64,
) -> bytes:
    """A little-endian TIFF: header, one IFD at offset 8, then ``data``."""
    base = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (277, 3, 1, 1),
        (278, 4, 1, height),
        (279, 4, 1, len(data)),
    ]
    tags = {t[0]: t for t in base}
    tags.update({t[0]: t for t in entries})
    ifd_len = 2 + 12 * (len(tags) + (0 if 273 in tags else 1)) + 4
    if 273 not in tags:
        tags[273] = (273, 4, 1, 8 + ifd_len)
    return b"II*\x00" + struct.pack("<I", 8) + _ifd(list(tags.values()), next_ifd) + data


def tiff_strip_beyond_eof(path: Path) -> Path:
    path.write_bytes(tiff([(273, 4, 1, 10_000_000)], bytes(64 * 64)))
    return path


def tiff_ifd_loop(path: Path) -> Path:
    """The IFD names itself as the next IFD: an endless chain of pages."""
    path.write_bytes(tiff([], bytes(64 * 64), next_ifd=8))
    return path


def tiff_bad_bits(path: Path) -> Path:
    """64 bits per sample, 5 samples per pixel, photometric 99: nothing decodes that."""
    path.write_bytes(tiff([(258, 3, 1, 64), (277, 3, 1, 5), (262, 3, 1, 99)], bytes(4096)))
    return path


def tiff_huge_count(path: Path) -> Path:
    """A tag claiming two billion values (StripByteCounts) in a 200-byte file."""
    path.write_bytes(tiff([(279, 4, 2_000_000_000, 8)], bytes(64)))
    return path


def tiff_huge_header(path: Path) -> Path:
    """A 100 000 x 100 000 image declared in a few hundred bytes (10 G pixels)."""
    path.write_bytes(tiff([], bytes(64), width=100_000, height=100_000))
    return path


def png_named(path: Path) -> Path:
    imagegen.save_png(imagegen.page(["misleading extension"], size=(900, 200)), path)
    return path


def pdf_named(source: Path, path: Path) -> Path:
    path.write_bytes(source.read_bytes())
    return path


def random_bytes(path: Path, size: int = 4096) -> Path:
    path.write_bytes(zlib.compress(b"seed") * (size // 12))
    return path


def truncated_jpeg(path: Path) -> Path:
    buf = io.BytesIO()
    imagegen.page(["truncated jpeg"], size=(900, 200)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


def gif_named_png(path: Path) -> Path:
    Image.new("L", (32, 32)).save(path, "GIF")
    return path


def build(folder: Path) -> dict[str, str]:
    """Write every generated hostile file into ``folder``; returns name -> what it is."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    base = scanned_pdf(scratch / "base.pdf")
    cases: dict[str, tuple[Callable[[Path], Path], str]] = {
        "truncated-10.pdf": (lambda p: truncated(base, p, 0.1), "PDF cut at 10 %"),
        "truncated-50.pdf": (lambda p: truncated(base, p, 0.5), "PDF cut at 50 %"),
        "truncated-90.pdf": (lambda p: truncated(base, p, 0.9), "PDF cut at 90 %"),
        "no-trailer.pdf": (lambda p: without_trailer(base, p), "PDF without startxref/trailer"),
        "broken-xref.pdf": (broken_xref, "xref entries with junk (qpdf bad-xref)"),
        "bad-startxref.pdf": (bad_startxref, "garbage startxref token (qpdf)"),
        "xref-loop.pdf": (xref_loop, "xref /Prev chain loops (qpdf append-xref-loop)"),
        "page-tree-cycle.pdf": (page_tree_cycle, "page tree whose kid is itself"),
        "encrypted.pdf": (lambda p: imagegen.encrypt_pdf(base, p), "password-protected PDF"),
        "giant-page.pdf": (giant_page, "200 x 200 inch page"),
        "image-bomb.pdf": (image_bomb_pdf, "256 MB image in a 250 kB PDF"),
        "pdf-zip-polyglot.pdf": (lambda p: pdf_then_zip(base, p), "PDF with a ZIP appended"),
        "zip-holding-pdf.zip": (lambda p: zip_holding_pdf(base, p), "ZIP with a PDF inside"),
        "png-named.pdf": (png_named, "PNG with a .pdf name"),
        "pdf-named.tif": (lambda p: pdf_named(base, p), "PDF with a .tif name"),
        "strip-beyond-eof.tif": (tiff_strip_beyond_eof, "TIFF strip offset past the end"),
        "ifd-loop.tif": (tiff_ifd_loop, "TIFF whose IFD chain loops"),
        "bad-bits.tif": (tiff_bad_bits, "TIFF with 64-bit, 5-sample pixels"),
        "huge-count.tif": (tiff_huge_count, "TIFF tag claiming 2 G values"),
        "huge-header.tif": (tiff_huge_header, "TIFF header claiming 10 G pixels"),
        "random.tif": (random_bytes, "compressed noise named .tif"),
        "truncated.jpg": (truncated_jpeg, "JPEG cut in half"),
        "gif-named.png": (gif_named_png, "GIF with a .png name"),
    }
    for name, (make, _why) in cases.items():
        make(folder / name)
    return {name: why for name, (_make, why) in cases.items()}
