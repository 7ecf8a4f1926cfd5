"""``records classify``: (re)train the classifier and classify open documents again."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from commands.access import acting_archive
from commands.common import console, print_json
from pipeline import training
from pipeline.classify import RunReport, explain_line, reclassify
from pipeline.db.models import Classification

app = typer.Typer()


def _decision(row: Classification) -> dict[str, Any]:
    return {"document": row.document_id, "status": row.outcome, "class_code": row.class_code,
            "confidence": row.confidence, "method": row.method, "explanation": row.explanation}


def _retrained(r: training.Retrained) -> dict[str, Any]:
    return {"model": r.model.id, "examples": r.model.n_examples, "sources": r.sources,
            "classes": len(r.model.classes), **r.metrics.to_dict()}


@app.command("classify")
def classify(
    documents: list[int] | None = typer.Argument(None, help="Document ids (default: every "
                                                 "captured or needs_review document)."),
    retrain: bool = typer.Option(False, "--retrain", help="First train the statistical model "
                                 "on confirmed documents; prints held-out macro-F1."),
    include_classified: bool = typer.Option(False, "--all", help="Also reconsider documents "
                                            "classified automatically and not yet filed."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Classify documents again (rules + model); unsure ones go to the review queue.

    A class a records officer confirmed is never changed here (use records review correct).
    """
    if documents and include_classified:
        raise typer.BadParameter("give document ids or --all, not both")
    with acting_archive() as (archive, session, actor):
        retrained = training.retrain(session, archive.settings, actor) if retrain else None
        report = reclassify(session, archive.settings, actor, documents or None,
                            include_classified)
        data = _report(report, retrained)
    if retrained is not None:
        training.prune_models(archive.settings, retrained.model)
    if as_json:
        print_json(data)
    else:
        _print(data)


def _report(report: RunReport, retrained: training.Retrained | None) -> dict[str, Any]:
    decisions = [_decision(r) for r in report.decisions]
    return {"retrained": _retrained(retrained) if retrained else None,
            "decisions": decisions,
            "skipped": [{"document": k, "reason": v} for k, v in report.skipped.items()],
            "classified": sum(d["status"] == "classified" for d in decisions),
            "needs_review": sum(d["status"] == "needs_review" for d in decisions)}


def _print(data: dict[str, Any]) -> None:
    if r := data["retrained"]:
        f1 = "n/a" if r["macro_f1"] is None else f"{r['macro_f1']:.3f}"
        sources = ", ".join(f"{k} {v}" for k, v in r["sources"].items())
        console.print(f"model {r['model']}: {r['examples']} examples of {r['classes']} classes "
                      f"({sources}); held-out macro-F1 {f1} on {r['n_test']} documents"
                      f"{' (' + r['note'] + ')' if r['note'] else ''}", highlight=False)
    for d in data["decisions"]:
        console.print(f"document {d['document']}: {d['status']} {d['class_code'] or '-'} "
                      f"({d['confidence']:.2f}, {d['method']}) "
                      f"{escape(explain_line(d['explanation']))}", highlight=False)
    for s in data["skipped"]:
        console.print(f"document {s['document']}: skipped, {s['reason']}", highlight=False)
    console.print(f"{data['classified']} classified, {data['needs_review']} to review")
