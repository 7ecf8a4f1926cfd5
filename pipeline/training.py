"""Training data and retraining of the statistical classifier.

Training data are *confirmed* classes only, never the classifier's own guesses:

* documents a records officer accepted or corrected in review (``training_examples``, the
  newest row per document wins);
* documents a person classified through the lifecycle (``records lifecycle classify``):
  the newest transition into ``classified`` was made by a user, not by ``system:…``;
* seed texts without a document (``training_examples.text``), e.g. imported examples;
* the starter's real texts (:mod:`pipeline.starter`), for the schedule they were labelled in.

A document's text is read from its pages when training, so a destroyed document (its
pages are gone) is no longer learnt from. Classes the schedule in force no longer has are
left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import audit, calibration, starter
from pipeline import classifier_model as cm
from pipeline.auth import Actor, Perm
from pipeline.calibration import exact
from pipeline.classify import document_text, schedule_of
from pipeline.db.models import ClassifierModel, Document, LifecycleEvent, TrainingExample
from pipeline.errors import ConfigError
from pipeline.lifecycle import State
from pipeline.retention.schedule import Schedule
from pipeline.settings import Settings

MODELS_DIR = Path("models")
SOURCES = ("accept", "correct", "seed")


@dataclass
class TrainingSet:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    #: where the examples came from: review, lifecycle, seed
    sources: dict[str, int] = field(default_factory=dict)

    def add(self, text: str, label: str, source: str) -> None:
        if text.strip():
            self.texts.append(text)
            self.labels.append(label)
            self.sources[source] = self.sources.get(source, 0) + 1


def add_example(session: Session, actor: Actor, class_code: str, source: str, *,
                document_id: int | None = None, text: str | None = None,
                reason: str | None = None) -> TrainingExample:
    """Record a confirmed class (of a document, or of a seed text)."""
    if source not in SOURCES:
        raise ConfigError(f"unknown training source {source!r}; one of {', '.join(SOURCES)}")
    if (document_id is None) == (text is None):
        raise ConfigError("a training example is a document or a text, not both or neither")
    row = TrainingExample(document_id=document_id, class_code=class_code, source=source,
                          text=text, reason=reason or None, created_by=actor.name)
    session.add(row)
    return row


def _reviewed(session: Session) -> dict[int, str]:
    newest = (select(func.max(TrainingExample.id))
              .where(TrainingExample.document_id.is_not(None))
              .group_by(TrainingExample.document_id))
    rows = session.execute(select(TrainingExample.document_id, TrainingExample.class_code)
                           .where(TrainingExample.id.in_(newest))).all()
    return {int(doc_id): code for doc_id, code in rows if doc_id is not None}


def _classified_by_people(session: Session) -> dict[int, str]:
    newest = (select(func.max(LifecycleEvent.id))
              .where(LifecycleEvent.to_state == State.classified)
              .group_by(LifecycleEvent.document_id))
    rows = session.execute(
        select(Document.id, Document.class_code)
        .join(LifecycleEvent, LifecycleEvent.document_id == Document.id)
        .where(LifecycleEvent.id.in_(newest), LifecycleEvent.actor.not_like("system:%"),
               Document.class_code.is_not(None))).all()
    return {int(doc_id): str(code) for doc_id, code in rows}


def training_set(session: Session, schedule: Schedule) -> TrainingSet:
    """Every confirmed example whose class the schedule still has."""
    out = TrainingSet()
    people = _classified_by_people(session)
    reviewed = _reviewed(session)
    for doc_id, code in sorted({**people, **reviewed}.items()):
        doc = session.get(Document, doc_id)
        if doc is not None and doc.status != State.disposed and _leaf(schedule, code):
            out.add(document_text(doc), code, "review" if doc_id in reviewed else "lifecycle")
    for seed in session.scalars(select(TrainingExample).where(
            TrainingExample.document_id.is_(None)).order_by(TrainingExample.id)):
        if _leaf(schedule, seed.class_code):
            out.add(seed.text or "", seed.class_code, "seed")
    return out


def _leaf(schedule: Schedule, code: str) -> bool:
    return code in schedule and schedule.is_leaf(code)


@dataclass(frozen=True)
class Retrained:
    model: ClassifierModel
    metrics: cm.Metrics
    sources: dict[str, int]


def retrain(session: Session, settings: Settings, actor: Actor) -> Retrained:
    """Measure on a held-out split, fit on everything with the schedule's descriptions,
    calibrate on held-out decisions (:mod:`pipeline.calibration`), save, record the model
    (audited)."""
    actor.require(Perm.classify)
    schedule = schedule_of(settings.rules_dir)
    data = training_set(session, schedule)
    if not data.texts:
        raise ConfigError("training needs confirmed documents (accept or correct documents "
                          "in review first)")
    examples = [exact(t, y) for t, y in zip(data.texts, data.labels, strict=True)]
    if settings.starter_classifier and starter.fits(schedule):
        # the starter's real texts too: a few corrections alone would forget them
        seeds = starter.examples(schedule)
        examples += seeds
        data.sources[starter.NAME] = len(seeds)
    learnt = [e for e in examples if e.label is not None and e.label != cm.OUT_OF_SCOPE]
    metrics = cm.evaluate([e.text for e in learnt], [str(e.label) for e in learnt])
    model = calibration.fit(examples, schedule)
    relpath = MODELS_DIR / f"classifier-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.joblib"
    digest = cm.save(model, settings.home / relpath)
    row = ClassifierModel(
        path=str(relpath), sha256=digest, format_version=cm.FORMAT_VERSION,
        schedule_id=schedule.schedule_id, schedule_version=schedule.version,
        n_examples=model.n_examples, classes=list(model.classes),
        metrics={**metrics.to_dict(), "calibration": model.calibration},
        trained_by=actor.name)
    session.add(row)
    session.flush()
    audit.append(session, actor.name, "classifier.retrain", f"model:{row.id}",
                 {"examples": model.n_examples, "sources": data.sources, **metrics.to_dict()})
    return Retrained(row, metrics, data.sources)


def prune_models(settings: Settings, keep: ClassifierModel) -> list[Path]:
    """Delete model files other than ``keep`` (after its transaction committed): older
    models hold n-grams of documents that may since have been destroyed."""
    folder = settings.home / MODELS_DIR
    current = (settings.home / keep.path).resolve()
    removed = [p for p in folder.glob("classifier-*.joblib") if p.resolve() != current]
    for path in removed:
        path.unlink()
    return removed
