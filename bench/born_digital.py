"""2. Born-digital PDFs: pages per minute with text-layer detection vs forced OCR."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bench import pageset
from bench.common import Context, ingest, per_minute, ratio


def run(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    pdfs = pageset.born_digital(ctx.path("digital"), s.born_digital_pages, s.pages_per_pdf)
    ctx.log(f"born-digital: {s.born_digital_pages} pages in {len(pdfs)} PDFs")
    startup = _startup(ctx)
    layer = _run(ctx, "digital-layer", pdfs)
    forced = _run(ctx, "digital-forced", pdfs, "--force-ocr")
    for r in (layer, forced):
        r["pages_per_minute_after_startup"] = _steady(r, startup)
    return {
        "status": "ok",
        "pages": layer["pages"],
        "files": len(pdfs),
        "startup": startup,
        "text_layer": layer,
        "forced_ocr": forced,
        "layer_over_forced": ratio(layer["pages_per_minute"], forced["pages_per_minute"]),
    }


def _startup(ctx: Context) -> dict[str, Any]:
    """A one-page PDF end to end: section 4's run if it was made, else one of our own."""
    orch = ctx.results.get("orchestration", {})
    if orch.get("status") == "ok":
        return dict(orch["runs"]["startup"]["prefect"])
    one = [pageset.first_page(ctx.path("digital"), ctx.sizes.born_digital_pages)]
    return _run(ctx, "digital-startup", one)


def _run(ctx: Context, name: str, pdfs: list[Path], *flags: str) -> dict[str, Any]:
    ctx.log(f"born-digital: records ingest {' '.join(flags)} ({name})")
    result = ingest(ctx, name, pdfs, *flags)
    result.pop("_samples", None)
    result["page_sources"] = page_sources(ctx.work / "runs" / name)
    return result


def _steady(run: dict[str, Any], startup: dict[str, Any]) -> float | None:
    """Pages per minute once the command is up (the one-page run's time subtracted)."""
    seconds = run["seconds"] - startup["seconds"]
    pages = run["pages"] - startup["pages"]
    return per_minute(pages, seconds) if seconds > 0 and pages > 0 else None


def page_sources(home: Path) -> dict[str, int]:
    """How many stored pages came from OCR and from a text layer."""
    with sqlite3.connect(home / "records.db") as db:
        rows = db.execute("SELECT source, count(*) FROM pages GROUP BY source").fetchall()
    return {str(k): int(v) for k, v in rows}
