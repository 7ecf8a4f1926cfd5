"""The statistical classifier: character n-gram similarity to confirmed documents and to
the schedule's class descriptions, saved with joblib.

Chinese is written without spaces, so words are not separated for us; character 1- to
3-grams (``TfidfVectorizer(analyzer="char")``) need no segmenter and survive OCR errors
that break a word. The text is read as a clerk reads it (:mod:`pipeline.clerk`): the 主旨
and the body are vectorised apart, the subject weighted higher (:class:`NgramSimilarity`).
Every leaf class of the schedule is also learnt from its own description (titles and
keywords), so a class nobody has confirmed a document of yet still has evidence; and the
description alone gives a similarity score per class (:func:`description_similarity`).

How sure a decision is comes from a separate calibrator fitted on held-out decisions
(:mod:`pipeline.calibration`), saved in the same file with the auto-filing threshold
chosen from measured precision.

The saved file holds a format version, the schedule it was trained on and the fitted
pipeline. Loading one runs pickle, so the file is checked against the SHA-256 recorded in
the database when it was trained (:mod:`pipeline.classify`) before it is opened.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.clerk import Views, class_description, views
from pipeline.errors import ConfigError, IntegrityFailure

if TYPE_CHECKING:
    from pipeline.retention.schedule import Schedule

# scikit-learn is imported where it is used: it takes seconds to import, and most
# ``records`` commands never need it.

#: bump when the saved structure or the text normalisation changes
FORMAT_VERSION = 4
MAX_CHARS = 20_000
#: softmax temperature turning similarities into probabilities
TEMPERATURE = 0.05
#: the 主旨 says what a letter is about: its n-grams count this much more than the body's
SUBJECT_WEIGHT = 2.0
#: label of a text that belongs to no class of the schedule (out of scope)
OUT_OF_SCOPE = "-"
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
    pipeline: NgramSimilarity
    classes: tuple[str, ...]
    n_examples: int
    schedule_id: str
    schedule_version: int
    trained_at: datetime
    format_version: int = FORMAT_VERSION
    counts: dict[str, int] = field(default_factory=dict)
    descriptions: Any = None
    #: P(the decision is right | its evidence), fitted on held-out decisions
    calibrator: Any = None
    #: calibrated probability from which documents are filed without review
    threshold: float | None = None
    calibration: dict[str, Any] = field(default_factory=dict)
    #: the model's share of the vote, chosen from held-out decisions (None: by its size)
    weight: float | None = None
    #: vectors of texts confirmed as belonging to no class (out of scope)
    strangers: Any = None


@dataclass
class Descriptions:
    """Each leaf class's description as a tf-idf vector, for similarity to a text."""

    vectorizer: Any
    matrix: Any
    codes: tuple[str, ...]


def describe(schedule: Schedule) -> tuple[list[Views], list[str], Descriptions]:
    """The description of every leaf class: as training examples and as vectors."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    leaves = schedule.leaf_classes()
    items = [class_description(schedule, c) for c in leaves]
    codes = [c.code for c in leaves]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True,
                          lowercase=False)
    matrix = vec.fit_transform([normalize(v.body) for v in items])
    return items, codes, Descriptions(vec, matrix, tuple(codes))


def description_similarity(model: TrainedModel | None, text: str,
                           schedule: Schedule | None = None) -> dict[str, float]:
    """Cosine similarity of the text (its subject twice) to each class's description:
    the model's descriptions, else those of ``schedule`` (no model needed)."""
    desc = model.descriptions if model is not None else None
    if desc is None and schedule is not None:
        desc = _descriptions_of(schedule)
    if desc is None:
        return {}
    v = views(text)
    row = desc.vectorizer.transform([normalize(v.subject + " " + v.subject + " " + v.body)])
    sims = (desc.matrix @ row.T).toarray().ravel()
    return {code: float(x) for code, x in zip(desc.codes, sims, strict=True)}


_DESCRIPTIONS: dict[int, tuple[Any, Descriptions]] = {}


def _descriptions_of(schedule: Schedule) -> Descriptions:
    """The schedule's description vectors, made once per loaded schedule."""
    hit = _DESCRIPTIONS.get(id(schedule))
    if hit is None or hit[0] is not schedule:
        hit = (schedule, describe(schedule)[2])
        _DESCRIPTIONS.clear()  # one schedule is in force at a time
        _DESCRIPTIONS[id(schedule)] = hit
    return hit[1]


def _char_ngrams() -> Any:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True,
                           lowercase=False, dtype=np.float64)


class NgramSimilarity:
    """Similarity of a text to the confirmed texts of each class (character n-grams).

    With one to five examples per class, the closeness of a text to a class's examples is
    a steadier guide than the weights a discriminative model would fit to them, costs no
    training time, and explains itself: the n-grams shared with the class. The subject and
    the body are vectorised apart and joined with the subject weighted
    :data:`SUBJECT_WEIGHT` times; a class's score is the mean of the cosine to its centroid
    and to its nearest example; probabilities are a softmax of the scores
    (:data:`TEMPERATURE`). The decision's own calibration comes later
    (:mod:`pipeline.calibration`).
    """

    def __init__(self) -> None:
        self.subject = _char_ngrams()
        self.body = _char_ngrams()
        self.classes_: Any = None
        self.centroids: Any = None
        self.examples: Any = None
        self.example_labels: Any = None

    def _matrix(self, items: list[Views], fit: bool = False) -> Any:
        from scipy.sparse import hstack
        from sklearn.preprocessing import normalize as l2

        subjects = [normalize(v.subject) for v in items]
        bodies = [normalize(v.body) for v in items]
        if fit:
            self.subject.fit(subjects)
            self.body.fit(bodies)
        joined = hstack([SUBJECT_WEIGHT * self.subject.transform(subjects),
                         self.body.transform(bodies)]).tocsr()
        return l2(joined)

    def fit(self, items: list[Views], labels: list[str]) -> NgramSimilarity:
        import numpy as np
        from scipy.sparse import csr_matrix, vstack
        from sklearn.preprocessing import normalize as l2

        matrix = self._matrix(items, fit=True)
        self.classes_ = np.array(sorted(set(labels)))
        self.example_labels = np.array(labels)
        # sparse: a class's centroid holds only its texts' n-grams, and a dense one per
        # class made a model of 120 classes 35 MB on disk
        rows = [csr_matrix(matrix[self.example_labels == c].mean(axis=0))
                for c in self.classes_]
        self.centroids = l2(vstack(rows).tocsr())
        self.examples = matrix
        return self

    def scores(self, items: list[Views]) -> Any:
        import numpy as np

        m = self._matrix(items)
        centroid = (m @ self.centroids.T).toarray()
        nearest = (m @ self.examples.T).toarray()
        best = np.vstack([nearest[:, self.example_labels == c].max(axis=1)
                          for c in self.classes_]).T
        return (centroid + best) / 2

    def predict_proba(self, items: list[Views]) -> Any:
        import numpy as np

        z = self.scores(items) / TEMPERATURE
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, items: list[Views]) -> Any:
        return self.classes_[self.scores(items).argmax(axis=1)]

    def contributions(self, item: Views, code: str) -> list[tuple[float, str, str]]:
        """(weight, n-gram, part) the text shares with the class centroid, largest first."""
        row = self._matrix([item]).tocoo()
        centroid = self.centroids[list(self.classes_).index(code)].toarray().ravel()
        n_subject = len(self.subject.vocabulary_)
        names = (self.subject.get_feature_names_out(), self.body.get_feature_names_out())
        out = []
        for j, v in zip(row.col, row.data, strict=True):
            part = "subject" if j < n_subject else "body"
            name = names[0][j] if j < n_subject else names[1][j - n_subject]
            out.append((float(v) * float(centroid[j]), str(name), part))
        return sorted(out, reverse=True)


def _fit(items: list[Views], labels: list[str]) -> NgramSimilarity:
    with _one_thread():
        return NgramSimilarity().fit(items, labels)


def _check_examples(labels: list[str]) -> None:
    if len(set(labels)) < 2:
        raise ConfigError(
            f"training needs confirmed documents of at least 2 classes; found {len(set(labels))}"
            " (accept or correct documents in review first)"
        )


def train(texts: list[str], labels: list[str], schedule_id: str,
          schedule_version: int, schedule: Schedule | None = None,
          strangers: list[str] | None = None) -> TrainedModel:
    """Fit on every example (and, given the schedule, on every class's description).

    ``strangers`` are texts confirmed as out of scope: not a class to propose, but a
    likeness to them (:func:`stranger_similarity`) is evidence against any class."""
    if schedule is None:
        _check_examples(labels)
    items, all_labels, desc = [views(t) for t in texts], list(labels), None
    if schedule is not None:
        described, codes, desc = describe(schedule)
        items, all_labels = items + described, all_labels + codes
    pipe = _fit(items, all_labels)
    classes = tuple(str(c) for c in pipe.classes_)
    model = TrainedModel(pipe, classes, len(texts), schedule_id, schedule_version,
                         datetime.now(UTC), counts=dict(Counter(labels)), descriptions=desc)
    if strangers:
        with _one_thread():
            model.strangers = pipe._matrix([views(t) for t in strangers])
    return model


def stranger_similarity(model: TrainedModel | None, text: str) -> float:
    """Cosine similarity of the text to the nearest text confirmed as out of scope (0
    without such texts): a letter like one that fitted no class likely fits none."""
    if model is None or model.strangers is None:
        return 0.0
    with _one_thread():
        row = model.pipeline._matrix([views(text)])
        return float((row @ model.strangers.T).toarray().max())


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
    pipe = _fit([views(t) for t, _ in train_part], [y for _, y in train_part])
    truth = [y for _, y in test_part]
    with _one_thread():
        predicted = [str(p) for p in pipe.predict([views(t) for t, _ in test_part])]
    return _scores(len(train_part), truth, predicted)


def _scores(n_train: int, truth: list[str], predicted: list[str]) -> Metrics:
    from sklearn.metrics import accuracy_score, f1_score

    f1 = f1_score(truth, predicted, average="macro", labels=sorted(set(truth)), zero_division=0)
    return Metrics(n_train, len(truth), round(float(f1), 4),
                   round(float(accuracy_score(truth, predicted)), 4))


def probabilities(model: TrainedModel, text: str) -> dict[str, float]:
    """P(class | text) over the classes the model was trained on."""
    with _one_thread():
        row = model.pipeline.predict_proba([views(text)])[0]
    return {code: float(p) for code, p in zip(model.classes, row, strict=True)}


def top_features(model: TrainedModel, text: str, code: str,
                 n: int = TOP_FEATURES) -> list[dict[str, Any]]:
    """The n-grams of ``text`` that brought it closest to ``code``'s documents.

    An n-gram overlapping a stronger one already listed (``梯`` or ``電梯`` after ``電``)
    and short non-Chinese n-grams would only repeat or say nothing, so they are left out.
    """
    v = views(text)
    chosen: list[tuple[float, str, str]] = []
    for w, f, part in model.pipeline.contributions(v, code):
        if len(chosen) == n or w <= 0:
            break
        if _telling(f) and not any(f in g or g in f for _, g, _ in chosen):
            chosen.append((w, f, part))
    norm = normalize(v.subject + "\n" + v.body)
    return [{"feature": f, "weight": round(w, 4), "part": "主旨" if p == "subject" else "內文",
             "snippet": _snippet(norm, f)} for w, f, p in chosen]


def _telling(feature: str) -> bool:
    stripped = feature.strip()
    return bool(_CJK.search(stripped)) or len(stripped) >= 3


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
    joblib.dump(model, tmp, compress=3)
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
