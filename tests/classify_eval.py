"""Measure the classifier: every figure of docs/classification.md section 8, one command.

    .venv/bin/python -m tests.classify_eval [--home RECORDS_HOME] [--write-docs]

* ``sample_scans/``: the OCR text as ingested (``--home`` holding the batch ingested with
  ``records ingest sample_scans``; without it the batch is ingested into a temporary
  home first, which takes minutes), expected classes from :data:`EXPECTED`;
* ``../shared/corpus/real_texts/`` (the development set; read where present, else said
  and skipped), mapped to classes by :mod:`tests.real_text_labels`.

Real texts: 5-fold cross-validation; each fold's model is trained on the other folds plus
the samples, and calibrated and given its threshold (:func:`pipeline.calibration.fit`)
on those alone: no test text is seen before it is decided. Samples: 5-fold likewise,
trained on the other sample folds plus all real texts. Learning curve: per fold, the
model trained on the samples plus 0, 20 or 40 texts of the other folds (as if an officer
had corrected that many), review share on the test fold. Real texts are judged twice:
strictly by the set's label, and with the alternatives its README names for judgement
calls (:func:`tests.real_text_labels.right_or_alternative`). Models learn the set's label;
the calibrator learns whether an officer would accept a proposal, so it is fitted on the
judgement with alternatives (:data:`CALIBRATE_WITH_ALTERNATIVES`), as an archive's
calibrator learns from what its officers accepted. ``--write-docs`` rewrites the
measured part of docs/classification.md and docs/img/classification-reliability.png.
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sqlalchemy import select

from pipeline import classifier_model as cm
from pipeline.archive import Archive
from pipeline.calibration import Example, exact, fit
from pipeline.classify import (
    Context,
    Decision,
    Proposal,
    decide,
    document_text,
    record_type_proposal,
    schedule_of,
)
from pipeline.clerk import document_kind
from pipeline.db.models import Document
from pipeline.retention.schedule import Schedule
from pipeline.settings import REPO_RULES_DIR
from tests import real_text_labels as rl
from tests.classify_support import EXPECTED
from tests.conftest import SAMPLES, make_settings
from tests.record_types_eval import _ingested as ingested_samples

FOLDS = 5
SEED = 7
CURVE = (0, 20, 40)
DOC = rl.REPO / "docs/classification.md"
PNG = rl.REPO / "docs/img/classification-reliability.png"
#: the calibrator of the real-text folds learns the README's alternatives as right: they
#: are filings an officer accepts (strict: 15 of 60 filed at TARGET_PRECISION 0.98, 28 at
#: 0.96, 25 of them right; docs/classification.md section 9)
CALIBRATE_WITH_ALTERNATIVES = True
START, END = "<!-- classify-eval:start -->", "<!-- classify-eval:end -->"


@dataclass(frozen=True)
class Case:
    """A document to decide: its text, the record type's proposal and its judge."""

    name: str
    text: str
    proposal: Proposal | None
    example: Example
    group: str
    out_of_scope: bool = False
    #: judge with the README's alternatives (None: the strict judge only)
    alternative: Callable[[str | None], bool] | None = None
    #: the strict judge, where the calibrator learns from another (None: the example's)
    strict: Callable[[str | None], bool] | None = None


@dataclass(frozen=True)
class Outcome:
    case: Case
    decision: Decision
    threshold: float

    @property
    def review(self) -> bool:
        return self.decision.needs_review(self.threshold)

    @property
    def right(self) -> bool:
        judge = self.case.strict or self.case.example.accepts
        return judge(self.decision.class_code)

    @property
    def why_review(self) -> str:
        """Why it went to review: no class (out of scope), a reason whatever the confidence
        (split rule evidence, a printed value), or the threshold; "" when filed."""
        d = self.decision
        if not self.review:
            return ""
        if d.class_code is None:
            return "no class"
        if d.review_reason:
            return "split evidence" if d.review_reason.startswith("規則證據分歧") else "printed"
        return "threshold"

    @property
    def right_alt(self) -> bool:
        """Right with the README's alternatives (strictly right is right here too)."""
        judge = self.case.alternative or self.case.example.accepts
        return judge(self.decision.class_code)


# ── the data ─────────────────────────────────────────────────────────────────────────


def sample_cases(home: Path) -> list[Case]:
    archive = Archive.open(make_settings(home))
    try:
        with archive.session() as s:
            # by name, not by id: a batch's ids follow the order its workers finished in,
            # and the order of the examples decides the calibrator's folds
            docs = sorted(s.scalars(select(Document)), key=lambda d: (d.original_name, d.id))
            out = []
            for d in docs:
                # the born-digital packages (electronic/) have no expected class
                code = next((c for f, (_, c) in EXPECTED.items()
                             if f.endswith(d.original_name)), None)
                if code is None:
                    continue
                text = document_text(d)
                out.append(Case(d.original_name, text, record_type_proposal(d), exact(text, code),
                                code))
            return out
    finally:
        archive.close()


def real_cases(schedule: Schedule, folder: Path) -> list[Case]:
    out = []
    for item in rl.load(schedule, folder):
        label = cm.OUT_OF_SCOPE if item.out_of_scope else item.training_label(schedule)
        judge: Callable[[str | None], bool] = functools.partial(rl.right, schedule, item)
        alt = functools.partial(rl.right_or_alternative, schedule, item)
        learn = Example(item.text, label, alt if CALIBRATE_WITH_ALTERNATIVES else judge)
        out.append(Case(item.name, item.text, None, learn, item.label(), item.out_of_scope,
                        alt, judge))
    return out


def kinds_read(folder: Path) -> str:
    """How often the document kind read from a real text is the kind the set labels it
    (the set files FAQ pages under 其他, which we read as 問答)."""
    items = rl.load(schedule_of(REPO_RULES_DIR), folder)
    same = sum(document_kind(i.text) in (i.kind, "問答" if i.kind == "其他" else i.kind)
               for i in items)
    return (f"Document kind (函, 簽, 公告, 規定, 新聞稿 ...) read as the set labels it: "
            f"{same}/{len(items)}.")


def ingested_home(home: Path | None) -> Path:
    if home is None:
        print(f"ingesting {SAMPLES} into a temporary archive (OCR: this takes minutes)")
    return ingested_samples(home)


# ── running ──────────────────────────────────────────────────────────────────────────


def run(schedule: Schedule, train: Sequence[Case], test: Sequence[Case]) -> list[Outcome]:
    """Fit (and calibrate) on ``train`` only, then decide every ``test`` case."""
    model = fit([c.example for c in train], schedule)
    threshold = model.threshold if model.threshold is not None else 1.0
    ctx = Context(schedule, threshold, model)
    return [Outcome(c, decide(c.text, ctx, proposal=c.proposal, explain=False), threshold)
            for c in test]


def folds(cases: Sequence[Case]) -> list[tuple[list[int], list[int]]]:
    splitter = KFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    return [(list(a), list(b)) for a, b in splitter.split(list(cases))]


def cross_validate(schedule: Schedule, cases: list[Case], extra: list[Case]) -> list[Outcome]:
    out: list[Outcome] = []
    for n, (train_idx, test_idx) in enumerate(folds(cases), start=1):
        print(f"fold {n}/{FOLDS}", file=sys.stderr, flush=True)
        out += run(schedule, [cases[i] for i in train_idx] + extra, [cases[i] for i in test_idx])
    return sorted(out, key=lambda o: o.case.name)


def learning_curve(schedule: Schedule, real: list[Case],
                   samples: list[Case]) -> dict[int, list[Outcome]]:
    curve: dict[int, list[Outcome]] = {k: [] for k in CURVE}
    for train_idx, test_idx in folds(real):
        pool = [real[i] for i in train_idx]
        random.Random(SEED).shuffle(pool)
        for k in CURVE:
            curve[k] += run(schedule, samples + pool[:k], [real[i] for i in test_idx])
    return curve


# ── figures ──────────────────────────────────────────────────────────────────────────


def summary(outcomes: Sequence[Outcome]) -> dict[str, float]:
    auto = [o for o in outcomes if not o.review]
    oos = [o for o in outcomes if o.case.out_of_scope]
    alt = sum(o.right_alt for o in auto)
    return {"n": len(outcomes), "auto": len(auto), "auto_right": sum(o.right for o in auto),
            "auto_right_alt": alt, "precision_alt": alt / len(auto) if auto else 1.0,
            "review": len(outcomes) - len(auto),
            "precision": sum(o.right for o in auto) / len(auto) if auto else 1.0,
            "review_share": 1 - len(auto) / len(outcomes) if outcomes else 0.0,
            "oos": len(oos), "oos_review": sum(o.review for o in oos),
            "oos_said": sum(o.decision.class_code is None for o in oos)}


def macro_f1(outcomes: Sequence[Outcome]) -> float:
    truth = [o.case.group for o in outcomes]
    predicted = [o.decision.class_code or "-" for o in outcomes]
    return float(f1_score(truth, predicted, average="macro", labels=sorted(set(truth)),
                          zero_division=0))


def per_group(outcomes: Sequence[Outcome]) -> list[str]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.case.group].append(o)
    rows = ["| label | texts | filed automatically | of those right | to review | proposed right |",
            "|---|---|---|---|---|---|"]
    for g in sorted(groups):
        os_ = groups[g]
        auto = [o for o in os_ if not o.review]
        rows.append(f"| {g} | {len(os_)} | {len(auto)} | {sum(o.right for o in auto)} | "
                    f"{len(os_) - len(auto)} | {sum(o.right for o in os_)} |")
    return rows


def review_reasons(outcomes: Sequence[Outcome]) -> list[str]:
    """Why texts went to review, and how many of them had a right proposal."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.review:
            by[o.why_review].append(o)
    rows = ["| why | texts | proposal right (strict) | with alternatives |", "|---|---|---|---|"]
    for why in ("threshold", "split evidence", "printed", "no class"):
        os_ = by.get(why, [])
        rows.append(f"| {why} | {len(os_)} | {sum(o.right for o in os_)} | "
                    f"{sum(o.right_alt for o in os_)} |")
    return rows


def reliability_png(outcomes: Sequence[Outcome], path: Path) -> list[str]:
    """Reliability diagram of the calibrated confidence of every proposed class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    decided = [o for o in outcomes if o.decision.class_code is not None]
    y = [int(o.right) for o in decided]
    p = [o.decision.confidence for o in decided]
    frac, mean = calibration_curve(y, p, n_bins=5, strategy="quantile")
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect")
    ax.plot(mean, frac, "o-", label=f"held-out decisions (n={len(y)})")
    ax.set_xlabel("calibrated confidence")
    ax.set_ylabel("share right")
    ax.set_title("Reliability, 5-fold CV (real texts + samples)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return [f"| {m:.2f} | {f:.2f} |" for m, f in zip(mean, frac, strict=True)]


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def report(schedule: Schedule, samples: list[Outcome], real: list[Outcome] | None,
           curve: dict[int, list[Outcome]] | None, note: str) -> str:
    s = summary(samples)
    lines = [START, "", f"Measured with `python -m tests.classify_eval --write-docs` on "
             f"schedule {schedule.schedule_id} v{schedule.version} ({len(schedule.leaf_classes())}"
             f" leaf classes). {note}", ""]
    if real is not None:
        r = summary(real)
        lines += ["**Real texts, 5-fold cross-validation** (each fold trained on the other "
                  "folds and the samples, calibrated and thresholded on them only):", "",
                  "| figure | value | target |", "|---|---|---|",
                  f"| filed automatically, right (strict: the set's label) | "
                  f"{r['auto_right']}/{r['auto']} = {_pct(r['precision'])} | ≥ 95 % |",
                  f"| filed automatically, right with the README's alternatives | "
                  f"{r['auto_right_alt']}/{r['auto']} = {_pct(r['precision_alt'])} | ≥ 95 % |",
                  f"| sent to review | {r['review']}/{r['n']} = {_pct(r['review_share'])} | "
                  "≤ 35 % |",
                  f"| out-of-scope texts sent to review | {r['oos_review']}/{r['oos']} "
                  f"(said 不屬本處檔案類目？: {r['oos_said']}) | all |", ""]
    lines += ["**sample_scans, 5-fold cross-validation** (trained on the other sample folds and "
              "the real texts):", "",
              f"macro-F1 of the proposed class {macro_f1(samples):.3f} (target ≥ 0.9); "
              f"filed automatically {s['auto']}/{s['n']}, right {s['auto_right']}; "
              f"sent to review {s['review']}/{s['n']}.", ""]
    if curve is not None:
        lines += ["**Learning curve** (real texts; per fold the model learns the samples "
                  "plus k corrected texts of the other folds):", "",
                  "| corrections | sent to review | filed automatically right (strict) | "
                  "with alternatives |", "|---|---|---|---|"]
        for k, outs in curve.items():
            c = summary(outs)
            lines.append(f"| {k} | {c['review']}/{c['n']} = {_pct(c['review_share'])} | "
                         f"{c['auto_right']}/{c['auto']} = {_pct(c['precision'])} | "
                         f"{c['auto_right_alt']}/{c['auto']} = {_pct(c['precision_alt'])} |")
        lines.append("")
    if real is not None:
        lines += ["**Reliability** of the calibrated confidence (all held-out decisions "
                  "with a class, real texts and samples; quantile bins):", "",
                  "![reliability diagram](img/classification-reliability.png)", "",
                  "| mean confidence | share right |", "|---|---|",
                  *reliability_png([*real, *samples], PNG), "",
                  "**Per label** (real texts; a label in brackets is a division only):", "",
                  *per_group(real), "", "**Why texts went to review** (real texts; *no class*: "
                  "said out of scope; *printed*: a printed value forbids the text's best class; "
                  "the alternatives column counts strictly right proposals too):", "",
                  *review_reasons(real), "", "**Every real text** (threshold: its fold's):", "",
                  "| text | label | proposed | confidence | threshold | outcome |",
                  "|---|---|---|---|---|---|"]
        for o in real:
            d = o.decision
            verdict = ("review" if o.review else "filed") + (
                " ✓" if o.right else " ✓ (alternative)" if o.right_alt else " ✗")
            why = f" ({o.why_review})" if o.why_review else ""
            lines.append(f"| {o.case.name} | {o.case.group} | {d.class_code or '—'} | "
                         f"{d.confidence:.2f} | {o.threshold:.2f} | {verdict}{why} |")
        lines.append("")
    lines += ["**Every sample** (proposed class; ✗ = not the expected class):", "",
              "| file | expected | proposed | confidence | outcome |", "|---|---|---|---|---|"]
    for o in samples:
        verdict = ("review" if o.review else "filed") + (" ✓" if o.right else " ✗")
        lines.append(f"| {o.case.name} | {o.case.group} | {o.decision.class_code or '—'} | "
                     f"{o.decision.confidence:.2f} | {verdict} |")
    return "\n".join([*lines, "", END])


def write_docs(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    a, b = doc.index(START), doc.index(END) + len(END)
    DOC.write_text(doc[:a] + text + doc[b:], encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--home", type=Path)
    args.add_argument("--write-docs", action="store_true")
    opts = args.parse_args(argv)
    schedule = schedule_of(REPO_RULES_DIR)
    samples = sample_cases(ingested_home(opts.home))
    folder = rl.corpus_dir()
    real = real_cases(schedule, folder) if folder else []
    note = (f"Real texts read from `{folder.name}` ({len(real)} texts). {kinds_read(folder)}"
            if folder else
            "The development set ../shared/corpus/real_texts is absent: real-text figures "
            "are skipped.")
    print(note)
    real_out = cross_validate(schedule, real, samples) if real else None
    sample_out = cross_validate(schedule, samples, real)
    curve = learning_curve(schedule, real, samples) if real else None
    text = report(schedule, sample_out, real_out, curve, note)
    print(text)
    if opts.write_docs:
        write_docs(text)
    print(Counter(o.review for o in sample_out))


if __name__ == "__main__":
    main()
