"""8. Real scans: bare Tesseract, OCRmyPDF and our ingest on pages nobody here produced.

Reads ``../shared/corpus/real_scans/`` beside the checkout (or ``RECORDS_REAL_SCANS``)
when it exists, and says so and skips when it does not: those pages are licensed for
research use and are not part of the repository. Per folder, each tool reads every
page image once; the character error rate is measured as
``../shared/tools/ocr_compare.py`` measures it (NFKC, whitespace collapsed; Chinese
without whitespace; receipts case-folded), and pages per minute include each tool's
start-up (our ingest: one batch, Prefect, store, archival PDF and index).
``RECORDS_REAL_SCANS_FOLDERS=funsd_train,zh_dev`` measures some folders only.
The single-page images of ``sample_scans/`` (ours, in the repository) are measured the
same way, as the folder ``sample_scans``, so the product is held to bare Tesseract there too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from bench import tesseract_meter
from bench.common import ROOT, Context, ingest, per_minute, ratio

#: folder -> (tesseract language, compare case-insensitively)
FOLDERS = {"funsd_train": ("eng", False), "sroie_dev": ("eng", True),
           "zh_dev": ("chi_tra+eng", False)}
IMAGES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
OCRMYPDF_FLAGS = ("--rotate-pages", "--deskew", "--image-dpi", "300", "--output-type", "pdf",
                  "--tesseract-timeout", "1800")


def corpus() -> Path:
    return Path(os.environ.get("RECORDS_REAL_SCANS", ROOT.parent / "shared" / "corpus"
                               / "real_scans"))


def run(ctx: Context) -> dict[str, Any]:
    root = corpus()
    if not root.is_dir():
        ctx.log(f"real scans: {root} does not exist; skipped")
        return {"status": "skipped", "reason": f"{root} not present (licensed corpus, not "
                                                "in the repository)"}
    wanted = os.environ.get("RECORDS_REAL_SCANS_FOLDERS")
    names = wanted.split(",") if wanted else list(FOLDERS)
    folders = {name: folder(ctx, root / name, *FOLDERS[name]) for name in names
               if name in FOLDERS and (root / name).is_dir()}
    if not wanted or "sample_scans" in names:
        folders["sample_scans"] = folder(ctx, samples_folder(ctx), "chi_tra+eng", False)
    return {"status": "ok", "corpus": str(root), "folders": folders}


def samples_folder(ctx: Context) -> Path:
    """sample_scans' single-page image files beside their ground truth, as real_scans lays out."""
    out = ctx.fresh("real-samples")
    samples = ROOT / "sample_scans"
    for entry in json.loads((samples / "ground_truth.json").read_text(encoding="utf-8")):
        source = samples / entry["file"]
        if source.suffix.lower() in IMAGES and len(entry["pages"]) == 1:
            (out / source.name).symlink_to(source.resolve())
            (out / f"{source.stem}.gt.txt").write_text(entry["pages"][0]["text"], encoding="utf-8")
    return out


def folder(ctx: Context, path: Path, lang: str, nocase: bool) -> dict[str, Any]:
    images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGES)
    truth = {p.name: (path / f"{p.stem}.gt.txt").read_text(errors="replace") for p in images}
    ctx.log(f"real scans: {path.name}, {len(images)} pages")
    runs = {"bare_tesseract": bare(ctx, path.name, images, lang),
            "ocrmypdf": ocrmypdf(ctx, path.name, images, lang),
            "ingest": records_ingest(ctx, path.name, images, lang)}
    for result in runs.values():
        texts = result.pop("_texts", None)
        if texts is not None:
            result["cer"] = mean_cer(texts, truth, lang, nocase)
    return {"pages": len(images), "lang": lang, "case_insensitive": nocase, "runs": runs,
            "ingest_over_bare": ratio(runs["ingest"].get("pages_per_minute"),
                                      runs["bare_tesseract"].get("pages_per_minute")),
            "tesseract_cpu": tesseract_cpu(ctx, path.name, images, lang)}


def tesseract_cpu(ctx: Context, name: str, images: list[Path], lang: str) -> dict[str, Any]:
    """Tesseract's CPU seconds in bare Tesseract's run and in our ingest's, metered in runs of
    their own (:mod:`bench.tesseract_meter`): their ratio is the ingest's best possible
    speed against bare Tesseract, were all its other work free."""
    env, log = tesseract_meter.metered_env(ctx.fresh(f"meter-bare-{name}"))
    bare(ctx, f"metered-{name}", images, lang, {**os.environ, **env})
    plain = tesseract_meter.totals(log)
    env, log = tesseract_meter.metered_env(ctx.fresh(f"meter-ingest-{name}"))
    records_ingest(ctx, f"metered-{name}", images, lang, env)
    ours = tesseract_meter.totals(log)
    return {"bare": plain, "ingest": ours,
            "ceiling": ratio(plain["cpu_seconds"], ours["cpu_seconds"])}


def bare(ctx: Context, name: str, images: list[Path], lang: str,
         env: dict[str, str] | None = None) -> dict[str, Any]:
    """``tesseract IMG OUT -l LANG txt pdf``, one single-threaded process per core."""
    out = ctx.fresh(f"real-bare-{name}")
    env = {**(os.environ if env is None else env), "OMP_THREAD_LIMIT": "1"}

    def one(image: Path) -> tuple[str, str]:
        base = out / image.stem
        subprocess.run(["tesseract", str(image), str(base), "-l", lang, "txt", "pdf"], env=env,
                       capture_output=True, check=False)
        return image.name, _read(base.with_suffix(".txt"))

    return _timed(ctx, images, one)


def ocrmypdf(ctx: Context, name: str, images: list[Path], lang: str) -> dict[str, Any]:
    """OCRmyPDF with rotation and deskew, one single-job process per core, text sidecar."""
    out = ctx.fresh(f"real-ocrmypdf-{name}")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(image: Path) -> tuple[str, str]:
        sidecar = out / f"{image.stem}.txt"
        cmd = [sys.executable, "-m", "ocrmypdf", "--jobs", "1", "-l", lang, *OCRMYPDF_FLAGS,
               "--sidecar", str(sidecar), str(image), str(out / f"{image.stem}.pdf")]
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        return image.name, _read(sidecar)

    return _timed(ctx, images, one)


def records_ingest(ctx: Context, name: str, images: list[Path], lang: str,
                   env: dict[str, str] | None = None) -> dict[str, Any]:
    """The folder as one ``records ingest`` batch (Prefect), pages read back from the archive."""
    inputs = ctx.fresh(f"real-input-{name}")
    for image in images:
        (inputs / image.name).symlink_to(image.resolve())
    result = ingest(ctx, f"real-ingest-{name}", [inputs], "--lang", lang, env=env)
    result.pop("_samples", None)
    result["_texts"] = stored_texts(ctx.work / "runs" / f"real-ingest-{name}")
    return result


def stored_texts(home: Path) -> dict[str, str]:
    from sqlalchemy import select

    from pipeline.archive import Archive
    from pipeline.db.models import Document
    from pipeline.settings import Settings

    archive = Archive.open(Settings(home=home, database_url="", search_url="", workers=1))
    try:
        with archive.session() as session:
            return {d.original_name: "\n".join(p.text for p in d.pages)
                    for d in session.scalars(select(Document))}
    finally:
        archive.close()


def _timed(ctx: Context, images: list[Path], one: Any) -> dict[str, Any]:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=ctx.cores) as pool:
        texts = dict(pool.map(one, images))
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "pages": len(images),
            "pages_per_minute": per_minute(len(images), seconds), "_texts": texts}


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def normalise(text: str, lang: str, nocase: bool) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text) if lang.startswith("chi") else re.sub(r"\s+", " ",
                                                                          text).strip()
    return text.casefold() if nocase else text


def mean_cer(texts: dict[str, str], truth: dict[str, str], lang: str, nocase: bool) -> float:
    """Mean over pages of edit distance / ground-truth length (a missing page counts 1.0)."""
    rates = []
    for name, ref in truth.items():
        r = normalise(ref, lang, nocase)
        h = normalise(texts[name], lang, nocase) if name in texts else None
        rates.append(1.0 if h is None else Levenshtein.distance(h, r) / max(1, len(r)))
    return round(sum(rates) / max(1, len(rates)), 4)
