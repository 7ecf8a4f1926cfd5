"""Measure the classifier on an ingested sample batch (the numbers in docs/classification.md).

    .venv/bin/python -m tests.classify_eval RECORDS_HOME

RECORDS_HOME must hold ``sample_scans/`` ingested (``records ingest sample_scans``). Three
measurements over the OCR text of the 24 samples, against :data:`EXPECTED`:

* as ingested: the stored decisions (rules and record-type proposals, no model yet);
* leave-one-out: for each document, a model trained on the other 23 (as if officers had
  confirmed them), combined with the rules exactly as at ingest;
* the model alone, leave-one-out.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sklearn.metrics import f1_score
from sqlalchemy import select

from pipeline import classifier_model as cm
from pipeline.archive import Archive
from pipeline.classify import (
    Context,
    decide,
    document_header,
    document_text,
    latest_decision,
    record_type_proposal,
    schedule_of,
)
from pipeline.db.models import Document
from tests.classify_support import EXPECTED
from tests.conftest import make_settings


def _line(name: str, truth: list[str], predicted: list[str | None], review: list[bool]) -> str:
    right = sum(t == p for t, p in zip(truth, predicted, strict=True))
    auto = [t == p for t, p, r in zip(truth, predicted, review, strict=True) if not r]
    f1 = f1_score(truth, [p or "-" for p in predicted], average="macro", labels=sorted(set(truth)),
                  zero_division=0)
    return (f"{name}: accuracy {right}/{len(truth)} = {right / len(truth):.3f}, macro-F1 "
            f"{f1:.3f}, sent to review {sum(review)}/{len(truth)}, right among filed without "
            f"review {sum(auto)}/{len(auto)}")


def main(home: Path) -> None:
    archive = Archive.open(make_settings(home), migrate=False)
    with archive.session() as s:
        docs = list(s.scalars(select(Document).order_by(Document.id)))
        truth = [next(c for f, (_, c) in EXPECTED.items() if f.endswith(d.original_name))
                 for d in docs]
        rows = [latest_decision(s, d.id) for d in docs]
        print(_line("as ingested (rules)", truth, [r.class_code if r else None for r in rows],
                    [d.status == "needs_review" for d in docs]))
        texts = [document_text(d) for d in docs]
        schedule = schedule_of(archive.settings.rules_dir)
        combined, alone = [], []
        for i, doc in enumerate(docs):
            rest = [j for j in range(len(docs)) if j != i]
            model = cm.train([texts[j] for j in rest], [truth[j] for j in rest], "loo", 1)
            ctx = Context(schedule, archive.settings.review_threshold, model, 0)
            combined.append(decide(texts[i], ctx, document_header(doc, texts[i]),
                                   record_type_proposal(doc)))
            probs = cm.probabilities(model, texts[i])
            alone.append(max(probs, key=lambda c: probs[c]))
    t = archive.settings.review_threshold
    print(_line("leave-one-out, rules + model", truth, [d.class_code for d in combined],
                [d.needs_review(t) for d in combined]))
    print(_line("leave-one-out, model alone", truth, list(alone), [False] * len(alone)))
    archive.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
