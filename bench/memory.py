"""3. Memory: peak resident memory while ingesting one long and one short scanned PDF.

``records ingest`` runs as a subprocess; the resident memory of its whole process
tree (the Python process, tesseract and pdftoppm children, Prefect's local server)
is sampled every 0.1 s. The PDFs cycle through the OCR benchmark's page images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import pageset
from bench.common import Context, ingest, ratio

MB = 1024 * 1024
MAX_POINTS = 400


def run(ctx: Context) -> dict[str, Any]:
    folder = ctx.path("pages")
    n_images = max(1, min(ctx.sizes.ocr_pages, 20))
    pages = pageset.scanned_pages(folder, n_images, ctx.cores)
    images = [folder / p["file"] for p in pages]
    runs = {}
    for n in ctx.sizes.memory_pages:
        pdf = pageset.long_pdf(images, n, ctx.path("pdfs") / f"long-{n}p.pdf")
        runs[str(n)] = _measure(ctx, pdf, n)
    small, large = (runs[str(n)] for n in ctx.sizes.memory_pages)
    return {
        "status": "ok",
        "runs": runs,
        "tree_growth": ratio(large["peak_tree_mb"], small["peak_tree_mb"]),
        "main_growth": ratio(large["peak_main_mb"], small["peak_main_mb"]),
    }


def _measure(ctx: Context, pdf: Path, pages: int) -> dict[str, Any]:
    ctx.log(f"memory: records ingest of one {pages}-page PDF ({pdf.stat().st_size // MB} MB)")
    result = ingest(ctx, f"memory-{pages}p", [pdf])
    samples = result.pop("_samples")
    return {
        "pages": result["pages"],
        "pdf_mb": round(pdf.stat().st_size / MB, 1),
        "seconds": result["seconds"],
        "pages_per_minute": result["pages_per_minute"],
        "peak_tree_mb": round(result["peak_tree_rss"] / MB, 1),
        "peak_main_mb": round(result["peak_main_rss"] / MB, 1),
        "peak_children_mb": round(result["peak_children_rss"] / MB, 1),
        "peak_children_by_kind_mb": {k: round(v / MB, 1)
                                     for k, v in result.get("peak_roles", {}).items()},
        "series": _downsample(samples),
    }


def _downsample(samples: list[tuple[float, int, int]]) -> list[list[float]]:
    """At most MAX_POINTS (seconds, tree MB, main MB) points, keeping each bucket's peak."""
    if not samples:
        return []
    step = max(1, len(samples) // MAX_POINTS)
    out = []
    for i in range(0, len(samples), step):
        bucket = samples[i : i + step]
        top = max(bucket, key=lambda s: s[1])
        out.append([top[0], round(top[1] / MB, 1), round(max(s[2] for s in bucket) / MB, 1)])
    return out
