"""The benchmarks run end to end at their tiniest size and render the page (no timings checked).

The ingest runs in-process and directly (no Prefect server per call), and a stand-in
OCR engine replaces tesseract inside the pipeline, so the whole suite of benchmarks
takes seconds; bare tesseract still runs for real, OCRmyPDF not at all (`--quick` runs it).
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from bench import born_digital, memory, ocr_throughput, orchestration, report, run, tesseract_meter
from bench.common import TINY, Context, per_minute, run_measured
from pipeline._exec import tesseract
from pipeline.archive import Archive
from pipeline.batch import page_options, run_direct
from pipeline.intake import InputFile
from tests.conftest import make_settings
from tests.imagegen import page, save_png

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None,
    reason="the bench extra is not installed: pip install -e '.[bench]'",
)


def _blank_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        pdf.save(out)
    return out.getvalue()


def fake_ocr(
    image_path: Path, lang: str, timeout: float, dpi: int = 300, layout: str | None = None,
    *, invert: bool = True,
) -> tesseract.OcrResult:
    words = [tesseract.Word("臺南市政府", 10, 10, 200, 50, 95.0, (1, 1, 1, 1)),
             tesseract.Word("records", 220, 10, 150, 50, 95.0, (1, 1, 1, 1))]
    return tesseract.OcrResult(words, _blank_pdf())


def fake_ocrmypdf(ctx: Context, name: str, pdfs: list[Path]) -> dict[str, Any]:
    return {"seconds": 2.0, "pages": len(pdfs), "files": len(pdfs), "pages_per_minute": 30.0,
            "peak_tree_rss": 1 << 20, "pages_with_text": len(pdfs), "flags": "--jobs 2"}


def fake_ingest(ctx: Context, name: str, inputs: list[Path], *flags: str) -> dict[str, Any]:
    """``records ingest`` in-process and direct, shaped like ``bench.common.ingest``."""
    home = ctx.fresh(name)
    archive = Archive.open(make_settings(home))
    try:
        opts = page_options(archive, None, "--force-ocr" in flags)
        items = [InputFile(p, p.name) for p in inputs]
        summary = run_direct(archive, items, [str(p) for p in inputs], opts, None).to_dict()
    finally:
        archive.close()
    return {"seconds": 1.0, "pages": summary["pages"], "documents": summary["documents"],
            "pages_per_minute": per_minute(summary["pages"], 1.0), "peak_tree_rss": 2 << 20,
            "peak_main_rss": 1 << 20, "peak_children_rss": 1 << 20,
            "_samples": [(0.0, 1 << 20, 1 << 20), (1.0, 2 << 20, 1 << 20)]}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    mp = pytest.MonkeyPatch()
    mp.setattr(tesseract, "ocr", fake_ocr)
    for module in (ocr_throughput, born_digital, memory, orchestration):
        mp.setattr(module, "ingest", fake_ingest)
    mp.setattr(ocr_throughput, "ocrmypdf", fake_ocrmypdf)  # a real run takes ~10 s a page
    mp.delenv("RECORDS_SEARCH_URL", raising=False)
    work = tmp_path_factory.mktemp("bench")
    mp.setenv("RECORDS_REAL_SCANS", str(work / "no-real-scans"))  # as on a fresh clone
    ctx = Context(TINY, work, cores=2, log=lambda msg: None)
    try:
        out = run.run_all(ctx, list(run.MODULES), work / "benchmarks.md")
        report.write(out, work / "benchmarks.md")
    finally:
        mp.undo()
    return out


@pytest.mark.parametrize("name", list(run.MODULES))
def test_each_benchmark_runs(results: dict[str, Any], name: str) -> None:
    result = results["results"][name]
    expected = "skipped" if name == "real_scans" else "ok"  # its corpus is not in the repo
    assert result["status"] == expected, result.get("reason")


def test_page_renders_every_section(results: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "docs" / "benchmarks.md"
    report.write(results, out)
    text = out.read_text(encoding="utf-8")
    for title in ("## How to run", "## Machine and versions", "## Headline",
                  "## 1. OCR throughput", "## 2. Born-digital PDFs", "## 3. Memory",
                  "## 4. Orchestration overhead", "## 5. Search at scale", "## 6. Accuracy",
                  "## 7. Where a figure is far from its goal"):
        assert title in text
    assert "b/a =" in text and "b/c =" in text
    assert (tmp_path / "docs" / "img" / "ocr_throughput.png").stat().st_size > 0
    assert (tmp_path / "docs" / "img" / "memory.png").stat().st_size > 0


def test_search_measures_every_query_kind(results: dict[str, Any]) -> None:
    stage = results["results"]["search_scale"]["backends"]["embedded"]["stages"][0]
    assert stage["load"]["pages"] == TINY.search_checkpoints[0]
    for clients in ("1", "8"):
        assert set(stage["latency"][clients]) == {"one_term", "two_terms", "phrase", "zh_2char",
                                                  "zh_4char", "filtered"}


def test_measured_subprocess_samples_memory() -> None:
    m = run_measured(["python3", "-c", "import time; x = bytearray(30 << 20); time.sleep(0.5)"])
    assert m.returncode == 0
    assert m.peak_tree_rss >= 30 << 20


def test_the_tesseract_meter_logs_each_real_call_by_kind(tmp_path: Path) -> None:
    """Calls through the meter run the real program and are counted by kind."""
    env, log = tesseract_meter.metered_env(tmp_path / "meter")
    image = save_png(page(["檔案管理 records"]), tmp_path / "p.png")
    full = {**os.environ, **env, "OMP_THREAD_LIMIT": "1"}
    read = subprocess.run(["tesseract", str(image), "-", "-l", "eng"], env=full,
                          capture_output=True, check=True)
    subprocess.run(["tesseract", "--version"], env=full, capture_output=True, check=True)
    assert b"records" in read.stdout
    got = tesseract_meter.totals(log)
    assert {k: v["calls"] for k, v in got["by_kind"].items()} == {"reading": 1, "other": 1}
    assert got["by_kind"]["reading"]["cpu_seconds"] > 0
    assert tesseract_meter.kind(["x.png", "-", "--psm", "0", "-l", "osd"]) == "orientation"
