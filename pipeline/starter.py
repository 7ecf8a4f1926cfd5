"""The classifier a new archive starts with: trained on real texts before its first batch.

An archive without a model of its own used to classify by the keyword rules alone, with a
guessed threshold: on the development set of real government texts that filed 38 of 60 by
itself, 6 of them wrong and 3 of them texts of no class of ours. The starter is the
calibrated classifier (:func:`pipeline.calibration.fit`) fitted on the seed examples in
``pipeline/data/starter-seeds.jsonl``: the 60 real texts of the development set with the
classes a records officer would accept (their sources are in the file; official documents
are free of copyright, Copyright Act Art. 9) and the ground-truth text of every
``sample_scans`` document. Its threshold is chosen from measured precision like any
retrained model's; its cross-validated figures are docs/classification.md's.

The model ships built (``starter-classifier.joblib``, with a JSON of what it was built
from): fitting takes a quarter of a minute, too long for a first batch. It is used only
for the schedule it was built for, with the seed file, model format and scikit-learn it
was built with; otherwise the archive falls back to the rules (a warning says why). An
archive's own model (``records classify --retrain``) replaces it, and is trained on the
seeds too, so that retraining on a few corrections does not forget them.

Rebuild after the seeds, the schedule's codes or scikit-learn changed::

    .venv/bin/python -m tests.seed_export    # the seeds (needs ../shared/corpus)
    .venv/bin/python -m pipeline.starter     # the model and its JSON
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pipeline import calibration
from pipeline import classifier_model as cm
from pipeline.calibration import Example
from pipeline.errors import RecordsError
from pipeline.retention.schedule import Schedule

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
SEED_PATH = DATA / "starter-seeds.jsonl"
MODEL_PATH = DATA / "starter-classifier.joblib"
META_PATH = DATA / "starter-classifier.json"
#: how a decision names the starter (an archive's own model: model:<id>)
NAME = "starter"


@dataclass(frozen=True)
class Seed:
    """A seed text, the class to learn (None: only its division is known) and what a
    records officer accepts as its filing."""

    name: str
    text: str
    label: str | None
    out_of_scope: bool
    #: accepted classes (a heading accepts every class under it)
    classes: tuple[str, ...]
    #: divisions any class of which is accepted
    divisions: tuple[str, ...]
    #: no class at all (out of scope) is accepted
    none: bool

    def accepts(self, schedule: Schedule, code: str | None) -> bool:
        if code is None:
            return self.none
        if any(code.startswith(c) for c in self.classes):
            return True
        return code in schedule and schedule.get(code).division in self.divisions


def read_seeds(path: Path = SEED_PATH) -> list[Seed]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            accept = row["accept"]
            out.append(Seed(row["name"], row["text"], row["class"], row["out_of_scope"],
                            tuple(accept["classes"]), tuple(accept["divisions"]),
                            accept["none"]))
    return out


def examples(schedule: Schedule, seeds: list[Seed] | None = None) -> list[Example]:
    """The seeds as examples of this schedule: a class it does not have as a leaf is not
    learnt (the text still tells the calibrator whether a decision was right)."""
    out = []
    for seed in read_seeds() if seeds is None else seeds:
        label = (cm.OUT_OF_SCOPE if seed.out_of_scope else
                 seed.label if seed.label and seed.label in schedule
                 and schedule.is_leaf(seed.label) else None)
        judge: Callable[[str | None], bool] = functools.partial(seed.accepts, schedule)
        out.append(Example(seed.text, label, judge))
    return out


def fits(schedule: Schedule) -> bool:
    """The seeds are labelled with this schedule's codes."""
    meta = _meta()
    return bool(meta) and (meta.get("schedule_id"), meta.get("schedule_version")) == (
        schedule.schedule_id, schedule.version)


def build(schedule: Schedule) -> dict[str, Any]:
    """Fit on the seeds, save the model and write what it was built from."""
    model = calibration.fit(examples(schedule), schedule)
    digest = cm.save(model, MODEL_PATH)
    meta = {**_built_from(schedule.schedule_id, schedule.version), "sha256": digest,
            "examples": model.n_examples, "threshold": model.threshold, "weight": model.weight,
            "calibration": model.calibration,
            "trained_at": model.trained_at.astimezone(UTC).isoformat(timespec="seconds")}
    META_PATH.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                         encoding="utf-8")
    _load.cache_clear()
    _meta.cache_clear()
    return meta


def load(schedule: Schedule) -> cm.TrainedModel | None:
    """The starter for this schedule, or None (with a warning once) when it was built for
    another schedule, other seeds, another model format or scikit-learn."""
    return _load(schedule.schedule_id, schedule.version)


def _built_from(schedule_id: str, schedule_version: int) -> dict[str, Any]:
    """What a starter is built from, as its JSON records it."""
    return {"schedule_id": schedule_id, "schedule_version": schedule_version,
            "seeds_sha256": cm.file_sha256(SEED_PATH), "format_version": cm.FORMAT_VERSION,
            "scikit_learn": version("scikit-learn")}


@functools.lru_cache(maxsize=1)
def _meta() -> dict[str, Any]:
    try:
        return dict(json.loads(META_PATH.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


@functools.lru_cache(maxsize=2)
def _load(schedule_id: str, schedule_version: int) -> cm.TrainedModel | None:
    meta = _meta()
    if not SEED_PATH.is_file() or not MODEL_PATH.is_file():
        differs = ["files"]
    else:
        expected = _built_from(schedule_id, schedule_version)
        differs = [k for k, v in expected.items() if meta.get(k) != v]
    if differs:
        if schedule_id == meta.get("schedule_id"):  # another schedule: nothing to say
            log.warning("starter classifier not used (built for another %s): classifying by "
                        "the rules; rebuild it with python -m pipeline.starter",
                        ", ".join(differs))
        return None
    try:
        return cm.load(MODEL_PATH, str(meta["sha256"]))
    except RecordsError as exc:
        log.warning("starter classifier not used: %s", exc)
        return None


def main() -> None:
    from pipeline.classify import schedule_of
    from pipeline.settings import REPO_RULES_DIR

    started = datetime.now(UTC)
    meta = build(schedule_of(REPO_RULES_DIR))
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(f"starter classifier: {meta['examples']} examples, threshold {meta['threshold']}, "
          f"model weight {meta['weight']}, {seconds:.0f} s -> {MODEL_PATH}")


if __name__ == "__main__":
    main()
