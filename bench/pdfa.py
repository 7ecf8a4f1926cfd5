"""PDF/A archival copies: ours (pikepdf) against Ghostscript and OCRmyPDF, judged by veraPDF.

    .venv/bin/python -m bench.pdfa                    # sample_scans/ + 12 benchmark pages
    .venv/bin/python -m bench.pdfa --bench-pages 4 --out bench/out/pdfa.md

Runs on its own (``bench.run`` keeps the section it writes). Each scanned document is
OCR'd once by the pipeline's own page step into the searchable PDF the ingest assembles
(cached under ``--work``); from that same PDF three PDF/A copies are made and timed:

- **ours**: ``pipeline.finalize.write_pdfa`` (pikepdf; bilevel pages back to CCITT G4);
- **Ghostscript** with OCRmyPDF's arguments (``pdfwrite -dPDFA=2``, sRGB, lossless);
- **OCRmyPDF** ``--skip-text --output-type pdfa-2`` (its PDF/A step alone).

OCRmyPDF is also run end to end on the original images (``--output-type pdfa-2``), which is
what a user of OCRmyPDF would store: its bytes per page are the size comparison. veraPDF
judges every copy against PDF/A-2B in one run; ``pdftotext`` says whether the text layer
survived. No time is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf

from bench import pageset
from bench.common import ROOT
from pipeline import pdfa
from pipeline._exec import verapdf
from pipeline.finalize import write_pdfa
from pipeline.pages import PageOptions, PageResult, process_image_page, process_pdf_page
from pipeline.settings import REPO_VERAPDF_DIR

START, END = "<!-- bench.pdfa -->", "<!-- /bench.pdfa -->"
SAMPLES = ROOT / "sample_scans"
METHODS = ("ours", "ghostscript", "ocrmypdf_step")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.pdfa", description=__doc__.splitlines()[0])
    p.add_argument("--bench-pages", type=int, default=12, help="benchmark pages (synthetic)")
    p.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "pdfa")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--workers", type=int, default=2)
    return p.parse_args(argv)


# ── inputs: one searchable PDF per scanned document, as the ingest assembles it ──


def sample_inputs() -> list[Path]:
    """The scanned documents of sample_scans/ (born-digital PDFs are not scans)."""
    exts = {".pdf", ".png", ".jpg", ".tif"}
    return sorted(p for p in SAMPLES.rglob("*") if p.suffix in exts and "digital" not in p.parts)


def _page_count(path: Path) -> int:
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    from PIL import Image

    with Image.open(path) as img:
        return int(getattr(img, "n_frames", 1))


def _ocr_document(args: tuple[str, str]) -> dict[str, Any]:
    """OCR one document with the pipeline's page step; its searchable PDF and page facts."""
    src, work = Path(args[0]), Path(args[1])
    work.mkdir(parents=True, exist_ok=True)
    step = process_pdf_page if src.suffix == ".pdf" else process_image_page
    results = [step(src, n, PageOptions(), work) for n in range(1, _page_count(src) + 1)]
    out = work / "searchable.pdf"
    with pikepdf.new() as pdf:
        for r in results:
            with pikepdf.open(r.pdf_path or "") as one:
                pdf.pages.extend(one.pages)
        pdf.save(out, deterministic_id=True)
    pages = [{"number": r.number, "text": r.text, "bilevel": r.bilevel} for r in results]
    (work / "pages.json").write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    return {"source": str(src), "searchable": str(out), "pages": pages}


def searchable(docs: list[Path], work: Path, workers: int) -> list[dict[str, Any]]:
    """OCR each document once (cached: a second run reuses the searchable PDFs)."""
    todo, done = [], []
    for i, src in enumerate(docs):
        folder = work / f"doc-{i:03d}"
        if (folder / "pages.json").exists():
            pages = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
            done.append({"source": str(src), "searchable": str(folder / "searchable.pdf"),
                         "pages": pages})
        else:
            todo.append((str(src), str(folder)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done += list(pool.map(_ocr_document, todo))
    return sorted(done, key=lambda d: d["searchable"])


# ── the PDF/A makers ──


def make_ours(doc: dict[str, Any], out: Path) -> None:
    results = [PageResult(number=p["number"], text=p["text"], source="ocr", confidence=None,
                          rotation=0, skew=0.0, width=0, height=0, dpi=300, pdf_path="x",
                          bilevel=p["bilevel"]) for p in doc["pages"]]
    info = pdfa.ArchivalInfo("0" * 64, datetime(2026, 1, 1, tzinfo=UTC), None)
    write_pdfa(Path(doc["searchable"]), out, info, results, normalise=False)


def make_ghostscript(doc: dict[str, Any], out: Path) -> None:
    from ocrmypdf.pdfa import generate_pdfa_ps

    ps = out.with_suffix(".ps")
    generate_pdfa_ps(ps)
    cmd = ["gs", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-dCompatibilityLevel=1.5",
           "-sDEVICE=pdfwrite", "-dAutoRotatePages=/None", "-sColorConversionStrategy=RGB",
           "-dPassThroughJPEGImages=true", "-dAutoFilterGrayImages=false",
           "-dGrayImageFilter=/FlateEncode", "-dAutoFilterColorImages=false",
           "-dColorImageFilter=/FlateEncode", "-dNONATIVEFONTMAP", "-dSubsetFonts=false",
           "-dPDFA=2", "-dPDFACompatibilityPolicy=1", "-o", str(out), "-sstdout=%stderr",
           str(ps), doc["searchable"]]
    subprocess.run(cmd, capture_output=True, check=True)


def make_ocrmypdf_step(doc: dict[str, Any], out: Path) -> None:
    cmd = [sys.executable, "-m", "ocrmypdf", "-q", "--skip-text", "--output-type", "pdfa-2",
           doc["searchable"], str(out)]
    subprocess.run(cmd, capture_output=True, check=True)


def make_ocrmypdf_full(doc: dict[str, Any], out: Path) -> None:
    cmd = [sys.executable, "-m", "ocrmypdf", "-q", "-l", "chi_tra+eng", "--output-type",
           "pdfa-2", "--image-dpi", "300", doc["source"], str(out)]
    subprocess.run(cmd, capture_output=True, check=True, env=_single_thread())


def _single_thread() -> dict[str, str]:
    import os

    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


MAKERS: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "ours": make_ours, "ghostscript": make_ghostscript, "ocrmypdf_step": make_ocrmypdf_step,
    "ocrmypdf_full": make_ocrmypdf_full,
}


def produce(docs: list[dict[str, Any]], method: str, out_dir: Path) -> dict[str, Any]:
    """Make every document's copy by ``method``: files, seconds, failures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files, failures, seconds = [], [], 0.0
    for i, doc in enumerate(docs):
        out = out_dir / f"doc-{i:03d}.pdf"
        start = time.perf_counter()
        try:
            MAKERS[method](doc, out)
            files.append(out)
        except (subprocess.CalledProcessError, pikepdf.PdfError, ValueError) as exc:
            failures.append(f"{Path(doc['source']).name}: {_why(exc)}")
        seconds += time.perf_counter() - start
    return {"files": files, "failures": failures, "seconds": seconds}


def _why(exc: Exception) -> str:
    err = getattr(exc, "stderr", b"") or b""
    text = err.decode(errors="replace") if isinstance(err, bytes) else str(err)
    return (text.strip().splitlines() or [str(exc)])[-1][:160]


# ── measuring ──


def _chars(path: Path) -> int:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=False).stdout
    return len("".join(out.decode(errors="replace").split()))


def measure(docs: list[dict[str, Any]], work: Path, methods: tuple[str, ...]) -> dict[str, Any]:
    pages = sum(len(d["pages"]) for d in docs)
    made = {m: produce(docs, m, work / m) for m in methods}
    paths = [f for m in methods for f in made[m]["files"]]
    verdicts = {v.path: v for v in verapdf.validate(paths, REPO_VERAPDF_DIR, 3600.0, "2b")}
    text_in = sum(_chars(Path(d["searchable"])) for d in docs)
    out: dict[str, Any] = {"documents": len(docs), "pages": pages}
    for m in methods:
        files = made[m]["files"]
        ok = [f for f in files if verdicts[str(f)].compliant]
        rules = sorted({r["rule"] for f in files for r in verdicts[str(f)].failed_rules})
        out[m] = {
            "made": len(files), "compliant": len(ok), "failed_rules": rules,
            "failures": made[m]["failures"],
            "bytes_per_page": round(sum(f.stat().st_size for f in files) / pages),
            "seconds_per_page": round(made[m]["seconds"] / pages, 3),
            "text_kept": round(sum(_chars(f) for f in files) / text_in, 3) if text_in else None,
        }
    return out


# ── the page section ──


NAMES = {"ours": "ours: pikepdf (`pipeline/pdfa.py`)",
         "ghostscript": "Ghostscript 10.0.0 (OCRmyPDF's arguments)",
         "ocrmypdf_step": "OCRmyPDF `--skip-text --output-type pdfa-2`",
         "ocrmypdf_full": "OCRmyPDF end to end on the images (OCR included)"}


def render(results: dict[str, Any]) -> list[str]:
    lines = [START, "## 8. PDF/A archival copies", "",
             "`python -m bench.pdfa` (runs on its own; " + results["when"] + ", "
             + f"load {results['load']}). Each scanned document is OCR'd once by the "
             "pipeline's page step; from that searchable PDF each method makes a PDF/A copy. "
             "veraPDF 1.28.1 judges every copy against PDF/A-2B; *text kept* is the share of "
             "the searchable PDF's characters `pdftotext` still finds.", ""]
    for name, r in results["sets"].items():
        lines += [f"**{name}** ({r['documents']} documents, {r['pages']} pages)", "",
                  "| method | PDF/A-2B (veraPDF) | bytes/page | s/page | text kept "
                  "| failed rules |",
                  "|---|---:|---:|---:|---:|---|"]
        for m in (*METHODS, "ocrmypdf_full"):
            if m in r:
                x = r[m]
                rules = ", ".join(x["failed_rules"]) or "–"
                if x["failures"]:
                    rules += f"; {len(x['failures'])} not made: {x['failures'][0]}"
                lines.append(f"| {NAMES[m]} | {x['compliant']}/{r['documents']} | "
                             f"{x['bytes_per_page']:,} | {x['seconds_per_page']} | "
                             f"{x['text_kept']} | {rules} |")
        lines.append("")
    return [*lines, END]


def write_section(section: list[str], out: Path) -> None:
    """Put the section into the page, replacing its previous version."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    block = "\n".join(section)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    bench_dir = args.work / "bench-pages"
    pages = pageset.scanned_pages(bench_dir, args.bench_pages, args.workers)
    sets = {"sample_scans/": sample_inputs(),
            "benchmark pages": [bench_dir / p["file"] for p in pages]}
    results: dict[str, Any] = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                               "load": _load(), "sets": {}}
    for i, (name, docs) in enumerate(sets.items()):
        print(f"bench.pdfa: OCR of {name}", file=sys.stderr)
        done = searchable(docs, args.work / f"set-{i}", args.workers)
        out_dir = args.work / f"out-{i}"
        shutil.rmtree(out_dir, ignore_errors=True)
        methods = (*METHODS, "ocrmypdf_full") if shutil.which("tesseract") else METHODS
        results["sets"][name] = measure(done, out_dir, methods)
    (args.work / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_section(render(results), args.out)
    print("\n".join(render(results)))


def _load() -> str:
    import os

    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
