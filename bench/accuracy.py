"""6. Accuracy on ``sample_scans/``: OCR character error rate, classification and fields.

CER: every scanned page is OCR'd by tesseract as it comes off the scanner (raw)
and as our ingest stores it after orientation and skew correction, against the
exact text in ``ground_truth.json``. Characters only: NFKC, no whitespace, 台
counted as 臺 (as ``tests/cer.py``). Full mode ingests the whole sample batch
(``records ingest --direct``) and reads the corrected text, the classes and the
fields from that archive; quick mode OCRs a few pages in-process instead.

Classification is scored against the class a records officer would choose for
each sample file (``tests/classify_support.py``); in a fresh archive no model
has been trained, so none of these documents is a training example. Fields are
scored per record type with ``tests/record_types_eval.py`` (the record-type
engineers' own scoring: a field counts when it equals the ground truth).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from rapidfuzz.distance import Levenshtein

from bench.common import (
    LANG,
    ROOT,
    Context,
    not_measured,
    records_command,
    records_env,
    run_measured,
)

SAMPLES = ROOT / "sample_scans"
#: (text, rotation, skew correction) of a page, by (file, page number)
Corrected = dict[tuple[str, int], tuple[str, int, float]]


@dataclass(frozen=True)
class TruthPage:
    file: str
    kind: str
    page: int
    text: str
    rotation: int
    skew: float


def ground_truth() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((SAMPLES / "ground_truth.json").read_text("utf-8"))
    return data


def truth_pages(limit: int | None) -> list[TruthPage]:
    """Scanned pages of the sample batch (the born-digital PDF is not a scan)."""
    pages = [TruthPage(e["file"], e["kind"], p["page"], p["text"], p["rotation"], p["skew"])
             for e in ground_truth() if e["format"] != "born-digital" for p in e["pages"]]
    return pages if limit is None else pages[:limit]


def canonical(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).replace("台", "臺")
    return "".join(folded.split())


def edits(ocr: str, truth: str) -> tuple[int, int]:
    a, b = canonical(ocr), canonical(truth)
    return Levenshtein.distance(a, b), len(b)


def run(ctx: Context) -> dict[str, Any]:
    pages = truth_pages(ctx.sizes.accuracy_pages)
    work = ctx.fresh("accuracy")
    home = _ingest_samples(ctx) if ctx.sizes.accuracy_pages is None else None
    corrected = stored_pages(home) if home else None
    ctx.log(f"accuracy: OCR of {len(pages)} sample pages as scanned"
            + ("" if home else ", and corrected in-process"))
    with ThreadPoolExecutor(max_workers=ctx.cores) as pool:
        rows = list(pool.map(lambda p: _page(p, work, corrected), pages))
    why = "quick mode: the sample batch is not ingested, so nothing was classified"
    return {"status": "ok", "cer": cer_summary(rows), "pages": rows,
            "classification": classification(home) if home else not_measured(why),
            "fields": field_scores(home) if home else not_measured(why)}


def _ingest_samples(ctx: Context) -> Path:
    ctx.log("accuracy: records ingest --direct of sample_scans/")
    home = ctx.fresh("accuracy-ingest")
    cmd = [*records_command(), "ingest", str(SAMPLES), "--direct", "--json"]
    run_measured(cmd, env=records_env(ctx, home), cwd=ROOT).check("records ingest sample_scans")
    return home


def _with_archive(home: Path, fn: Callable[[Any], Any]) -> Any:
    from pipeline.archive import Archive
    from pipeline.settings import Settings

    archive = Archive.open(Settings(home=home, database_url="", search_url="", workers=1))
    try:
        with archive.session() as session:
            return fn(session)
    finally:
        archive.close()


def stored_pages(home: Path) -> Corrected:
    from sqlalchemy import select

    from pipeline.db.models import Document

    def read(session: Any) -> Corrected:
        return {(d.original_name, p.number): (p.text, p.rotation, p.skew)
                for d in session.scalars(select(Document)) for p in d.pages}

    result: Corrected = _with_archive(home, read)
    return result


# -- character error rate ---------------------------------------------------------------------


def cer_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    chars = sum(r["chars"] for r in rows)
    raw = sum(r["edits_raw"] for r in rows)
    fixed = sum(r["edits_corrected"] for r in rows)
    return {
        "pages": len(rows),
        "chars": chars,
        "raw": round(raw / chars, 4) if chars else None,
        "corrected": round(fixed / chars, 4) if chars else None,
        # the page was turned clockwise by ``rotation``; the ingest turns it back by its own
        "rotation_found": sum((r["rotation"] + r["rotation_found"]) % 360 == 0 for r in rows),
        "rotated_pages": sum(1 for r in rows if r["rotation"]),
        # the correction levels the page: it should be minus the skew the scan had
        "skew_mean_abs_error": round(
            sum(abs(r["skew"] + r["skew_found"]) for r in rows) / max(1, len(rows)), 2),
    }


def _page(page: TruthPage, work: Path, corrected: Corrected | None) -> dict[str, Any]:
    image, dpi = load_page(SAMPLES / page.file, page.page)
    folder = work / f"{Path(page.file).stem}-{page.page}"
    folder.mkdir(parents=True, exist_ok=True)
    raw_text = ocr_raw(image, dpi, folder / "raw")
    if corrected is not None:
        text, rotation, skew = corrected[(page.file, page.page)]
    else:
        text, rotation, skew = _correct_in_process(image, page.page, dpi, folder)
    d_raw, chars = edits(raw_text, page.text)
    d_fix, _ = edits(text, page.text)
    return {"file": page.file, "page": page.page, "kind": page.kind, "chars": chars,
            "rotation": page.rotation, "rotation_found": rotation, "skew": page.skew,
            "skew_found": skew, "edits_raw": d_raw, "edits_corrected": d_fix,
            "cer_raw": round(d_raw / chars, 4), "cer_corrected": round(d_fix / chars, 4)}


def _correct_in_process(image: Image.Image, number: int, dpi: int,
                        folder: Path) -> tuple[str, int, float]:
    from pipeline.pages import PageOptions, ocr_image

    result = ocr_image(image, number, dpi, PageOptions(lang=LANG), folder)
    return result.text, result.rotation, result.skew


def load_page(path: Path, number: int) -> tuple[Image.Image, int]:
    """The page as the ingest decodes it: PDFs rasterised at 300 dpi, image frames as stored."""
    from pipeline import imaging
    from pipeline._exec import poppler

    if path.suffix.lower() == ".pdf":
        return poppler.render_page(path, number, 300, 180), 300
    with imaging.open_image(path, 150_000_000) as img:
        dpi = imaging.resolution(img, 300)
        return imaging.load_frame(img, number - 1, 150_000_000), dpi


def ocr_raw(image: Image.Image, dpi: int, base: Path) -> str:
    """Tesseract on the page as scanned: no orientation or skew correction."""
    from pipeline import imaging
    from pipeline._exec import tesseract
    from pipeline.text import join_words

    result = tesseract.ocr(imaging.save_for_ocr(image, base, dpi), LANG, 300)
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    for word in result.words:
        lines.setdefault(word.line_key, []).append(word.text)
    return "\n".join(join_words(words) for words in lines.values())


# -- classification -------------------------------------------------------------------------


def classification(home: Path) -> dict[str, Any]:
    """Macro-F1 of the automatic class decisions and the share sent to review."""
    try:
        from tests.classify_support import EXPECTED
    except ImportError as exc:
        return not_measured(f"the labels (tests/classify_support.py) cannot be imported: {exc}")
    decisions = _with_archive(home, _decisions)
    if not decisions:
        return not_measured("the ingest stored no classification decisions")
    truth = {f: code for f, (_, code) in EXPECTED.items() if f in decisions}
    predicted = {f: decisions[f][0] for f in truth}
    review = sum(1 for f in truth if decisions[f][1] == "needs_review")
    return {"status": "ok", "documents": len(truth), "macro_f1": macro_f1(truth, predicted),
            "accuracy": round(sum(truth[f] == predicted[f] for f in truth) / len(truth), 3),
            "sent_to_review": review, "review_share": round(review / len(truth), 3),
            "wrong": sorted(f"{Path(f).name}: {predicted[f]} (expected {truth[f]})"
                            for f in truth if truth[f] != predicted[f])}


def _decisions(session: Any) -> dict[str, tuple[str | None, str]]:
    """Newest automatic decision per document: (class, outcome), by original name."""
    from sqlalchemy import select

    from pipeline.db.models import Classification, Document

    rows = session.execute(
        select(Document.original_name, Classification.class_code, Classification.outcome)
        .join(Classification, Classification.document_id == Document.id)
        .order_by(Classification.id)
    ).all()
    return {name: (code, outcome) for name, code, outcome in rows}


def macro_f1(truth: dict[str, str], predicted: dict[str, str | None]) -> float:
    """Mean F1 over the classes the labels contain (a missing class is simply wrong)."""
    scores = []
    for label in sorted(set(truth.values())):
        tp = sum(1 for f in truth if truth[f] == label and predicted[f] == label)
        fp = sum(1 for f in truth if truth[f] != label and predicted[f] == label)
        fn = sum(1 for f in truth if truth[f] == label and predicted[f] != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(scores) / len(scores), 3) if scores else 0.0


# -- fields per record type -----------------------------------------------------------------


def field_scores(home: Path) -> dict[str, Any]:
    """Per record type: precision and recall of the extracted fields (summed over fields)."""
    try:
        from tests import record_types_eval as rte
    except ImportError as exc:
        return not_measured(f"tests/record_types_eval.py cannot be imported: {exc}")
    pages = _with_archive(home, _page_texts)
    ev = rte.evaluate((e, pages[e["file"]]) for e in ground_truth() if e["file"] in pages)
    per_type: dict[str, dict[str, int]] = {}
    for (type_name, _), c in ev.fields.items():
        agg = per_type.setdefault(type_name, {"tp": 0, "fp": 0, "fn": 0, "fields": 0})
        agg["tp"], agg["fp"], agg["fn"] = agg["tp"] + c.tp, agg["fp"] + c.fp, agg["fn"] + c.fn
        agg["fields"] += 1
    return {"status": "ok", "type_accuracy": round(ev.type_accuracy(), 3),
            "per_record_type": {k: _pr(v) for k, v in sorted(per_type.items())}}


def _page_texts(session: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from pipeline.db.models import Document
    from pipeline.record_types.apply import page_texts

    return {d.original_name: page_texts(d.pages) for d in session.scalars(select(Document))}


def _pr(c: dict[str, int]) -> dict[str, Any]:
    found, expected = c["tp"] + c["fp"], c["tp"] + c["fn"]
    return {**c, "precision": round(c["tp"] / found, 3) if found else None,
            "recall": round(c["tp"] / expected, 3) if expected else None}
