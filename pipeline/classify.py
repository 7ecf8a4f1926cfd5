"""Automatic classification: every captured document gets a class, a confidence and the why.

Two experts vote on the leaf classes of the retention schedule:

* the **rules** of the schedule (:func:`pipeline.retention.matching.match_document`:
  keywords, safe regexes, sender, document number), plus the class a record-type plugin
  proposes (:data:`RECORD_TYPE_SCORE` points times the type's confidence). A class with
  rule score ``s``, whose best rival scores ``r``, gets
  ``rule(c) = (1 - exp(-s/4)) * s / (s + r)`` (the matcher's own formula);
* the **model** (:mod:`pipeline.classifier_model`), trained on documents officers
  confirmed, gives ``model(c) = P(c | text)`` for the classes it has seen.

``combined(c) = (1 - w) * rule(c) + w * model(c)``, the model's weight ``w`` chosen from
held-out decisions when the model was trained (:func:`pipeline.calibration.fit`), else
growing with its ``n`` training examples (:func:`model_weight`). Where one expert has
nothing to say, the other decides alone: no model, or a class the model never saw, gives
``rule(c)``; no rule matching at all gives ``model(c)``. The best class wins; its
calibrated probability of being right is the confidence, and below the threshold (the
model's, chosen from measured precision, else the ``review_threshold`` setting) the
document goes to ``needs_review`` instead of ``classified``, with the division the
evidence points to when it points to one (:func:`likely_division`). Status changes go
through :mod:`pipeline.lifecycle` (by way of :func:`pipeline.filing.classify`); each
decision is stored as a :class:`Classification` row with its explanation.
An archive with no model of its own uses the starter trained on real texts
(:mod:`pipeline.starter`). docs/classification.md has the details and measured numbers.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import classifier_model as cm
from pipeline import filing
from pipeline.auth import Actor, Perm, system_actor
from pipeline.clerk import document_kind, subject_of
from pipeline.db.models import Classification, ClassifierModel, Document, LifecycleEvent
from pipeline.docheader import DocHeader, Found, mask_form_labels, read_header, read_printed
from pipeline.errors import ConfigError
from pipeline.lifecycle import State, get_document, transition
from pipeline.record_types import CONFIDENCE_KEY, proposed_class
from pipeline.retention.matching import STRENGTH_SCALE, Evidence, EvidenceKind, match_document
from pipeline.retention.printed import PrintedConstraints, constraints
from pipeline.retention.schedule import Schedule, load_rules_dir
from pipeline.settings import Settings

log = logging.getLogger(__name__)

#: who makes automatic decisions (at ingest and in ``records classify``)
CLASSIFIER = system_actor("classifier", Perm.classify)
#: rule score of a record type's proposal, times the type's own confidence
RECORD_TYPE_SCORE = 3.0
MODEL_WEIGHT_MAX = 0.6
#: the model's weight with no confirmed document: it knows the class descriptions only
MODEL_WEIGHT_MIN = 0.3
#: keywords found in the 主旨 count this much again
SUBJECT_FACTOR = 1.0
#: rule points of the printed 檔號's class when the schedule in force has it
PRINTED_CODE_SCORE = 6.0
#: with fewer rule points than this for the best class and a lower similarity to its
#: description than that, no class fits (chosen by inspecting the development set:
#: in-scope texts mostly have 8+ points or 0.2+ similarity)
OUT_OF_SCOPE_POINTS = 6.0
OUT_OF_SCOPE_SIMILARITY = 0.2
OUT_OF_SCOPE_REASON = "不屬本處檔案類目？沒有類目的規則明確相符，與各類目說明亦不相近"
#: a text this similar to one confirmed as out of scope is said to be so under review
#: (chosen by inspecting the development set: its out-of-scope texts about the same
#: matters scored 0.48-0.57 against each other, 50 of 52 in-scope texts under 0.4; two
#: scored 0.5 and 0.6, so it is said as a possibility and withholds no class)
STRANGER_SIMILARITY = 0.45
#: training examples at which the model gets half of its maximum weight
MODEL_HALF_WEIGHT_AT = 20
ALTERNATIVES = 3
SNIPPET_RADIUS = 15
#: another class with this share of the best class's rule points (or more) splits the
#: evidence: a person chooses (chosen on the development set: of its decisions whose
#: runner-up had 85 % of the points or more, two in five were wrong)
SPLIT_RATIO = 0.85
#: share of the candidates' combined score one division must hold for a review to name it
DIVISION_SHARE = 0.6
#: kinds of document that state their own matter in a 主旨 (a letter, a memo): the
#: calibrator learns how far their evidence can be trusted apart from rules, notices, FAQ
LETTER_KINDS = frozenset({"函", "簽"})
#: methods of automatic decisions (an officer's is "review")
AUTOMATIC_METHODS = frozenset({"rules", "model", "combined", "none"})


@dataclass(frozen=True)
class Context:
    """What a decision needs, loaded once per transaction: schedule, model, threshold."""

    schedule: Schedule
    threshold: float
    model: cm.TrainedModel | None = None
    model_id: int | None = None
    #: the model as decisions name it: model:<id>, or the starter (pipeline/starter.py)
    model_name: str | None = None


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
    #: why the document must be reviewed whatever its confidence (Traditional Chinese)
    review_reason: str | None = None
    #: what the calibrator saw (:func:`decision_features`); not stored
    features: list[float] = field(default_factory=list, compare=False)

    def needs_review(self, threshold: float) -> bool:
        return (self.class_code is None or self.review_reason is not None
                or self.confidence < threshold)


# ── loading ──────────────────────────────────────────────────────────────────────────


def load_context(session: Session, settings: Settings) -> Context:
    schedule = schedule_of(settings.rules_dir)
    row = latest_model(session)
    if row is None:
        return _starter_context(schedule, settings)
    try:
        model = _load_model(str(settings.home / row.path), row.sha256)
    except ConfigError as exc:  # a model of an older release: batches go on without it
        log.warning("%s; until then documents are classified without it", exc)
        return _starter_context(schedule, settings)
    return Context(schedule, _threshold(model, settings), model, row.id, f"model:{row.id}")


def _starter_context(schedule: Schedule, settings: Settings) -> Context:
    """The starter classifier where it fits the schedule, else the rules alone."""
    from pipeline import starter  # imports calibration, which imports this module

    model = starter.load(schedule) if settings.starter_classifier else None
    if model is None:
        return Context(schedule, settings.review_threshold)
    return Context(schedule, _threshold(model, settings), model, None, starter.NAME)


def _threshold(model: cm.TrainedModel, settings: Settings) -> float:
    # a calibrated model brings the threshold chosen from its measured precision
    return model.threshold if model.threshold is not None else settings.review_threshold


def warm_up(settings: Settings) -> threading.Thread:
    """Load the schedule and scikit-learn in the background while a batch's first pages are
    read: the first classification otherwise waits 1-2 s for them with an OCR worker's slot
    held, a fifth of a small batch's wall time. Errors are left to the real call.

    Not a daemon: a daemon thread stopped at exit inside an extension's import aborted the
    process ("FATAL: exception not rethrown") when a batch failed at once (a full disk);
    the interpreter waits for this one instead, at most the import's 1-2 s."""
    def work() -> None:
        try:
            schedule = schedule_of(settings.rules_dir)
            cm.description_similarity(None, "", schedule)
            if settings.starter_classifier:
                from pipeline import starter

                starter.load(schedule)
        except Exception:
            log.debug("classifier warm-up failed", exc_info=True)

    thread = threading.Thread(target=work, name="classifier-warm-up", daemon=False)
    thread.start()
    return thread


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
           proposal: Proposal | None = None,
           printed: dict[str, Any] | None = None, *, explain: bool = True) -> Decision:
    """Class, confidence and explanation for a text (and a record type's proposal).

    ``printed`` is the document's printed 檔號/保存年限 (read from the text when not given):
    a class they forbid is never proposed, and a text pointing to one goes to review.
    """
    header = header or read_header(text)
    printed = read_printed(text).to_dict() if printed is None else printed
    limits = constraints(ctx.schedule, printed)
    evidence = {c: list(ev) for c, ev in _text_evidence(text, ctx.schedule, header).items()}
    if proposal is not None and _is_leaf(ctx.schedule, proposal.code):
        evidence.setdefault(proposal.code, []).append(_proposal_evidence(proposal))
    if limits.code_in_force and _is_leaf(ctx.schedule, limits.code_in_force):
        evidence.setdefault(limits.code_in_force, []).append(_printed_evidence(printed))
    rules = rule_confidences({c: sum(e["score"] for e in ev) for c, ev in evidence.items()})
    probs = _model_probabilities(ctx, text)
    sims = cm.description_similarity(ctx.model, text, ctx.schedule)
    combined = combine(rules, probs, weight_of(ctx.model))
    allowed = {c: v for c, v in combined.items() if limits.allowed(ctx.schedule, c)}
    parts = _Parts(rules, probs, sims, combined, evidence, header, limits, explain,
                   cm.stranger_similarity(ctx.model, text), document_kind(text))
    if not allowed or max(allowed.values()) <= 0:
        return _no_class(ctx, parts, text)
    text_best = max(sorted(combined), key=lambda c: combined[c])
    best = _nearest_allowed(allowed, text_best)
    blocked = limits.why_not(ctx.schedule, text_best) if text_best != best else None
    reason = (f"內文較符合 {text_best}「{ctx.schedule.get(text_best).title.zh_tw}」，但"
              f"{blocked}；請確認歸入 {best}") if blocked else None
    if reason is None and _out_of_scope(parts, best):
        return _no_class(ctx, parts, text)
    confidence = calibrated(ctx, parts, best)
    reason = reason or _split_evidence(ctx, parts, best)
    return Decision(best, round(confidence, 4), _method(rules, probs, best),
                    _explain(ctx, parts, best, confidence, reason, text), reason,
                    decision_features(parts, best))


def _split_evidence(ctx: Context, parts: _Parts, best: str) -> str | None:
    """Why a person must choose when another class's rules match about as strongly as the
    best's (:data:`SPLIT_RATIO`), unless the printed 檔號 names the best class."""
    if parts.limits.code_in_force and best.startswith(parts.limits.code_in_force):
        return None
    points = {c: sum(e["score"] for e in ev) for c, ev in parts.evidence.items()}
    rival = max(sorted(c for c in points if c != best), key=lambda c: points[c], default=None)
    own = points.get(best, 0.0)
    if rival is None or points[rival] <= 0 or points[rival] < SPLIT_RATIO * own:
        return None
    title = ctx.schedule.get(rival).title.zh_tw
    return (f"規則證據分歧：{rival}「{title}」之規則分數（{points[rival]:.1f}）與 {best} 相近"
            f"（{own:.1f}）；請確認歸入 {best}")


def _nearest_allowed(allowed: dict[str, float], text_best: str) -> str:
    """The best allowed class; when the text's own best is not allowed, the allowed class
    closest to it in the schedule (longest common code prefix), as a clerk would look in
    the same 綱 or 類 first."""
    if text_best in allowed:
        return text_best
    candidates = sorted(c for c, v in allowed.items() if v > 0) or sorted(allowed)
    return max(candidates, key=lambda c: (_common_prefix(c, text_best) // 2, allowed[c]))


def general_class(schedule: Schedule, division: str) -> str | None:
    """The division's class for matters no other class of it covers (``0x99 其他…``): where
    an officer files a document whose function the schedule has no class for."""
    return next((c.code for c in schedule.in_division(division)
                 if len(c.code) == 4 and c.code.endswith("99")), None)


def likely_division(schedule: Schedule, combined: dict[str, float]) -> dict[str, Any] | None:
    """The division holding at least :data:`DIVISION_SHARE` of the combined score of the
    candidate classes: when the class is unsure, the review can still say whose it is."""
    total = sum(v for v in combined.values() if v > 0)
    by_division: dict[str, float] = {}
    for code, v in combined.items():
        division = schedule.get(code).division
        if v > 0 and division:
            by_division[division] = by_division.get(division, 0.0) + v
    if not by_division:
        return None
    key = max(sorted(by_division), key=lambda d: by_division[d])
    share = by_division[key] / total
    if share < DIVISION_SHARE:
        return None
    name = schedule.divisions[key].zh_tw if key in schedule.divisions else key
    return {"key": key, "name": name, "share": round(share, 4),
            "general_class": general_class(schedule, key)}


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@dataclass(frozen=True)
class _Parts:
    """The evidence of one decision, per class."""

    rules: dict[str, float]
    probs: dict[str, float]
    sims: dict[str, float]
    combined: dict[str, float]
    evidence: dict[str, list[dict[str, Any]]]
    header: DocHeader
    limits: PrintedConstraints
    #: whether to name the model's n-grams (measurements need the decision only)
    explain: bool = True
    #: similarity to the nearest text confirmed as out of scope
    stranger: float = 0.0
    #: the kind of document (:func:`pipeline.clerk.document_kind`)
    kind: str = ""


def decision_features(parts: _Parts, best: str) -> list[float]:
    """What the calibrator sees of a decision: how strong and how clear its evidence is."""
    others = sorted((v for c, v in parts.combined.items() if c != best), reverse=True)
    raw = sum(e["score"] for e in parts.evidence.get(best, []))
    return [parts.combined.get(best, 0.0), parts.combined.get(best, 0.0) - (others[0] if others
            else 0.0), parts.rules.get(best, 0.0), math.log1p(raw),
            parts.probs.get(best, 0.0), parts.probs.get(cm.OUT_OF_SCOPE, 0.0),
            parts.sims.get(best, 0.0), max(parts.sims.values(), default=0.0),
            1.0 if parts.limits.code_in_force and best.startswith(parts.limits.code_in_force)
            else 0.0, parts.stranger, 1.0 if parts.kind in LETTER_KINDS else 0.0]


def calibrated(ctx: Context, parts: _Parts, best: str) -> float:
    """P(the class is right): the calibrator's answer, or the combined score without one."""
    model = ctx.model
    if model is None or model.calibrator is None:
        return parts.combined.get(best, 0.0)
    with cm._one_thread():
        return float(model.calibrator.predict_proba([decision_features(parts, best)])[0][1])


def _out_of_scope(parts: _Parts, best: str) -> bool:
    """Weak rule evidence for the best class and little likeness to its description: no
    class fits, whatever the calibrated confidence. The calibrator learns from few such
    decisions and can rate them high: a district office's dengue press release, one
    keyword (病媒蚊) of the city hall's cleaning class, got 0.82 over a threshold of 0.75
    in the development set's cross-validation; an officer does not file on one word."""
    points = sum(e["score"] for e in parts.evidence.get(best, []))
    weak = points < OUT_OF_SCOPE_POINTS and parts.sims.get(best, 0.0) < OUT_OF_SCOPE_SIMILARITY
    # a text close to confirmed documents of the class is no stranger to the schedule
    return weak and parts.probs.get(best, 0.0) < 0.5


def _no_class(ctx: Context, parts: _Parts, text: str) -> Decision:
    return Decision(None, 0.0, "none", _explain(ctx, parts, None, 0.0, OUT_OF_SCOPE_REASON, text),
                    OUT_OF_SCOPE_REASON)


def _text_evidence(text: str, schedule: Schedule,
                   header: DocHeader) -> dict[str, list[dict[str, Any]]]:
    """Rule evidence of the text and its subject; the last few are remembered, because
    measuring decides the same text with many models."""
    key = (id(schedule), text, header.sender.value if header.sender else None,
           header.doc_number.value if header.doc_number else None)
    if (hit := _EVIDENCE_CACHE.get(key)) is not None and hit[0] is schedule:
        return hit[1]
    evidence = _rule_evidence(text, schedule, header)
    _add_subject_evidence(evidence, text, schedule)
    if len(_EVIDENCE_CACHE) >= EVIDENCE_CACHE_SIZE:
        _EVIDENCE_CACHE.pop(next(iter(_EVIDENCE_CACHE)))
    _EVIDENCE_CACHE[key] = (schedule, evidence)
    return evidence


EVIDENCE_CACHE_SIZE = 512
_EVIDENCE_CACHE: dict[tuple[int, str, str | None, str | None],
                      tuple[Schedule, dict[str, list[dict[str, Any]]]]] = {}


def _add_subject_evidence(evidence: dict[str, list[dict[str, Any]]], text: str,
                          schedule: Schedule) -> None:
    """Keywords in the 主旨 count once more: the subject says what the letter is about."""
    subject = subject_of(mask_form_labels(text))
    for m in match_document(subject, schedule):
        for e in m.evidence:
            if e.kind is EvidenceKind.keyword and e.count:
                item = _evidence_dict(e, subject)
                evidence.setdefault(m.code, []).append(
                    {**item, "kind": "subject", "score": round(e.score * SUBJECT_FACTOR, 3)})


def _printed_evidence(printed: dict[str, Any]) -> dict[str, Any]:
    number = printed.get("file_number")
    return {"source": "printed", "kind": "file_number", "rule": "檔號", "matched": [number],
            "count": 1, "score": PRINTED_CODE_SCORE, "snippet": f"檔號：{number}"}


def rule_confidences(scores: dict[str, float]) -> dict[str, float]:
    """The matcher's confidence per class: evidence strength times margin over the rival."""
    out = {}
    for code, score in scores.items():
        rival = max((s for c, s in scores.items() if c != code), default=0.0)
        strength = 1 - math.exp(-score / STRENGTH_SCALE)
        out[code] = strength * score / (score + rival) if score > 0 else 0.0
    return out


def model_weight(n_examples: int) -> float:
    """The model's share of the vote: it grows with confirmed examples, up to
    :data:`MODEL_WEIGHT_MAX` (the class descriptions give it a voice from the start)."""
    return MODEL_WEIGHT_MIN + (MODEL_WEIGHT_MAX - MODEL_WEIGHT_MIN) * n_examples / (
        n_examples + MODEL_HALF_WEIGHT_AT)


def weight_of(model: cm.TrainedModel | None) -> float:
    """The model's share of the vote: as measured on held-out decisions when it was
    trained (:func:`pipeline.calibration.fit`), else by its number of examples."""
    if model is None:
        return 0.0
    chosen = getattr(model, "weight", None)  # models saved before the weight was chosen
    return model_weight(model.n_examples) if chosen is None else float(chosen)


def combine(rules: dict[str, float], probs: dict[str, float], weight: float) -> dict[str, float]:
    """Weighted mean of the experts over every class either has an opinion on; with no
    rule matching at all, the model alone."""
    if not probs:
        return dict(rules)
    if not rules:
        return {c: p for c, p in probs.items() if c != cm.OUT_OF_SCOPE}
    codes = (set(rules) | set(probs)) - {cm.OUT_OF_SCOPE}
    return {c: (1 - weight) * rules.get(c, 0.0) + weight * probs.get(c, 0.0) for c in codes}


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


def _explain(ctx: Context, parts: _Parts, best: str | None, confidence: float,
             reason: str | None, text: str) -> dict[str, Any]:
    combined = parts.combined
    others = sorted((c for c in combined if c != best), key=lambda c: (-combined[c], c))
    evidence = parts.evidence.get(best, []) if best else []
    if best is not None and parts.explain:
        evidence = evidence + _model_evidence(ctx, text, best, parts.probs)
    out = {
        "class": _title(ctx.schedule, best),
        "threshold": ctx.threshold,
        "calibrated": bool(ctx.model is not None and ctx.model.calibrator is not None),
        "rule_confidence": round(parts.rules.get(best, 0.0), 4) if best else None,
        "model_probability": round(parts.probs[best], 4) if best in parts.probs else None,
        "description_similarity": round(parts.sims[best], 4) if best in parts.sims else None,
        "stranger_similarity": round(parts.stranger, 4),
        "model_weight": round(weight_of(ctx.model), 4) if ctx.model else None,
        "model": ctx.model_name,
        "evidence": evidence,
        "alternatives": [_alternative(ctx, c, parts) for c in others[:ALTERNATIVES]],
        "header": parts.header.to_dict(),
        "printed_notes": list(parts.limits.notes),
        "schedule": f"{ctx.schedule.schedule_id} v{ctx.schedule.version}",
    }
    if best is not None and (reason or confidence < ctx.threshold):
        out["division"] = likely_division(ctx.schedule, combined)
    out["summary"] = summary(out, best, confidence, reason, ctx.threshold)
    if reason:
        out["review_reason"] = reason
    return out


def summary(explanation: dict[str, Any], best: str | None, confidence: float,
            reason: str | None, threshold: float) -> str:
    """The decision in one sentence of Traditional Chinese."""
    if best is None:
        return reason or OUT_OF_SCOPE_REASON
    title = explanation["class"]["title"]
    words = [_evidence_words(e) for e in explanation["evidence"][:3]]
    because = "、".join(w for w in words if w) or "模型判斷"
    verdict = (f"送審：{reason}" if reason else
               f"{'自動歸類' if confidence >= threshold else '送審：信心不足'}"
               f"（{confidence:.2f}，門檻 {threshold:.2f}）")
    return (f"擬歸 {best}「{title}」，依據{because}。{verdict}{_division_words(explanation)}"
            f"{_stranger_words(explanation, confidence < threshold or bool(reason))}")


def _stranger_words(explanation: dict[str, Any], review: bool) -> str:
    """Under review: a text like one an officer found out of scope may be out of scope."""
    similarity = explanation.get("stranger_similarity") or 0.0
    if not review or similarity < STRANGER_SIMILARITY:
        return ""
    return f"。與曾判定不屬本處檔案類目之文件相近（{similarity:.2f}），或不屬本處檔案類目"


def _division_words(explanation: dict[str, Any]) -> str:
    """Under review: the division the evidence points to, and its class for other matters."""
    division = explanation.get("division")
    if not division:
        return ""
    general = division.get("general_class")
    other = f"；若無相符類目，可歸 {general}" if general else ""
    return f"。證據多指向{division['name']}（{division['share']:.0%}）{other}"


def _evidence_words(e: dict[str, Any]) -> str:
    source, kind = e.get("source"), e.get("kind")
    if source == "model":
        return f"{e.get('part', '內文')}用語「{e['feature']}」"
    if source == "printed":
        return f"印記檔號 {e['matched'][0]}"
    if source == "record_type":
        return f"文件類型 {e['rule']}"
    where = {"subject": "主旨", "keyword": "關鍵詞", "regex": "規則", "sender": "發文機關",
             "doc_number": "文號"}.get(str(kind), str(kind))
    return f"{where}「{e['rule']}」"


def _title(schedule: Schedule, code: str | None) -> dict[str, str] | None:
    if code is None:
        return None
    return {"code": code, "title": schedule.get(code).title.zh_tw}


def _alternative(ctx: Context, code: str, parts: _Parts) -> dict[str, Any]:
    why = parts.limits.why_not(ctx.schedule, code)
    return {"code": code, "title": ctx.schedule.get(code).title.zh_tw,
            "confidence": round(parts.combined[code], 4),
            "rule_confidence": round(parts.rules.get(code, 0), 4),
            "model_probability": round(parts.probs[code], 4) if code in parts.probs else None,
            **({"not_allowed": why} if why else {})}


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
    doc.printed = read_printed(text).to_dict()
    decision = decide(text, ctx, header, record_type_proposal(doc), doc.printed)
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
        return f"automatic: {decision.review_reason or OUT_OF_SCOPE_REASON}"
    if decision.review_reason:
        return f"automatic ({decision.method}): {decision.review_reason}"
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
