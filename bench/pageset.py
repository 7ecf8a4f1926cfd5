"""The benchmark's own scanned and born-digital pages, generated once and cached.

Pages reuse the layouts of ``scripts/make_samples.py`` (the 20 scanned pages of the
sample batch: official letters, memos, forms, tables, an English letter), each
rendered again with its own seeded scanner faults (skew, blur, speckle, uneven
paper), so page *i* is the same on every machine. A4 at 300 dpi, grayscale JPEG
(quality 85) as a scanning station writes them; the PDFs embed those JPEG bytes
unchanged (img2pdf), so every tool reads identical pixels.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import img2pdf
import numpy as np
import pikepdf

from bench.common import ROOT

SEED = 20240715
JPEG_QUALITY = 85
VERSION = 1  # bump when the generated pages change


@cache
def samples_module() -> ModuleType:
    """``scripts/make_samples.py`` imported as a module (it is a script, not a package)."""
    path = ROOT / "scripts" / "make_samples.py"
    spec = importlib.util.spec_from_file_location("bench_make_samples", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Layout:
    """One laid-out page of a sample document."""

    doc: str
    index: int
    style: str
    items: tuple[Any, ...]


@cache
def scanned_layouts() -> tuple[Layout, ...]:
    ms = samples_module()
    out = []
    for doc in ms.all_docs():
        if doc.fmt == "born-digital":
            continue
        for i, items in enumerate(ms.layout(doc.blocks, doc.style)):
            out.append(Layout(doc.file, i, doc.style, tuple(items)))
    return tuple(out)


def faults(i: int) -> Any:
    """Page ``i``'s scanner faults: a little skew and noise, never a 90° turn."""
    rng = np.random.default_rng(SEED + i)
    skew = round(float(rng.uniform(-2.5, 2.5)), 1)
    return samples_module().Fx(
        skew=skew if abs(skew) >= 0.2 else 0.3,
        blur=round(float(rng.uniform(0.0, 0.7)), 2),
        speckle=int(rng.integers(0, 400)),
        uneven=round(float(rng.uniform(0.0, 12.0)), 1),
        paper=int(rng.integers(240, 252)),
    )


def _render_page(args: tuple[int, str]) -> dict[str, Any]:
    i, target = args
    ms = samples_module()
    lay = scanned_layouts()[i % len(scanned_layouts())]
    fx = faults(i)
    rng = np.random.default_rng(zlib.crc32(f"{lay.doc}#{lay.index}".encode()) ^ (SEED + i))
    image = ms.scan(ms.render(lay.items, lay.style), fx, rng)
    image.save(target, quality=JPEG_QUALITY, dpi=(ms.DPI, ms.DPI))
    return {"file": Path(target).name, "source": f"{lay.doc}#p{lay.index + 1}",
            "skew": fx.skew, "text": ms.page_text(lay.items)}


def scanned_pages(folder: Path, count: int, workers: int) -> list[dict[str, Any]]:
    """``count`` page JPEGs in ``folder`` (made or reused) and their ground truth."""
    folder.mkdir(parents=True, exist_ok=True)
    index_file = folder / "pages.json"
    known = _cached_index(index_file)
    todo = [(i, str(folder / f"page-{i:04d}.jpg")) for i in range(count)
            if i >= len(known) or not (folder / known[i]["file"]).exists()]
    if todo:
        made = {r["file"]: r for r in _render_all(todo, workers)}
        known = [made.get(f"page-{i:04d}.jpg") or known[i] for i in range(count)]
        index_file.write_text(json.dumps({"version": VERSION, "pages": known},
                                         ensure_ascii=False), encoding="utf-8")
    return known[:count]


def _render_all(todo: list[tuple[int, str]], workers: int) -> list[dict[str, Any]]:
    if len(todo) == 1 or workers <= 1:
        return [_render_page(t) for t in todo]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_render_page, todo))


def _cached_index(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["pages"]) if data.get("version") == VERSION else []


def image_pdfs(images: list[Path], folder: Path, per_file: int) -> list[Path]:
    """Image-only PDFs of ``per_file`` pages each, the JPEG bytes embedded unchanged."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, group in enumerate(_groups(images, per_file)):
        target = folder / f"scan-{n:04d}.pdf"
        if not target.exists() or target.stat().st_mtime < max(p.stat().st_mtime for p in group):
            target.write_bytes(img2pdf.convert([str(p) for p in group]))
        out.append(target)
    return out


def _groups(items: list[Path], size: int) -> Iterator[list[Path]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def long_pdf(images: list[Path], pages: int, target: Path) -> Path:
    """One scanned PDF of ``pages`` pages, cycling through ``images``."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        chosen = [str(images[i % len(images)]) for i in range(pages)]
        target.write_bytes(img2pdf.convert(chosen))
    return target


# -- born-digital PDFs: the same layouts with a real text layer --------------------------------


def born_digital(folder: Path, pages: int, per_file: int) -> list[Path]:
    """PDFs of ``per_file`` pages with a text layer (fpdf2, Noto CJK TC), ``pages`` in all.

    One master PDF is written (embedding the CJK font once is the slow part) and
    split; a distinct title keeps every file's bytes unique.
    """
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / f"master-{pages}p.pdf"
    if not master.exists():
        layouts = scanned_layouts()
        _write_born_digital([layouts[i % len(layouts)] for i in range(pages)], master)
    return _split(master, folder / f"split-{pages}p-{per_file}", per_file)


def first_page(folder: Path, pages: int) -> Path:
    """A one-page PDF: the first page of the ``pages``-page master (made by born_digital)."""
    born_digital(folder, pages, pages)
    target = folder / f"first-of-{pages}p.pdf"
    if not target.exists():
        with pikepdf.open(folder / f"master-{pages}p.pdf") as src, pikepdf.new() as pdf:
            pdf.pages.append(src.pages[0])
            pdf.docinfo["/Title"] = "Secretariat report, first page"
            pdf.save(target, deterministic_id=True)
    return target


def _split(master: Path, folder: Path, per_file: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    with pikepdf.open(master) as src:
        for n, start in enumerate(range(0, len(src.pages), per_file)):
            target = folder / f"digital-{n:04d}.pdf"
            if not target.exists():
                with pikepdf.new() as pdf:
                    pdf.pages.extend(src.pages[start : start + per_file])
                    pdf.docinfo["/Title"] = f"Secretariat report {n}"
                    pdf.save(target, deterministic_id=True)
            out.append(target)
    return out


def _write_born_digital(layouts: list[Layout], path: Path) -> None:
    from fpdf import FPDF

    ms = samples_module()
    pdf = FPDF(unit=72 / ms.DPI, format=(ms.PAGE_W, ms.PAGE_H))
    pdf.set_creation_date(datetime(2024, 7, 15, 9, 0, tzinfo=UTC))
    for bold in (False, True):
        file, index = ms.font_file("serif", bold)
        pdf.add_font("tc", "B" if bold else "", file, collection_font_number=index)
    pdf.set_auto_page_break(False)
    for lay in layouts:
        pdf.add_page()
        for item in lay.items:
            ms.pdf_item(pdf, item)
    pdf.output(str(path))


def digest(paths: list[Path]) -> str:
    """A short fingerprint of a set of files (to show two tools read the same input)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]
