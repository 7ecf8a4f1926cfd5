"""Do born-digital PDFs get the decisions their texts get? One command:

    .venv/bin/python -m tests.classify_pdf_path

Writes each text of ``../shared/corpus/real_texts`` (or $RECORDS_REAL_TEXTS) to a PDF of
its own (fpdf2, the samples' Traditional Chinese font), ingests them into a fresh archive
(once with the starter classifier, once by the rules alone) and compares each document's
decision with :func:`pipeline.classify.decide` on the text file under the same context.
A difference is the text layer's doing (line breaks, spacing, characters the PDF changed).
Figures: docs/classification.md, section 6.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.pageset import samples_module
from pipeline import classify
from pipeline.archive import Archive
from pipeline.db.models import Document
from tests import real_text_labels as rl
from tests.conftest import ingest_dir, make_settings


def write_pdfs(texts: list[rl.RealText], folder: Path) -> None:
    from fpdf import FPDF

    file, index = samples_module().font_file("serif", False)
    for item in texts:
        pdf = FPDF(format="A4")
        pdf.add_font("tc", "", file, collection_font_number=index)
        pdf.set_font("tc", size=11)
        pdf.add_page()
        pdf.multi_cell(0, 6, item.text)
        pdf.output(str(folder / f"{Path(item.name).stem}.pdf"))


def compare(texts: list[rl.RealText], pdfs: Path, home: Path, starter: bool) -> list[str]:
    """Ingest the PDFs and return one line per document decided otherwise than its text."""
    archive = Archive.open(make_settings(home, starter_classifier=starter))
    try:
        ingest_dir(archive, pdfs)
        by_stem = {Path(t.name).stem: t for t in texts}
        with archive.session() as s:
            ctx = classify.load_context(s, archive.settings)
            out = []
            for doc in s.query(Document).order_by(Document.original_name):
                item = by_stem[Path(doc.original_name).stem]
                d = classify.decide(item.text, ctx, explain=False)
                text_filed = not d.needs_review(ctx.threshold)
                pdf_filed = doc.status.value == "classified"
                if (d.class_code, text_filed) != (doc.class_code, pdf_filed):
                    out.append(f"{doc.original_name}: text {d.class_code} {d.confidence:.2f} "
                               f"{'filed' if text_filed else 'review'}, PDF {doc.class_code} "
                               f"{doc.status.value}")
            return out
    finally:
        archive.close()


def main() -> int:
    folder = rl.corpus_dir()
    if folder is None:
        print("no real texts (../shared/corpus/real_texts or $RECORDS_REAL_TEXTS)")
        return 1
    texts = rl.load(classify.schedule_of(make_settings(Path()).rules_dir), folder)
    with tempfile.TemporaryDirectory() as tmp:
        pdfs = Path(tmp) / "pdfs"
        pdfs.mkdir()
        write_pdfs(texts, pdfs)
        for starter in (True, False):
            differ = compare(texts, pdfs, Path(tmp) / f"home-{starter}", starter)
            name = "starter" if starter else "rules alone"
            print(f"{name}: {len(texts) - len(differ)} of {len(texts)} decided as their texts")
            for line in differ:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
