"""The benchmark page's pictures (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

OCR_LABELS = {
    "a_tesseract": "(a) bare tesseract, 1 process/core",
    "a_tesseract_again": "(a) the same, again after the other runs",
    "b_ingest_images": "(b) records ingest, page images",
    "b_ingest_images_warm": "(b) the same, Prefect's local server already running",
    "b_ingest_images_direct": "records ingest --direct, page images",
    "b_ingest_pdfs": "(b) records ingest, image PDFs",
    "c_ocrmypdf_files": "(c) OCRmyPDF, one call per PDF",
    "c_ocrmypdf_one_pdf": "(c) OCRmyPDF, all pages in one PDF",
}


def ocr_throughput(result: dict[str, Any], target: Path) -> Path | None:
    rows = [(OCR_LABELS[k], r["pages_per_minute"]) for k, r in result["runs"].items()
            if k in OCR_LABELS and r.get("pages_per_minute")]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    labels, values = zip(*reversed(rows), strict=True)
    bars = ax.barh(labels, values, color=["#4c72b0" if "(b)" in lab else "#999999"
                                          for lab in labels])
    ax.bar_label(bars, fmt="%.1f", padding=3)
    ax.set_xlabel(f"pages per minute ({result['pages']} A4 pages, 300 dpi, chi_tra+eng)")
    ax.set_xlim(0, max(values) * 1.18)
    return _save(fig, target)


def memory(result: dict[str, Any], target: Path) -> Path | None:
    runs = result.get("runs", {})
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for (pages, run), color in zip(runs.items(), ("#dd8452", "#4c72b0"), strict=False):
        series = run.get("series") or []
        if not series:
            continue
        end = max(s[0] for s in series) or 1.0
        xs = [s[0] / end for s in series]
        ax.plot(xs, [s[1] for s in series], color=color, label=f"{pages} pages: whole tree")
        ax.plot(xs, [s[2] for s in series], color=color, linestyle="--",
                label=f"{pages} pages: Python process")
    ax.set_xlabel("share of the run (0 = start, 1 = end)")
    ax.set_ylabel("resident memory (MB)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_ylim(bottom=0)
    return _save(fig, target)


def search_latency(result: dict[str, Any], target: Path, kinds: tuple[str, ...]) -> Path | None:
    stages = {name: b["stages"][-1] for name, b in result.get("backends", {}).items()
              if b.get("status") == "ok" and b.get("stages")}
    if not stages:
        return None
    clients = [str(c) for c in result["clients"]]
    fig, axes = plt.subplots(1, len(clients), figsize=(10, 3.6), sharey=True, squeeze=False)
    width = 0.8 / len(stages)
    for ax, c in zip(axes[0], clients, strict=True):
        for i, (name, stage) in enumerate(stages.items()):
            cells = [stage["latency"][c][k] for k in kinds]
            xs = [j + i * width for j in range(len(kinds))]
            ax.bar(xs, [x["p50_ms"] for x in cells], width, label=f"{name} p50")
            ax.scatter(xs, [x["p95_ms"] for x in cells], marker="_", s=200, color="black",
                       zorder=3, label="p95" if i == 0 else None)
        ax.set_xticks([j + width * (len(stages) - 1) / 2 for j in range(len(kinds))])
        ax.set_xticklabels([k.replace("_", " ") for k in kinds], rotation=30, fontsize=8)
        ax.set_yscale("log")
        ax.set_title(f"{c} client{'s' if c != '1' else ''}, "
                     f"{next(iter(stages.values()))['pages']:,} pages", fontsize=9)
    axes[0][0].set_ylabel("latency (ms, log scale)")
    axes[0][-1].legend(fontsize=8)
    return _save(fig, target)


def _save(fig: Any, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
