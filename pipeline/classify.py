"""Automatic classification: every captured document gets a class, a confidence and the why.

Two experts vote on the leaf classes of the retention schedule:

* the **rules** of the schedule (:func:`pipeline.retention.matching.match_document`:
  keywords, safe regexes, sender, document number), plus the class a record-type plugin
  proposes (:data:`RECORD_TYPE_SCORE` points times the type's confidence). A class with
  rule score ``s``, whose best rival scores ``r``, gets
  ``rule(c) = (1 - exp(-s/4)) * s / (s + r)`` (the matcher's own formula);
* the **model** (:mod:`pipeline.classifier_model`), trained on documents officers
  confirmed, gives ``model(c) = P(c | text)`` for the classes it has seen.

``confidence(c) = (1 - w) * rule(c) + w * model(c)`` with the model's weight
``w = 0.5 * n / (n + 20)`` growing with its ``n`` training examples (never above the rules).
Where one expert has nothing to say, the other decides alone: no model, or a class the
model never saw, gives ``rule(c)``; no rule matching at all gives ``model(c)``. The best
class wins; below the ``review_threshold`` setting the document goes to ``needs_review``
instead of ``classified``. Status changes go through :mod:`pipeline.lifecycle` (by way of
:func:`pipeline.filing.classify`); each decision is stored as a :class:`Classification`
row with its explanation. docs/classification.md has the details and measured numbers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import classifier_model as cm
from pipeline import filing
from pipeline.auth import Actor, Perm, system_actor
from pipeline.db.models import Classification, ClassifierModel, Document, LifecycleEvent
from pipeline.docheader import DocHeader, Found, mask_form_labels, read_header
from pipeline.lifecycle import State, get_document, transition
from pipeline.record_types import CONFIDENCE_KEY, proposed_class
from pipeline.retention.matching import STRENGTH_SCALE, Evidence, match_document
from pipeline.retention.schedule import Schedule, load_rules_dir
from pipeline.settings import Settings

#: who makes automatic decisions (at ingest and in ``records classify``)
CLASSIFIER = system_actor("classifier", Perm.classify)
#: rule score of a record type's proposal, times the type's own confidence
RECORD_TYPE_SCORE = 3.0
MODEL_WEIGHT_MAX = 0.5
#: training examples at which the model gets half of its maximum weight
MODEL_HALF_WEIGHT_AT = 20
ALTERNATIVES = 3
SNIPPET_RADIUS = 15
#: methods of automatic decisions (an officer's is "review")
AUTOMATIC_METHODS = frozenset({"rules", "model", "combined", "none"})


@dataclass(frozen=True)
class Context:
    """What a decision needs, loaded once per transaction: schedule, model, threshold."""

    schedule: Schedule
    threshold: float
    model: cm.TrainedModel | None = None
    model_id: int | None = None


@dataclass(frozen=True)
class Proposal:
    """A class proposed by the document's record type, counted as rule evidence."""

    record_type: str
    code: str
    score: float


@dataclass(frozen=True)
class Decision:
    """A class decision before it is applied: the best class, its confidence and the why."""

    class_code: str | None
    confidence: float
    method: str
    explanation: dict[str, Any] = field(default_factory=dict)

    def needs_review(self, threshold: float) -> bool:
        return self.class_code is None or self.confidence < threshold


# ── loading ──────────────────────────────────────────────────────────────────────────


def load_context(session: Session, settings: Settings) -> Context:
    schedule = schedule_of(settings.rules_dir)
    row = latest_model(session)
    if row is None:
        return Context(schedule, settings.review_threshold)
    model = _load_model(str(settings.home / row.path), row.sha256)
    return Context(schedule, settings.review_threshold, model, row.id)


def latest_model(session: Session) -> ClassifierModel | None:
    return session.scalar(select(ClassifierModel).order_by(ClassifierModel.id.desc()).limit(1))


@functools.lru_cache(maxsize=2)
def _load_model(path: str, sha256: str) -> cm.TrainedModel:
    # keyed by the hash: a model file never changes under the same hash
    return cm.load(Path(path), sha256)


def schedule_of(rules_dir: Path) -> Schedule:
    """The schedule in force, parsed again only when a rules file changed."""
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                  for p in sorted(rules_dir.glob("*.y*ml")))
    return _schedule(str(rules_dir), stamp)


@functools.lru_cache(maxsize=4)
def _schedule(rules_dir: str, _stamp: tuple[tuple[str, int, int], ...]) -> Schedule:
    return load_rules_dir(rules_dir)


# ── deciding ─────────────────────────────────────────────────────────────────────────


def document_text(doc: Document) -> str:
    return "\n".join(page.text for page in sorted(doc.pages, key=lambda p: p.number))


def decide(text: str, ctx: Context, header: DocHeader | None = None,
           proposal: Proposal | None = None) -> Decision:
    """Class, confidence and explanation for a text (and a record type's proposal)."""
    header = header or read_header(text)
    evidence = _rule_evidence(text, ctx.schedule, header)
    if proposal is not None and _is_leaf(ctx.schedule, proposal.code):
        evidence.setdefault(proposal.code, []).append(_proposal_evidence(proposal))
    rules = rule_confidences({c: sum(e["score"] for e in ev) for c, ev in evidence.items()})
    probs = _model_probabilities(ctx, text)
    weight = model_weight(ctx.model.n_examples) if ctx.model else 0.0
    combined = combine(rules, probs, weight)
    if not combined or max(combined.values()) <= 0:
        return Decision(None, 0.0, "none", _explain(ctx, header, None, rules, probs, weight, []))
    best = max(sorted(combined), key=lambda c: combined[c])
    why = evidence.get(best, []) + _model_evidence(ctx, text, best, probs)
    return Decision(best, round(combined[best], 4), _method(rules, probs, best),
                    _explain(ctx, header, best, rules, probs, weight, why, combined))


def rule_confidences(scores: dict[str, float]) -> dict[str, float]:
    """The matcher's confidence per class: evidence strength times margin over the rival."""
    out = {}
    for code, score in scores.items():
        rival = max((s for c, s in scores.items() if c != code), default=0.0)
        strength = 1 - math.exp(-score / STRENGTH_SCALE)
        out[code] = strength * score / (score + rival) if score > 0 else 0.0
    return out


def model_weight(n_examples: int) -> float:
    return MODEL_WEIGHT_MAX * n_examples / (n_examples + MODEL_HALF_WEIGHT_AT)


def combine(rules: dict[str, float], probs: dict[str, float], weight: float) -> dict[str, float]:
    """Weighted mean of the experts; an expert without an opinion on a class leaves it out."""
    if not probs:
        return dict(rules)
    if not rules:
        return dict(probs)
    codes = set(rules) | set(probs)
    return {c: rules.get(c, 0.0) if c not in probs
            else (1 - weight) * rules.get(c, 0.0) + weight * probs[c] for c in codes}


def _method(rules: dict[str, float], probs: dict[str, float], best: str) -> str:
    if not probs or best not in probs:
        return "rules"
    return "model" if not rules else "combined"


def _is_leaf(schedule: Schedule, code: str) -> bool:
    return code in schedule and schedule.is_leaf(code)


def _rule_evidence(text: str, schedule: Schedule,
                   header: DocHeader) -> dict[str, list[dict[str, Any]]]:
    masked = mask_form_labels(text)
    matches = match_document(
        masked, schedule,
        sender=header.sender.value if header.sender else None,
        doc_number=header.doc_number.value if header.doc_number else None,
    )
    return {m.code: [_evidence_dict(e, text) for e in m.evidence if e.count or e.warning]
            for m in matches if m.score > 0}


def _evidence_dict(e: Evidence, original: str) -> dict[str, Any]:
    snippet = e.snippet
    if e.start is not None and e.matched:
        snippet = _snippet(original, e.start, e.start + len(e.matched[0]))
    item: dict[str, Any] = {"source": "rules", "kind": e.kind.value, "rule": e.rule,
                            "matched": list(e.matched), "count": e.count,
                            "score": round(e.score, 3), "snippet": snippet}
    if e.warning:
        item["warning"] = e.warning
    return item


def _snippet(text: str, start: int, end: int) -> str:
    """The words around a match, from the original text (the matcher saw a masked copy)."""
    a, b = max(0, start - SNIPPET_RADIUS), min(len(text), end + SNIPPET_RADIUS)
    body = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + body + ("…" if b < len(text) else "")


def _proposal_evidence(p: Proposal) -> dict[str, Any]:
    return {"source": "record_type", "kind": "record_type", "rule": p.record_type,
            "matched": [p.code], "count": 1, "score": round(p.score, 3), "snippet": ""}


def _model_probabilities(ctx: Context, text: str) -> dict[str, float]:
    if ctx.model is None:
        return {}
    probs = cm.probabilities(ctx.model, text)
    # a class the schedule in force no longer has cannot be proposed
    return {c: p for c, p in probs.items() if _is_leaf(ctx.schedule, c)}


def _model_evidence(ctx: Context, text: str, best: str,
                    probs: dict[str, float]) -> list[dict[str, Any]]:
    if ctx.model is None or best not in probs:
        return []
    return [{"source": "model", "kind": "ngram", **f}
            for f in cm.top_features(ctx.model, text, best)]


def _explain(ctx: Context, header: DocHeader, best: str | None, rules: dict[str, float],
             probs: dict[str, float], weight: float, evidence: list[dict[str, Any]],
             combined: dict[str, float] | None = None) -> dict[str, Any]:
    combined = combined or {}
    others = sorted((c for c in combined if c != best), key=lambda c: (-combined[c], c))
    return {
        "class": _title(ctx.schedule, best),
        "threshold": ctx.threshold,
        "rule_confidence": round(rules.get(best, 0.0), 4) if best else None,
        "model_probability": round(probs[best], 4) if best in probs else None,
        "model_weight": round(weight, 4) if ctx.model else None,
        "evidence": evidence,
        "alternatives": [_alternative(ctx, c, combined, rules, probs)
                         for c in others[:ALTERNATIVES]],
        "header": header.to_dict(),
        "schedule": f"{ctx.schedule.schedule_id} v{ctx.schedule.version}",
    }


def _title(schedule: Schedule, code: str | None) -> dict[str, str] | None:
    if code is None:
        return None
    return {"code": code, "title": schedule.get(code).title.zh_tw}


def _alternative(ctx: Context, code: str, combined: dict[str, float], rules: dict[str, float],
                 probs: dict[str, float]) -> dict[str, Any]:
    return {"code": code, "title": ctx.schedule.get(code).title.zh_tw,
            "confidence": round(combined[code], 4), "rule_confidence": round(rules.get(code, 0), 4),
            "model_probability": round(probs[code], 4) if code in probs else None}


# ── applying a decision ──────────────────────────────────────────────────────────────


def record_type_proposal(doc: Document) -> Proposal | None:
    """The class the document's record type proposed, weighted by how sure the type was."""
    code = proposed_class(doc)
    if not code:
        return None
    sure = (doc.fields or {}).get(CONFIDENCE_KEY)
    weight = float(sure) if isinstance(sure, (int, float)) and 0 < sure <= 1 else 1.0
    return Proposal(doc.record_type or "record type", code, RECORD_TYPE_SCORE * weight)


def document_header(doc: Document, text: str) -> DocHeader:
    """Sender and number as the record type extracted them, else as read from the text."""
    header, fields = read_header(text), doc.fields or {}
    sender, number = fields.get("issuing_agency"), fields.get("doc_number")
    return DocHeader(
        Found(sender, "record type field", "") if isinstance(sender, str) else header.sender,
        Found(number, "record type field", "") if isinstance(number, str) else header.doc_number,
        header.date,
    )


def classify_document(session: Session, ctx: Context, doc: Document,
                      requested_by: str | None = None) -> Classification:
    """Decide, set the document date if the text has one and none was given, move the
    document to ``classified`` or ``needs_review``, and store the decision."""
    text = document_text(doc)
    header = document_header(doc, text)
    if doc.document_date is None and header.date is not None:
        doc.document_date = header.date.day
    decision = decide(text, ctx, header, record_type_proposal(doc))
    if requested_by:
        decision.explanation["requested_by"] = requested_by
    return apply(session, ctx, doc, decision)


def apply(session: Session, ctx: Context, doc: Document, decision: Decision) -> Classification:
    review = decision.needs_review(ctx.threshold)
    reason = _reason(decision, ctx.threshold)
    if decision.class_code is not None:
        filing.classify(session, CLASSIFIER, ctx.schedule, doc.id, decision.class_code,
                        review=review, reason=reason)
    else:
        _to_review_without_class(session, doc, reason)
    row = Classification(
        document_id=doc.id, class_code=decision.class_code, confidence=decision.confidence,
        method=decision.method, outcome=doc.status, explanation=decision.explanation,
        schedule_id=ctx.schedule.schedule_id, schedule_version=ctx.schedule.version,
        model_id=ctx.model_id if decision.method in ("model", "combined") else None,
        decided_by=CLASSIFIER.name)
    session.add(row)
    return row


def _reason(decision: Decision, threshold: float) -> str:
    if decision.class_code is None:
        return "automatic: no rule or model evidence for any class"
    return (f"automatic ({decision.method}): class {decision.class_code}, confidence "
            f"{decision.confidence:.2f}, threshold {threshold:.2f}")


def _to_review_without_class(session: Session, doc: Document, reason: str) -> None:
    if doc.status != State.needs_review:
        transition(session, CLASSIFIER, doc, State.needs_review, reason)
    doc.class_code = None


def classify_step(session: Session, settings: Settings, doc: Document) -> None:
    """Enrichment step (inside the ingest transaction): classify the new document."""
    classify_document(session, load_context(session, settings), doc)


def latest_decision(session: Session, document_id: int) -> Classification | None:
    return session.scalar(select(Classification)
                          .where(Classification.document_id == document_id)
                          .order_by(Classification.id.desc()).limit(1))


# ── classifying again (``records classify``) ─────────────────────────────────────────

#: states an automatic decision may still change; ``classified`` only when asked (--all)
OPEN_STATES = (State.captured, State.needs_review)


@dataclass
class RunReport:
    decisions: list[Classification] = field(default_factory=list)
    #: document id -> why it was left alone
    skipped: dict[int, str] = field(default_factory=dict)


def confirmed_by(session: Session, doc: Document) -> str | None:
    """Who confirmed the document's class, if a person did: the classifier leaves it be."""
    last = latest_decision(session, doc.id)
    if last is not None and last.method not in AUTOMATIC_METHODS:
        return last.decided_by
    event = session.scalar(select(LifecycleEvent).where(
        LifecycleEvent.document_id == doc.id, LifecycleEvent.to_state == State.classified)
        .order_by(LifecycleEvent.id.desc()).limit(1))
    if event is not None and not event.actor.startswith("system:"):
        return event.actor
    return None


def _why_not(session: Session, doc: Document, states: tuple[State, ...]) -> str | None:
    if doc.status not in states:
        return f"status {doc.status}: only {', '.join(states)} documents are classified again"
    person = confirmed_by(session, doc)
    return f"class confirmed by {person}; change it with records review correct" if person else None


def _candidates(session: Session, ids: list[int] | None,
                states: tuple[State, ...]) -> list[Document]:
    if ids:
        return [get_document(session, i) for i in ids]
    return list(session.scalars(select(Document).where(Document.status.in_(states))
                                .order_by(Document.id)))


def reclassify(session: Session, settings: Settings, actor: Actor, ids: list[int] | None = None,
               include_classified: bool = False) -> RunReport:
    """Run the classifier again on open documents (``ids``, or all of them).

    ``include_classified`` (or naming documents) also reconsiders automatically classified,
    not yet filed documents; a class a person confirmed is never overridden.
    """
    actor.require(Perm.classify)
    states = (*OPEN_STATES, State.classified) if include_classified or ids else OPEN_STATES
    ctx, report = load_context(session, settings), RunReport()
    for doc in _candidates(session, ids, states):
        if reason := _why_not(session, doc, states):
            report.skipped[doc.id] = reason
        else:
            report.decisions.append(classify_document(session, ctx, doc, actor.name))
    return report


def explain_line(explanation: dict[str, Any], limit: int = 3) -> str:
    """The strongest evidence of a decision in one line, for tables and logs."""
    items = sorted(explanation.get("evidence", []), key=lambda e: -abs(e.get("score",
                                                                             e.get("weight", 0))))
    parts = [_evidence_word(e) for e in items[:limit]]
    return "; ".join(parts) or "no evidence"


def _evidence_word(e: dict[str, Any]) -> str:
    if e.get("source") == "model":
        return f"model n-gram {e['feature']!r}"
    count = f" x{e['count']}" if e.get("count", 1) > 1 else ""
    return f"{e['kind']} {e['rule']}{count}"
