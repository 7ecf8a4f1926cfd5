"""The statistical classifier: character n-grams and logistic regression, saved with joblib.

Chinese is written without spaces, so words are not separated for us; character 1- to
3-grams (``TfidfVectorizer(analyzer="char")``) need no segmenter and survive OCR errors
that break a word. Logistic regression fits the log-loss, so its probabilities are usable
as they are; calibrating them again (``CalibratedClassifierCV``) would need several
examples of every class for cross-validation, which a review queue does not deliver at
first. ``class_weight="balanced"`` keeps frequent classes from drowning rare ones.

The saved file holds a format version, the schedule it was trained on and the fitted
pipeline. Loading one runs pickle, so the file is checked against the SHA-256 recorded in
the database when it was trained (:mod:`pipeline.classify`) before it is opened.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ConfigError, IntegrityFailure

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# scikit-learn is imported where it is used: it takes seconds to import, and most
# ``records`` commands never need it.

#: bump when the saved structure or the text normalisation changes
FORMAT_VERSION = 1
MAX_CHARS = 20_000
#: inverse regularisation. With few examples per class a strong penalty (C=10) left the
#: model underconfident (right answers on held-out texts at 0.5-0.86); C=100 gives 0.8-0.98
#: on the same texts and keeps held-out accuracy (docs/classification.md)
C = 100.0
HELD_OUT = 0.25
SEED = 13
TOP_FEATURES = 5
SNIPPET_RADIUS = 12

_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_ADDRESSES = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize(text: str) -> str:
    """The text the model sees: NFKC (full-width to ASCII), 台 as 臺, lower case, no e-mail
    or web addresses, every digit as 0 (dates and amounts are noise to a class), no OCR
    spaces between CJK characters."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).replace("台", "臺").lower()
    text = _CJK_SPACE.sub("", _ADDRESSES.sub(" ", text))
    return _SPACES.sub(" ", _DIGITS.sub("0", text)).strip()


@contextmanager
def _one_thread() -> Iterator[None]:
    """BLAS on one thread: ingest already runs in parallel, and oversubscribed BLAS threads
    made a small fit 15 times slower on a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@dataclass(frozen=True)
class Metrics:
    """Quality on a held-out split (stratified where a class has at least 2 examples)."""

    n_train: int
    n_test: int
    macro_f1: float | None
    accuracy: float | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"n_train": self.n_train, "n_test": self.n_test, "macro_f1": self.macro_f1,
                "accuracy": self.accuracy, "note": self.note}


@dataclass
class TrainedModel:
    pipeline: Pipeline
    classes: tuple[str, ...]
    n_examples: int
    schedule_id: str
    schedule_version: int
    trained_at: datetime
    format_version: int = FORMAT_VERSION
    counts: dict[str, int] = field(default_factory=dict)


def _pipeline() -> Pipeline:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True,
                                  lowercase=False, dtype=np.float64)),
        ("lr", LogisticRegression(C=C, max_iter=2000, class_weight="balanced")),
    ])


def _fit(texts: list[str], labels: list[str]) -> Pipeline:
    with _one_thread(), warnings.catch_warnings():
        # class codes are labels: many classes with one confirmed document each is normal
        # early on, not a sign of a regression target as scikit-learn suspects
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        return _pipeline().fit([normalize(t) for t in texts], labels)


def _check_examples(labels: list[str]) -> None:
    if len(set(labels)) < 2:
        raise ConfigError(
            f"training needs confirmed documents of at least 2 classes; found {len(set(labels))}"
            " (accept or correct documents in review first)"
        )


def train(texts: list[str], labels: list[str], schedule_id: str,
          schedule_version: int) -> TrainedModel:
    """Fit on every example (texts are normalised here)."""
    _check_examples(labels)
    pipe = _fit(texts, labels)
    classes = tuple(str(c) for c in pipe.classes_)
    return TrainedModel(pipe, classes, len(texts), schedule_id, schedule_version,
                        datetime.now(UTC), counts=dict(Counter(labels)))


def evaluate(texts: list[str], labels: list[str], seed: int = SEED) -> Metrics:
    """Macro-F1 and accuracy of a model fitted on 75 % of the examples, on the other 25 %.

    Classes with a single example cannot be tested; they stay in the training part.
    """
    from sklearn.model_selection import train_test_split

    _check_examples(labels)
    counts = Counter(labels)
    pairs = [(t, y) for t, y in zip(texts, labels, strict=True) if counts[y] >= 2]
    single = [(t, y) for t, y in zip(texts, labels, strict=True) if counts[y] < 2]
    n_classes = len({y for _, y in pairs})
    n_test = max(n_classes, round(HELD_OUT * len(pairs)))
    if n_classes < 2 or n_test >= len(pairs):
        return Metrics(len(texts), 0, None, None, "too few examples for a held-out split")
    train_part, test_part = train_test_split(pairs, test_size=n_test, random_state=seed,
                                             stratify=[y for _, y in pairs])
    train_part = list(train_part) + single
    pipe = _fit([t for t, _ in train_part], [y for _, y in train_part])
    truth = [y for _, y in test_part]
    with _one_thread():
        predicted = [str(p) for p in pipe.predict([normalize(t) for t, _ in test_part])]
    return _scores(len(train_part), truth, predicted)


def _scores(n_train: int, truth: list[str], predicted: list[str]) -> Metrics:
    from sklearn.metrics import accuracy_score, f1_score

    f1 = f1_score(truth, predicted, average="macro", labels=sorted(set(truth)), zero_division=0)
    return Metrics(n_train, len(truth), round(float(f1), 4),
                   round(float(accuracy_score(truth, predicted)), 4))


def probabilities(model: TrainedModel, text: str) -> dict[str, float]:
    """P(class | text) over the classes the model was trained on."""
    with _one_thread():
        row = model.pipeline.predict_proba([normalize(text)])[0]
    return {code: float(p) for code, p in zip(model.classes, row, strict=True)}


def top_features(model: TrainedModel, text: str, code: str,
                 n: int = TOP_FEATURES) -> list[dict[str, Any]]:
    """The n-grams of ``text`` that pushed hardest toward ``code``: tf-idf value x weight.

    An n-gram overlapping a stronger one already listed (``梯`` or ``電梯`` after ``電``)
    and short non-Chinese n-grams would only repeat or say nothing, so they are left out.
    """
    tfidf, lr = model.pipeline.named_steps["tfidf"], model.pipeline.named_steps["lr"]
    norm = normalize(text)
    row = tfidf.transform([norm]).tocoo()
    weights = _class_weights(lr, model.classes.index(code))
    names = tfidf.get_feature_names_out()
    scored = sorted(((float(v) * float(weights[j]), str(names[j])) for j, v in
                     zip(row.col, row.data, strict=True)), reverse=True)
    chosen: list[tuple[float, str]] = []
    for w, f in scored:
        if len(chosen) == n or w <= 0:
            break
        if _telling(f) and not any(f in g or g in f for _, g in chosen):
            chosen.append((w, f))
    return [{"feature": f, "weight": round(w, 4), "snippet": _snippet(norm, f)} for w, f in chosen]


def _telling(feature: str) -> bool:
    stripped = feature.strip()
    return bool(_CJK.search(stripped)) or len(stripped) >= 3


def _class_weights(lr: Any, index: int) -> Any:
    # scikit-learn stores one row for a two-class problem: the weights of classes_[1]
    if lr.coef_.shape[0] == 1:
        return lr.coef_[0] if index == 1 else -lr.coef_[0]
    return lr.coef_[index]


def _snippet(text: str, feature: str) -> str:
    at = text.find(feature)
    if at < 0:
        return ""
    a, b = max(0, at - SNIPPET_RADIUS), min(len(text), at + len(feature) + SNIPPET_RADIUS)
    return ("…" if a else "") + text[a:b] + ("…" if b < len(text) else "")


def save(model: TrainedModel, path: Path) -> str:
    """Write the model atomically; returns the SHA-256 of the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import joblib

    tmp = path.with_suffix(f".tmp{os.getpid()}")
    joblib.dump(model, tmp)
    digest = file_sha256(tmp)
    os.replace(tmp, path)
    return digest


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(path: Path, sha256: str) -> TrainedModel:
    """Open a saved model after checking its hash (pickle must only read our own files)."""
    if not path.is_file():
        raise IntegrityFailure(f"classifier model {path} is missing: run records classify "
                               "--retrain")
    if file_sha256(path) != sha256:
        raise IntegrityFailure(f"classifier model {path} does not match the hash recorded when "
                               "it was trained: run records classify --retrain")
    import joblib

    model = joblib.load(path)
    if not isinstance(model, TrainedModel) or model.format_version != FORMAT_VERSION:
        raise ConfigError(f"classifier model {path} has an old format: run records classify "
                          "--retrain")
    return model
