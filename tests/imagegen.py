"""Small synthetic scans for tests: real glyphs from Debian's Noto CJK fonts."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
TC_INDEX = 3  # Noto Sans CJK TC inside the collection


def page(
    lines: list[str], size: tuple[int, int] = (1700, 700), rotate: int = 0, skew: float = 0.0
) -> Image.Image:
    """A grayscale strip of text at 300 dpi (glyphs ~50 px, like 12 pt)."""
    font = ImageFont.truetype(FONT, 50, index=TC_INDEX)
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((80, 80 + i * 90), line, font=font, fill=0)
    if skew:
        img = img.rotate(skew, fillcolor=255, resample=Image.Resampling.BICUBIC)
    return img.rotate(-rotate, expand=True, fillcolor=255) if rotate else img


def save_png(img: Image.Image, path: Path) -> Path:
    img.save(path, dpi=(300, 300))
    return path


def save_pdf(images: list[Image.Image], path: Path) -> Path:
    """An image-only (scanned) PDF."""
    images[0].save(path, save_all=True, append_images=images[1:], resolution=300)
    return path


def save_g4_tiff(images: list[Image.Image], path: Path) -> Path:
    bilevel = [im.point(lambda v: 255 if v > 128 else 0).convert("1") for im in images]
    bilevel[0].save(
        path, save_all=True, append_images=bilevel[1:], compression="group4", dpi=(300, 300)
    )
    return path


def encrypt_pdf(src: Path, dest: Path) -> Path:
    with pikepdf.open(src) as pdf:
        pdf.save(dest, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return dest


def png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny PNG whose header claims an enormous image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path
