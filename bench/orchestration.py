"""4. Orchestration overhead: the same pages through the Prefect flow and called directly.

Both are ``records ingest`` end to end, once as the clerk runs it (Prefect flow,
local task runner) and once with ``--direct`` (the same steps in a thread pool),
on scanned pages (OCR dominates) and on born-digital pages (text layer: almost
no work per page, so orchestration costs show). A one-page run of each gives the
fixed start-up cost, so per-task overhead can be told apart from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import pageset
from bench.common import Context, ingest, ratio
from bench.ocr_throughput import page_set

MODES = {"prefect": (), "direct": ("--direct",)}


def run(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    sets = {
        "startup": [pageset.first_page(ctx.path("digital"), s.orchestration_layer_pages)],
        "born_digital": pageset.born_digital(ctx.path("digital"),
                                             s.orchestration_layer_pages, s.pages_per_pdf),
    }
    runs = {name: _pair(ctx, name, files) for name, files in sets.items()}
    runs["scanned"] = _from_ocr(ctx) or _pair(ctx, "scanned",
                                              page_set(ctx)[0][: s.orchestration_ocr_pages])
    return {"status": "ok", "runs": runs,
            "per_page_overhead_seconds": _per_page(runs, "born_digital"),
            "scanned_ratio": runs["scanned"]["prefect_over_direct"],
            "born_digital_ratio": runs["born_digital"]["prefect_over_direct"]}


def _from_ocr(ctx: Context) -> dict[str, Any] | None:
    """Section 1 already ran the scanned pages both ways, back to back: reuse those runs."""
    runs = ctx.results.get("ocr_throughput", {}).get("runs", {})
    prefect, direct = runs.get("b_ingest_images"), runs.get("b_ingest_images_direct")
    if not (prefect and direct):
        return None
    return {"files": prefect["pages"], "pages": direct["pages"], "prefect": prefect,
            "direct": direct, "prefect_over_direct": ratio(prefect["seconds"],
                                                           direct["seconds"]),
            "from": "ocr_throughput"}


def _pair(ctx: Context, name: str, files: list[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {"files": len(files)}
    for mode, flags in MODES.items():
        ctx.log(f"orchestration: {name} pages, {mode}")
        result = ingest(ctx, f"orch-{name}-{mode}", files, *flags)
        result.pop("_samples", None)
        out[mode] = result
    out["pages"] = out["direct"]["pages"]
    out["prefect_over_direct"] = ratio(out["prefect"]["seconds"], out["direct"]["seconds"])
    return out


def _per_page(runs: dict[str, Any], name: str) -> float | None:
    """Extra seconds per page under Prefect once the fixed start-up cost is taken out."""
    r, s = runs[name], runs["startup"]
    extra = ((r["prefect"]["seconds"] - s["prefect"]["seconds"])
             - (r["direct"]["seconds"] - s["direct"]["seconds"]))
    pages = r["pages"] - s["pages"]
    return round(extra / pages, 4) if pages > 0 else None
