"""The starter classifier a new archive files with before it has a model of its own
(pipeline/starter.py): built from the shipped seeds, used where it fits, replaced and kept
by retraining."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline import classifier_model as cm
from pipeline import classify, starter
from pipeline.archive import Archive
from pipeline.classify import schedule_of
from pipeline.db.models import Classification, Document
from pipeline.retention.schedule import Schedule
from pipeline.settings import REPO_RULES_DIR
from pipeline.views import archive_status
from tests.classify_support import GIFT_LETTER, add_document, cl_archive, make_officers
from tests.conftest import make_settings
from tests.lifecycle_support import cli, config_home, fast_hashing, login

__all__ = ["cl_archive", "config_home", "fast_hashing"]


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    return schedule_of(REPO_RULES_DIR)


@pytest.fixture
def fresh(tmp_path: Path) -> Archive:
    arch = Archive.open(make_settings(tmp_path / "home", starter_classifier=True))
    yield arch  # type: ignore[misc]
    arch.close()


def test_the_shipped_starter_was_built_from_the_shipped_seeds(schedule: Schedule) -> None:
    """Seeds, schedule, model format or scikit-learn changed without a rebuild
    (python -m pipeline.starter) would leave new archives on the rules alone."""
    meta = json.loads(starter.META_PATH.read_text(encoding="utf-8"))
    built_from = starter._built_from(schedule.schedule_id, schedule.version)
    assert {k: meta[k] for k in built_from} == built_from
    assert cm.file_sha256(starter.MODEL_PATH) == meta["sha256"]
    model = starter.load(schedule)
    assert model is not None and model.calibrator is not None
    assert model.threshold == meta["threshold"] and 0.5 <= model.threshold < 1.0
    assert model.n_examples == meta["examples"]


def test_the_seeds_are_labelled_public_texts(schedule: Schedule) -> None:
    seeds = starter.read_seeds()
    real = [s for s in seeds if s.name[:2].isdigit()]
    assert len(real) == 60 and all(s.text.strip() for s in seeds)
    assert all(s.label is None or (s.label in schedule and schedule.is_leaf(s.label))
               for s in seeds)
    assert sum(s.out_of_scope for s in real) == 8
    assert all(s.label is None and s.accepts(schedule, None) for s in real if s.out_of_scope)
    rows = [json.loads(line) for line in starter.SEED_PATH.read_text("utf-8").splitlines()]
    assert all(r["source"].startswith("http") for r in rows if r["name"][:2].isdigit())


def test_a_seed_accepts_what_an_officer_would(schedule: Schedule) -> None:
    seed = starter.Seed("x", "text", "030101", False, ("0301",), ("ethics",), False)
    assert seed.accepts(schedule, "030102")  # under the accepted heading
    assert not seed.accepts(schedule, "040101") and not seed.accepts(schedule, None)
    ethics = next(c.code for c in schedule.leaf_classes() if c.division == "ethics")
    assert seed.accepts(schedule, ethics)  # the division its README allows too
    assert not seed.accepts(schedule, "99")  # no such class
    stranger = starter.Seed("y", "text", None, True, (), (), True)
    assert stranger.accepts(schedule, None) and not stranger.accepts(schedule, "030101")
    learnt = starter.examples(schedule, [seed, stranger])
    assert [e.label for e in learnt] == ["030101", cm.OUT_OF_SCOPE]
    assert learnt[0].accepts("030102") and not learnt[1].accepts("030102")


def test_a_new_archive_files_with_the_starter(fresh: Archive, schedule: Schedule) -> None:
    meta = json.loads(starter.META_PATH.read_text(encoding="utf-8"))
    with fresh.session() as s:
        ctx = classify.load_context(s, fresh.settings)
    assert (ctx.model_name, ctx.model_id, ctx.threshold) == ("starter", None, meta["threshold"])
    status = archive_status(fresh)
    assert (status.classifier, status.review_threshold) == ("starter", meta["threshold"])
    doc_id = add_document(fresh, GIFT_LETTER)
    with fresh.session() as s:
        doc = s.get(Document, doc_id)
        row = s.query(Classification).filter_by(document_id=doc_id).one()
        assert doc is not None and doc.class_code == "010301"
        assert row.explanation["model"] == "starter" and row.explanation["calibrated"]
        assert row.explanation["threshold"] == meta["threshold"]
        assert doc.status == ("classified" if row.confidence >= meta["threshold"]
                              else "needs_review")


def test_without_the_starter_a_new_archive_files_by_the_rules(tmp_path: Path) -> None:
    arch = Archive.open(make_settings(tmp_path / "home", starter_classifier=False,
                                      review_threshold=0.6))
    try:
        with arch.session() as s:
            ctx = classify.load_context(s, arch.settings)
        assert (ctx.model, ctx.model_name, ctx.threshold) == (None, None, 0.6)
        assert (archive_status(arch).classifier, archive_status(arch).review_threshold) == (
            "rules", 0.6)
    finally:
        arch.close()


def test_the_starter_is_not_used_for_another_schedule(
        schedule: Schedule, caplog: pytest.LogCaptureFixture) -> None:
    other = schedule.model_copy(update={"version": schedule.version + 1})
    with caplog.at_level(logging.WARNING):
        assert starter.load(other) is None
    assert "python -m pipeline.starter" in caplog.text
    assert not starter.fits(other) and starter.fits(schedule)


def test_status_names_no_classifier_when_the_rules_are_broken(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yaml").write_text("schedule_id: [unclosed\n", encoding="utf-8")
    arch = Archive.open(make_settings(tmp_path / "home", rules_dir=rules))
    try:
        status = archive_status(arch)
    finally:
        arch.close()
    assert status.classifier.startswith("unavailable: ") and status.review_threshold is None
    assert status.documents == 0


@pytest.mark.slow
def test_retraining_keeps_the_starters_texts(cl_archive: Archive,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive's own model learns its corrections and the seeds: the starter's classes
    stay known after a handful of corrections (it fits for about a quarter of a minute)."""
    monkeypatch.setenv("RECORDS_STARTER_CLASSIFIER", "true")
    docs = [add_document(cl_archive, GIFT_LETTER + f"\n附件：第{i}份") for i in range(3)]
    make_officers(cl_archive)
    login("lin")
    for d in docs:
        assert cli("review", "correct", str(d), "--class", "010301").exit_code == 0
    result = cli("classify", "--retrain", "--json")
    assert result.exit_code == 0, result.output
    retrained = json.loads(result.stdout)["retrained"]
    seeds = len(starter.read_seeds())
    assert retrained["sources"] == {"review": 3, "starter": seeds}
    assert retrained["examples"] > 3
