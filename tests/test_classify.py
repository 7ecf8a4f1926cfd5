"""Automatic classification: header reading, rule and model evidence, the combined decision,
the enrichment step at ingest, and the sample batch (accuracy and share sent to review)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from pipeline import classifier_model as cm
from pipeline import classify, lifecycle
from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.classify import (
    CLASSIFIER,
    Context,
    Proposal,
    combine,
    decide,
    latest_decision,
    model_weight,
    rule_confidences,
    schedule_of,
)
from pipeline.db.engine import include_object
from pipeline.db.models import Base, Classification, ClassifierModel, Document, LifecycleEvent
from pipeline.docheader import mask_form_labels, read_header
from pipeline.errors import ConfigError, IntegrityFailure
from pipeline.lifecycle import State
from pipeline.retention.matching import match_document
from pipeline.retention.schedule import Schedule
from pipeline.settings import REPO_RULES_DIR, Settings
from tests.classify_support import (
    DRILL_MEMO,
    EXPECTED,
    GIFT_LETTER,
    GROUND_TRUTH,
    REPAIR_FORM,
    add_document,
    sample_text,
    synthetic_set,
)

#: classes of the sample batch, for the model tests
SAMPLE_CLASSES = sorted({code for _, code in EXPECTED.values()})


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    return schedule_of(REPO_RULES_DIR)


@pytest.fixture(scope="module")
def sample_model(schedule: Schedule) -> cm.TrainedModel:
    """Trained on 4 synthetic letters per sample class, built from the schedule's keywords."""
    texts, labels = synthetic_set(schedule, SAMPLE_CLASSES, 4, seed=1)
    return cm.train(texts, labels, schedule.schedule_id, schedule.version)


# ── reading the head of a document ───────────────────────────────────────────────────


def test_header_of_a_letter() -> None:
    h = read_header(GIFT_LETTER)
    assert h.sender is not None and (h.sender.value, h.sender.rule) == ("臺南市政府", "letterhead")
    assert h.doc_number is not None and h.doc_number.value == "府秘機字第1130654321號"
    assert h.date is not None and (h.date.day, h.date.rule) == (date(2024, 5, 20), "發文日期")
    assert h.date.snippet == "發文日期：中華民國113年5月20日"


def test_header_of_a_memo_a_form_and_a_foreign_letter() -> None:
    memo = read_header(DRILL_MEMO)
    assert memo.sender is not None and memo.sender.value == "秘書處廳舍管理科"
    assert memo.date is not None and (memo.date.day, memo.date.rule) == (date(2024, 9, 2),
                                                                        "date line")
    form = read_header(REPAIR_FORM)
    assert form.sender is not None and form.sender.value == "臺南市政府秘書處"
    assert form.date is not None and (form.date.day, form.date.rule) == (date(2024, 7, 2),
                                                                        "date label")
    stamped = read_header("臺南市政府秘書處收文\n108.11.04\nCITY OF PORT ALDER\n"
                          "October 28, 2019\nDear Director-General,")
    assert stamped.date is not None and stamped.date.day == date(2019, 10, 28)  # not the stamp


def test_a_number_quoted_in_the_body_is_not_the_documents_own() -> None:
    body = "\n".join(["主旨：復貴局函，請查照。"] * 13 + ["說明：復貴局府工字第1120001234號函。"])
    assert read_header(body).doc_number is None


def test_header_dates_of_the_sample_ground_truth() -> None:
    found = {e["file"]: read_header(sample_text(e)).date for e in GROUND_TRUTH}
    wrong = {f: d for f, d in found.items()
             if d is None or d.day.isoformat() != next(
                 e["fields"]["doc_date"] for e in GROUND_TRUTH if e["file"] == f)}
    assert wrong == {}


def test_masking_the_form_labels_keeps_offsets_and_values() -> None:
    masked = mask_form_labels(GIFT_LETTER)
    assert len(masked) == len(GIFT_LETTER)
    assert "密等" not in masked and "保密期限" not in masked and "發文字號" not in masked
    assert "府秘機字第1130654321號" in masked
    secret = mask_form_labels("密等及解密條件或保密期限：機密（114年解密）")
    assert secret.startswith("密等：") and secret.endswith("機密（114年解密）")


# ── rules ────────────────────────────────────────────────────────────────────────────


def test_rules_only_decision_explains_which_rules_and_words(schedule: Schedule) -> None:
    d = decide(GIFT_LETTER, Context(schedule, 0.6))
    assert (d.class_code, d.method) == ("010301", "rules")
    assert d.confidence >= 0.6 and not d.needs_review(0.6)
    gift = next(e for e in d.explanation["evidence"] if e["rule"] == "受贈")
    assert gift["kind"] == "keyword" and gift["count"] == 2 and "受贈財物登記表" in gift["snippet"]
    assert {e["kind"] for e in d.explanation["evidence"]} >= {"keyword", "regex", "doc_number"}
    assert d.explanation["header"]["date"]["value"] == "2024-05-20"
    assert d.explanation["class"] == {"code": "010301", "title": "受贈財物及餽贈登記"}


@pytest.mark.parametrize(("text", "code"), [(REPAIR_FORM, "03030101"),
                                            (DRILL_MEMO, "040302")])
def test_rules_on_other_realistic_texts(schedule: Schedule, text: str, code: str) -> None:
    d = decide(text, Context(schedule, 0.6))
    assert d.class_code == code and d.explanation["evidence"]


def test_the_letter_form_does_not_vote_for_the_classified_documents_class(
        schedule: Schedule) -> None:
    def words(text: str) -> set[str]:
        return {e.rule for m in match_document(text, schedule) if m.code == "010101"
                for e in m.evidence if e.kind == "keyword"}

    assert words(GIFT_LETTER) == {"密等", "解密條件"}  # the label of every letter's form
    assert words(mask_form_labels(GIFT_LETTER)) == set()
    secret = GIFT_LETTER.replace("保密期限：普通", "保密期限：機密（114年解密）")
    assert words(mask_form_labels(secret)) >= {"機密", "密等"}


def test_no_evidence_means_no_class_and_review(schedule: Schedule) -> None:
    d = decide("今日天氣晴朗，午後有雷陣雨。", Context(schedule, 0.6))
    assert (d.class_code, d.confidence, d.method) == (None, 0.0, "none")
    assert d.needs_review(0.6)


def test_a_record_types_proposal_is_weighed_as_evidence(schedule: Schedule) -> None:
    text = "臺南市政府秘書處 臨時人員考核表\n考核項目 工作品質"
    alone = decide(text, Context(schedule, 0.6))
    helped = decide(text, Context(schedule, 0.6),
                    proposal=Proposal("staff_evaluation", "030502", 3.0))
    assert helped.class_code == "030502" and helped.confidence > alone.confidence
    assert any(e["source"] == "record_type" for e in helped.explanation["evidence"])
    heading = decide(text, Context(schedule, 0.6), proposal=Proposal("x", "0305", 3.0))
    assert heading.confidence == alone.confidence  # a heading is no class: ignored


def test_the_confidence_formula() -> None:
    rules = rule_confidences({"A": 8.0, "B": 2.0})
    assert rules["A"] == pytest.approx((1 - 2.718281828 ** -2) * 0.8, rel=1e-6)
    assert model_weight(0) == 0.3 and model_weight(20) == pytest.approx(0.45)
    assert model_weight(10**6) < 0.6
    assert combine(rules, {}, 0.3) == rules  # no model: rules alone
    assert combine({}, {"A": 0.9}, 0.3) == {"A": 0.9}  # no rule matched: model alone
    mixed = combine({"A": 0.8, "C": 0.5}, {"A": 0.6, "B": 0.4}, 0.25)
    assert mixed == pytest.approx({"A": 0.75, "B": 0.1, "C": 0.375})


# ── the statistical model ────────────────────────────────────────────────────────────


def test_model_learns_from_a_handful_of_examples(schedule: Schedule,
                                                 sample_model: cm.TrainedModel) -> None:
    texts, labels = synthetic_set(schedule, SAMPLE_CLASSES, 3, seed=99)  # other letters
    right = 0
    for text, label in zip(texts, labels, strict=True):
        probs = cm.probabilities(sample_model, text)
        right += max(probs, key=lambda c: probs[c]) == label
    assert right / len(texts) >= 0.9


def test_model_on_the_sample_pages_it_never_saw(sample_model: cm.TrainedModel) -> None:
    right = 0
    for entry in GROUND_TRUTH:
        probs = cm.probabilities(sample_model, sample_text(entry))
        right += max(probs, key=lambda c: probs[c]) == EXPECTED[entry["file"]][1]
    assert right >= 18  # measured: 21 of 24 (docs/classification.md)


def test_held_out_macro_f1(schedule: Schedule) -> None:
    texts, labels = synthetic_set(schedule, SAMPLE_CLASSES, 5, seed=3)
    metrics = cm.evaluate(texts, labels)
    assert metrics.n_test >= len(SAMPLE_CLASSES) and metrics.macro_f1 is not None
    assert metrics.macro_f1 >= 0.9
    tiny = cm.evaluate(texts[:2] + texts[5:6], labels[:2] + labels[5:6])
    assert tiny.macro_f1 is None and tiny.note
    with pytest.raises(ConfigError, match="at least 2 classes"):
        cm.train(texts[:3], labels[:3], "x", 1)


def test_model_explanations_are_telling_ngrams(sample_model: cm.TrainedModel) -> None:
    features = cm.top_features(sample_model, REPAIR_FORM, "03030101")
    assert features and all(f["weight"] > 0 and f["snippet"] for f in features)
    names = [f["feature"] for f in features]
    assert not any(a != b and a in b for a in names for b in names)
    assert any("修" in n for n in names)


def test_combined_decision_names_model_evidence(schedule: Schedule,
                                                sample_model: cm.TrainedModel) -> None:
    d = decide(REPAIR_FORM, Context(schedule, 0.6, sample_model, 1))
    assert (d.class_code, d.method) == ("03030101", "combined")
    sources = {e["source"] for e in d.explanation["evidence"]}
    assert sources == {"rules", "model"}
    assert d.explanation["model_probability"] > 0.3 and d.explanation["model_weight"] > 0


def test_saved_model_is_checked_before_it_is_opened(tmp_path: Path,
                                                    sample_model: cm.TrainedModel) -> None:
    path = tmp_path / "m.joblib"
    digest = cm.save(sample_model, path)
    assert cm.load(path, digest).classes == sample_model.classes
    with pytest.raises(IntegrityFailure):
        cm.load(path, "0" * 64)
    sample_model.format_version = 0
    try:
        old = cm.save(sample_model, tmp_path / "old.joblib")
        with pytest.raises(ConfigError, match="old format"):
            cm.load(tmp_path / "old.joblib", old)
    finally:
        sample_model.format_version = cm.FORMAT_VERSION


def test_a_model_of_an_older_release_leaves_batches_to_the_rules(
    archive: Archive, sample_model: cm.TrainedModel, caplog: pytest.LogCaptureFixture
) -> None:
    sample_model.format_version = 0
    try:
        digest = cm.save(sample_model, archive.settings.home / "models" / "old.joblib")
    finally:
        sample_model.format_version = cm.FORMAT_VERSION
    with archive.session() as s:
        s.add(ClassifierModel(path="models/old.joblib", sha256=digest, format_version=0,
                              schedule_id="x", schedule_version=1, n_examples=1,
                              trained_by="officer"))
    with archive.session() as s, caplog.at_level(logging.WARNING):
        context = classify.load_context(s, archive.settings)
    assert context.model is None and "records classify --retrain" in caplog.text


# ── at ingest ────────────────────────────────────────────────────────────────────────


def test_ingest_classifies_inside_the_transaction(archive: Archive) -> None:
    sure = add_document(archive, GIFT_LETTER)
    unsure = add_document(archive, "主旨：會議室借用及電梯保養事宜。")
    nothing = add_document(archive, "今日天氣晴朗。", document_date=date(2020, 1, 2))
    with archive.session() as s:
        docs = {i: lifecycle.get_document(s, i) for i in (sure, unsure, nothing)}
        rows = {i: latest_decision(s, i) for i in docs}
        events = s.scalars(select(LifecycleEvent).order_by(LifecycleEvent.id)).all()
    assert all(row is not None for row in rows.values())
    assert [(d.status, d.class_code) for d in docs.values()] == [
        ("classified", "010301"), ("needs_review", docs[unsure].class_code),
        ("needs_review", None)]
    assert docs[unsure].class_code in ("0306", "040202")
    assert docs[sure].document_date == date(2024, 5, 20)  # read from 發文日期
    assert docs[nothing].document_date == date(2020, 1, 2)  # the manifest's date wins
    assert all(e.actor == CLASSIFIER.name for e in events) and len(events) == 3
    for row in rows.values():
        assert row is not None and 0 <= row.confidence <= 1
        assert row.outcome in ("classified", "needs_review")
        assert row.explanation["threshold"] == 0.6


def test_review_threshold_is_a_setting(archive: Archive) -> None:
    archive.settings.review_threshold = 0.99
    doc_id = add_document(archive, GIFT_LETTER)
    with archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and (doc.status, doc.class_code) == ("needs_review", "010301")


def test_a_destroyed_documents_explanation_forgets_the_text(archive: Archive) -> None:
    doc_id = add_document(archive, GIFT_LETTER)
    everyone = Actor("tester", frozenset(Perm), clearance="confidential")
    with archive.session() as s:
        doc = lifecycle.get_document(s, doc_id)
        for target in (State.archived, State.queued_for_disposal, State.approved,
                       State.disposed):
            lifecycle.transition(s, everyone, doc, target, "test")
    with archive.session() as s:
        row = s.scalars(select(Classification).where(Classification.document_id == doc_id)).one()
        assert row.explanation == {"redacted": "the document was destroyed"}


def test_migration_0004_creates_what_the_models_declare(archive: Archive) -> None:
    with archive.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


# ── the sample batch ─────────────────────────────────────────────────────────────────


def test_every_sample_document_has_class_confidence_and_explanation(
        sample_archive: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    with sample_archive.session() as s:
        docs = s.scalars(select(Document).order_by(Document.id)).all()
        rows = {d.original_name: (d, latest_decision(s, d.id)) for d in docs
                if not d.original_name.startswith("electronic/")}  # DI packages: test_di.py
    assert len(rows) == len(EXPECTED)
    right = review = filed_right = 0
    for entry in GROUND_TRUTH:
        doc, row = next(v for k, v in rows.items() if entry["file"].endswith(k))
        kind, code = EXPECTED[entry["file"]]
        assert entry["kind"] == kind
        assert row is not None and row.class_code and 0 < row.confidence <= 1
        assert row.explanation["evidence"] and all(e.get("snippet") is not None
                                                   for e in row.explanation["evidence"])
        assert doc.status == row.outcome and doc.document_date is not None
        right += row.class_code == code
        review += doc.status == "needs_review"
        filed_right += doc.status == "classified" and row.class_code == code
    n, filed = len(EXPECTED), len(EXPECTED) - review
    with capsys.disabled():
        print(f"\nsample batch: {right}/{n} right, {review}/{n} sent to review, "
              f"{filed_right}/{filed} right among those classified without review")
    # measured: 20/24 right, 8/24 to review, 16/16 right without review
    assert right >= 18 and review <= 11 and filed_right >= filed - 1


def test_warm_up_leaves_the_schedules_descriptions_ready(settings: Settings) -> None:
    """A batch's first classification finds the description vectors already made."""
    cm._DESCRIPTIONS.clear()
    classify.warm_up(settings).join(timeout=120)
    schedule = schedule_of(settings.rules_dir)
    ready = cm._DESCRIPTIONS.get(id(schedule))
    assert ready is not None and ready[0] is schedule
    assert set(ready[1].codes) == {c.code for c in schedule.leaf_classes()}
