"""1. OCR throughput on one set of scanned pages: bare tesseract, our ingest, OCRmyPDF.

(a) ``tesseract`` alone, one single-threaded process per core, producing what our
ingest asks tesseract for (word boxes as TSV plus a searchable PDF page): the
practical limit of the machine. (b) ``records ingest`` end to end, as a clerk runs
it (Prefect, embedded index), on the page images and on the same pages as
image-only PDFs. (c) OCRmyPDF with ``--jobs`` = cores, rotation and deskew on, on
the same PDFs (one call per file, as a batch is run) and on all pages in one PDF.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import pageset
from bench.common import LANG, Context, ingest, per_minute, ratio, run_measured
from flows import local_server
from pipeline.settings import Settings

#: rotation and deskew as our ingest does; a generous tesseract timeout, because OCRmyPDF
#: silently skips the OCR of a page that exceeds it (default 180 s) on a loaded machine
OCRMYPDF_FLAGS = ("--rotate-pages", "--deskew", "--output-type", "pdf",
                  "--tesseract-timeout", "1800")


#: the port of the local Prefect server a batch keeps running (the default settings')
PREFECT_PORT: int = Settings.model_fields["prefect_port"].default


def page_set(ctx: Context) -> tuple[list[Path], list[Path]]:
    """The page images and the same pages as image-only PDFs."""
    n = ctx.sizes.ocr_pages
    folder = ctx.path("pages")
    pages = pageset.scanned_pages(folder, n, ctx.cores)
    images = [folder / p["file"] for p in pages]
    pdfs = pageset.image_pdfs(images, ctx.path("pdfs", f"{n}p"), ctx.sizes.pages_per_pdf)
    return images, pdfs


def run(ctx: Context) -> dict[str, Any]:
    images, pdfs = page_set(ctx)
    n = len(images)
    ctx.log(f"ocr: {n} pages, {len(pdfs)} PDFs")
    runs: dict[str, Any] = {}
    server_before = "running" if local_server.probe(PREFECT_PORT) else "started by this batch"
    runs["a_tesseract"] = bare_tesseract(ctx, images)
    runs["b_ingest_images"] = _ingest_run(ctx, "ocr-ingest-images", images)
    runs["b_ingest_images"]["prefect_server"] = server_before
    # a later batch of the day finds the local Prefect server the first one left running
    runs["b_ingest_images_warm"] = _ingest_run(ctx, "ocr-ingest-images-warm", images)
    runs["b_ingest_images_direct"] = _ingest_run(ctx, "ocr-ingest-images-direct", images,
                                                 "--direct")
    runs["b_ingest_pdfs"] = _ingest_run(ctx, "ocr-ingest-pdfs", pdfs)
    runs.update(ocrmypdf_runs(ctx, images, pdfs))
    runs["a_tesseract_again"] = bare_tesseract(ctx, images)  # brackets the noise of a shared box
    a = _mean(_rate(runs, "a_tesseract"), _rate(runs, "a_tesseract_again"))
    return {
        "status": "ok",
        "pages": n,
        "pdf_files": len(pdfs),
        "input_digest": pageset.digest(images),
        "runs": runs,
        "a_pages_per_minute": a,
        "b_over_a": ratio(_rate(runs, "b_ingest_images"), a),
        "b_warm_over_a": ratio(_rate(runs, "b_ingest_images_warm"), a),
        "b_direct_over_a": ratio(_rate(runs, "b_ingest_images_direct"), a),
        "b_over_c": ratio(_rate(runs, "b_ingest_pdfs"), _rate(runs, "c_ocrmypdf_files")),
        "b_over_c_one_pdf": ratio(_rate(runs, "b_ingest_pdfs"), _rate(runs, "c_ocrmypdf_one_pdf")),
        "profile": stage_profile(ctx, images[: ctx.sizes.profile_pages]),
    }


def _mean(*values: float | None) -> float | None:
    known = [v for v in values if v]
    return round(sum(known) / len(known), 2) if known else None


def _rate(runs: dict[str, Any], key: str) -> float | None:
    value = runs.get(key, {}).get("pages_per_minute")
    return float(value) if value else None


def _ingest_run(ctx: Context, name: str, inputs: list[Path], *flags: str) -> dict[str, Any]:
    ctx.log(f"ocr: records ingest ({name})")
    result = ingest(ctx, name, inputs, *flags)
    result.pop("_samples", None)
    return result


# -- (a) bare tesseract ---------------------------------------------------------------------


def tesseract_page(image: Path, out_base: Path) -> None:
    """What our ingest asks of tesseract for one page: TSV word boxes and a PDF page."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    cmd = ["tesseract", str(image), str(out_base), "-l", LANG, "-c", "tessedit_create_tsv=1",
           "pdf"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)


def bare_tesseract(ctx: Context, images: list[Path]) -> dict[str, Any]:
    ctx.log(f"ocr: bare tesseract, {ctx.cores} processes")
    out = ctx.fresh("ocr-bare")
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=ctx.cores) as pool:
        list(pool.map(lambda p: tesseract_page(p, out / p.stem), images))
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "pages": len(images),
            "pages_per_minute": per_minute(len(images), seconds), "processes": ctx.cores}


# -- (c) OCRmyPDF ---------------------------------------------------------------------------


def ocrmypdf_runs(ctx: Context, images: list[Path], pdfs: list[Path]) -> dict[str, Any]:
    if importlib.util.find_spec("ocrmypdf") is None:
        reason = "ocrmypdf is not installed (pip install -e '.[bench]')"
        return {"c_ocrmypdf_files": {"status": "not measured", "reason": reason}}
    runs = {"c_ocrmypdf_files": ocrmypdf(ctx, "ocrmypdf-files", pdfs)}
    if ctx.sizes.ocrmypdf_one_pdf:
        one = pageset.long_pdf(images, len(images), ctx.path("pdfs") / f"all-{len(images)}p.pdf")
        runs["c_ocrmypdf_one_pdf"] = ocrmypdf(ctx, "ocrmypdf-one", [one])
    return runs


def ocrmypdf(ctx: Context, name: str, pdfs: list[Path]) -> dict[str, Any]:
    """OCRmyPDF on each PDF in turn (``--jobs`` = cores), its searchable PDF as output."""
    ctx.log(f"ocr: ocrmypdf ({name}, {len(pdfs)} files)")
    out = ctx.fresh(name)
    # OCRmyPDF picks tesseract's thread count itself, as a user running it gets
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    pages, seconds, peak, with_text = 0, 0.0, 0, 0
    for pdf in pdfs:
        cmd = [sys.executable, "-m", "ocrmypdf", "--jobs", str(ctx.cores), "-l", LANG,
               *OCRMYPDF_FLAGS, str(pdf), str(out / pdf.name)]
        m = run_measured(cmd, env=env).check(f"ocrmypdf {pdf.name}")
        seconds += m.seconds
        peak = max(peak, m.peak_tree_rss)
        counts = _text_pages(out / pdf.name)
        pages, with_text = pages + counts[0], with_text + counts[1]
    return {"seconds": round(seconds, 2), "pages": pages, "files": len(pdfs),
            "pages_per_minute": per_minute(pages, seconds), "peak_tree_rss": peak,
            "pages_with_text": with_text,
            "flags": " ".join(("--jobs", str(ctx.cores), "-l", LANG, *OCRMYPDF_FLAGS))}


def _text_pages(pdf: Path) -> tuple[int, int]:
    """(pages, pages with a text layer of at least 20 characters) of OCRmyPDF's output."""
    from pipeline._exec import poppler
    from pipeline.pages import layer_char_count

    layers = poppler.text_layer(pdf, 120)
    return len(layers), sum(1 for lp in layers if layer_char_count(lp) >= 20)


# -- where a page's time goes inside our ingest ----------------------------------------------


def stage_profile(ctx: Context, images: list[Path]) -> dict[str, Any]:
    """Seconds per page of each step of ``pipeline.pages.ocr_image``, one page at a time."""
    from pipeline import imaging
    from pipeline._exec import tesseract

    work = ctx.fresh("ocr-profile")
    totals: dict[str, float] = {}
    needed, bare = 0, 0.0
    if images:  # untimed: a process's first OpenCV calls pay a one-time set-up (about
        # 0.05 s on the first page here) that a batch's worker pays once, not per page
        _profile_page(images[0], work, imaging, tesseract)
    for image in images:
        times, again = _profile_page(image, work, imaging, tesseract)
        needed += again
        for stage, seconds in times.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
        # bare tesseract on the same page, one at a time too: the 40-page mean of (a) is
        # over other pages, and the profiled pages are not an average sample of them
        start = time.perf_counter()
        tesseract_page(image, work / f"{image.stem}-bare")
        bare += time.perf_counter() - start
    n = max(1, len(images))
    per_page = {k: round(v / n, 3) for k, v in totals.items()}
    return {"pages": len(images), "seconds_per_page": per_page,
            "total_per_page": round(sum(per_page.values()), 3), "reread_pages": needed,
            "bare_tesseract_per_page": round(bare / n, 3)}


def _profile_page(image: Path, work: Path, imaging: Any,
                  tesseract: Any) -> tuple[dict[str, float], bool]:
    """The steps of ``ocr_image`` for an upright page, and whether it would be read again."""
    from pipeline.pages import doubtful, words_to_text

    times: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[stage] = now - t
        t = now

    with imaging.open_image(image, 150_000_000) as img:
        dpi = imaging.file_resolution(img)
        frame = imaging.load_frame(img, 0, 150_000_000)
    lap("decode")
    prepared = imaging.prepare(frame, dpi)
    lap("examine, enlarge or despeckle")
    angle = imaging.find_skew(prepared.image)
    lap("skew")
    frame = imaging.deskew(prepared.image, angle)
    lap("deskew")
    path = imaging.save_for_ocr(frame, work / image.stem, prepared.dpi)
    lap("save for OCR")
    result = tesseract.ocr(path, LANG, 300, prepared.dpi, invert=prepared.panels)
    lap("OCR (tesseract)")
    conf = words_to_text(result.words)[2]
    return times, doubtful(conf, len(result.words))
