"""The review queue: list, accept, correct (records officers only), corrections becoming
training data, and ``records classify`` (--retrain) learning from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pipeline.archive import Archive
from pipeline.db.models import AuditEntry, Classification, Document, TrainingExample
from tests.classify_support import (
    DRILL_MEMO,
    GIFT_LETTER,
    REPAIR_FORM,
    add_document,
    cl_archive,
    make_officers,
    phone_text,
)
from tests.lifecycle_support import cli, config_home, fast_hashing, login

__all__ = ["cl_archive", "config_home", "fast_hashing"]

UNSURE = "主旨：會議室借用及電梯保養事宜，請查照。"


def _json(*args: str) -> dict[str, Any]:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _doc(archive: Archive, doc_id: int) -> Document:
    with archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        return doc


def _examples(archive: Archive) -> list[tuple[int | None, str, str]]:
    with archive.session() as s:
        rows = s.scalars(select(TrainingExample).order_by(TrainingExample.id)).all()
        return [(r.document_id, r.class_code, r.source) for r in rows]


def test_low_confidence_goes_to_review_and_is_listed(cl_archive: Archive) -> None:
    unsure = add_document(cl_archive, UNSURE, title="會議室與電梯")
    add_document(cl_archive, GIFT_LETTER)  # sure: not in the queue
    make_officers(cl_archive)
    login("lin")
    items = _json("review", "list")["items"]
    assert [i["id"] for i in items] == [unsure]
    item = items[0]
    assert item["title"] == "會議室與電梯" and item["class_code"] in ("0306", "040202")
    assert 0 < item["confidence"] < 0.6 and item["method"] == "rules"
    assert item["explanation"]["evidence"] and item["explanation"]["alternatives"]
    table = cli("review", "list")
    assert table.exit_code == 0 and "會議室與電梯" in table.stdout


def test_accept_and_correct_classify_and_record_training_examples(cl_archive: Archive) -> None:
    first = add_document(cl_archive, UNSURE)
    second = add_document(cl_archive, UNSURE + "（第二案）")
    make_officers(cl_archive)
    login("lin")
    proposed = _doc(cl_archive, first).class_code
    assert cli("review", "accept", str(first)).exit_code == 0
    assert cli("review", "correct", str(second), "--class", "040202",
               "--reason", "電梯保養合約").exit_code == 0
    a, b = _doc(cl_archive, first), _doc(cl_archive, second)
    assert (a.status, a.class_code) == ("classified", proposed)
    assert (b.status, b.class_code) == ("classified", "040202")
    assert _examples(cl_archive) == [(first, proposed, "accept"), (second, "040202", "correct")]
    with cl_archive.session() as s:
        last = s.scalars(select(Classification).where(Classification.document_id == second)
                         .order_by(Classification.id.desc())).first()
        actions = [e.action for e in s.scalars(select(AuditEntry))]
    assert last is not None and (last.method, last.decided_by, last.confidence) == (
        "review", "lin", 1.0)
    assert last.explanation["proposed"]["method"] == "rules"
    assert {"classification.accept", "classification.correct"} <= set(actions)
    assert _json("review", "list")["items"] == []


def test_review_is_for_records_officers(cl_archive: Archive) -> None:
    doc = add_document(cl_archive, UNSURE)
    assert cli("review", "list").exit_code == 8  # the demo visitor may not
    make_officers(cl_archive)
    assert cli("review", "accept", str(doc)).exit_code == 8  # nobody logged in
    login("clerk")
    assert cli("review", "list").exit_code == 8
    assert cli("review", "correct", str(doc), "--class", "040202").exit_code == 8
    login("lin")
    assert cli("review", "correct", str(doc), "--class", "0402").exit_code == 5  # a heading
    assert cli("review", "correct", str(doc), "--class", "999999").exit_code == 5
    assert cli("review", "accept", "9999").exit_code == 9
    assert _doc(cl_archive, doc).status == "needs_review" and _examples(cl_archive) == []


def test_clearance_hides_confidential_documents_from_the_queue(cl_archive: Archive) -> None:
    secret = add_document(cl_archive, "密\n主旨：陳情人陳情事項及電梯保養，列為密件。")
    make_officers(cl_archive)
    assert _doc(cl_archive, secret).confidentiality == "confidential"
    login("wu")  # an officer cleared for internal documents only
    data = _json("review", "list")
    assert data["items"] == [] and data["hidden"] == 1
    assert cli("review", "accept", str(secret)).exit_code == 9


def test_filed_documents_keep_their_class(cl_archive: Archive) -> None:
    doc = add_document(cl_archive, GIFT_LETTER)
    make_officers(cl_archive)
    login("lin")
    assert cli("lifecycle", "file", str(doc)).exit_code == 0
    assert cli("review", "correct", str(doc), "--class", "040202").exit_code == 7
    assert _doc(cl_archive, doc).class_code == "010301"


def test_retrain_learns_from_corrections(cl_archive: Archive) -> None:
    """Phone-line letters match no rule; after an officer files a few of them under
    030302, the retrained model classifies the next one."""
    phones = [add_document(cl_archive, phone_text(i)) for i in range(6)]
    others = [add_document(cl_archive, t) for t in (
        REPAIR_FORM, REPAIR_FORM + "\n備註：第二張", DRILL_MEMO, DRILL_MEMO + "\n附件：演練計畫")]
    assert {(_doc(cl_archive, d).status, _doc(cl_archive, d).class_code) for d in phones} == {
        ("needs_review", None)}
    make_officers(cl_archive)
    login("lin")
    assert cli("classify", "--retrain").exit_code == 5  # nothing confirmed yet
    for d in phones:
        assert cli("review", "correct", str(d), "--class", "030302").exit_code == 0
    for d in others:
        assert cli("review", "accept", str(d)).exit_code == 0
    new = add_document(cl_archive, phone_text(7))
    assert _doc(cl_archive, new).status == "needs_review"  # no model yet

    run = _json("classify", "--retrain")
    retrained = run["retrained"]
    assert retrained["examples"] == 10
    assert retrained["sources"] == {"review": 10} and retrained["n_test"] == 3
    assert retrained["macro_f1"] == 1.0
    decisions = run["decisions"]
    assert [d["document"] for d in decisions] == [new]
    assert decisions[0]["class_code"] == "030302" and decisions[0]["method"] == "model"
    assert decisions[0]["status"] == "classified"
    assert any(e["source"] == "model" for e in decisions[0]["explanation"]["evidence"])
    models = list((cl_archive.settings.home / "models").glob("classifier-*.joblib"))
    assert len(models) == 1

    # ingest uses the saved model from now on: it proposes the corrected class (whether
    # it files by itself depends on the confidence; ten examples are too few to calibrate)
    later = add_document(cl_archive, phone_text(9))
    assert _doc(cl_archive, later).class_code == "030302"


def test_classify_again_leaves_confirmed_classes_alone(cl_archive: Archive) -> None:
    auto = add_document(cl_archive, GIFT_LETTER)
    unsure = add_document(cl_archive, UNSURE)
    confirmed = add_document(cl_archive, REPAIR_FORM)
    make_officers(cl_archive)
    login("lin")
    assert cli("review", "correct", str(confirmed), "--class", "030302").exit_code == 0
    run = _json("classify")
    assert [d["document"] for d in run["decisions"]] == [unsure]
    everything = _json("classify", "--all")
    assert [d["document"] for d in everything["decisions"]] == [auto, unsure]
    assert everything["skipped"] == [{"document": confirmed, "reason":
                                      "class confirmed by lin; change it with records review "
                                      "correct"}]
    assert _doc(cl_archive, confirmed).class_code == "030302"
    named = _json("classify", str(auto))
    assert [d["document"] for d in named["decisions"]] == [auto]
    login("clerk")
    assert cli("classify").exit_code == 8


def test_retrain_without_enough_classes_changes_nothing(cl_archive: Archive,
                                                        tmp_path: Path) -> None:
    doc = add_document(cl_archive, UNSURE)
    make_officers(cl_archive)
    login("lin")
    assert cli("review", "accept", str(doc)).exit_code == 0
    result = cli("classify", "--retrain")
    assert result.exit_code == 5 and "at least 2 classes" in result.output
    assert not (cl_archive.settings.home / "models").exists()
