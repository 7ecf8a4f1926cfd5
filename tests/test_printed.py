"""Printed header values (檔號, 保存年限, 密等, 解密條件): read, stored, shown, and obeyed.

A letter printed 30年 whose text reads like a 5-year class goes to review with the reason
in words and cannot be filed below 30 years, neither by the classifier nor by an officer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.archive import Archive
from pipeline.classify import Context, decide, schedule_of
from pipeline.db.models import Document
from pipeline.docheader import read_printed
from pipeline.retention.printed import constraints
from pipeline.retention.schedule import Schedule
from pipeline.settings import REPO_RULES_DIR
from tests.classify_support import (
    GIFT_LETTER,
    GROUND_TRUTH,
    add_document,
    cl_archive,
    make_officers,
    sample_text,
)
from tests.lifecycle_support import cli, config_home, fast_hashing, login

__all__ = ["cl_archive", "config_home", "fast_hashing"]

#: a classified letter about the mayor's ceremony: the text reads 慶典 (010501, 5 years),
#: the drafter filed it 010101 機密文書 for 30 years
CEREMONY = next(sample_text(e) for e in GROUND_TRUTH if e["file"].endswith("scan-0023.png"))
#: the same letter printed 30 years but without a class code: any class of 30 years or more
CEREMONY_NO_CODE = CEREMONY.replace("檔號：113/010101/5\n", "")


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    return schedule_of(REPO_RULES_DIR)


def _json(*args: str) -> dict[str, Any]:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_printed_values_are_read_from_the_header() -> None:
    p = read_printed(CEREMONY)
    assert p.to_dict() == {"file_number": "113/010101/5", "retention": 30,
                           "confidentiality": "密", "declassify": "本件於113年10月11日後解密"}
    assert p.class_code == "010101"


def test_ocr_spacing_full_width_and_permanent_are_read() -> None:
    p = read_printed("檔 號：１１３／０６０４０１／１／２\n保存年限：永久\n"
                     "密等及解密條件或保密期限：普通")
    assert p.to_dict() == {"file_number": "113/060401/1/2", "retention": "permanent",
                           "confidentiality": "普通", "declassify": None}


def test_ocr_may_drop_the_colon_of_the_retention_label() -> None:
    assert read_printed("檔號:109/050302/2\n保存年限10年\n").retention == 10


def test_a_retention_mentioned_in_a_sentence_is_not_a_printed_value() -> None:
    assert read_printed("備註：本單列印後併案歸檔，保存年限3年。").retention is None
    assert read_printed("說明：依檔號編列。").file_number is None


def test_shorter_retention_and_another_class_code_are_refused_in_words(
        schedule: Schedule) -> None:
    limits = constraints(schedule, read_printed(CEREMONY).to_dict())
    shorter = limits.why_not(schedule, "010501")
    assert shorter is not None and "30年" in shorter and "5年" in shorter
    other = limits.why_not(schedule, "010102")  # permanent, but not the printed class
    assert other is not None and "010101" in other
    assert limits.allowed(schedule, "010101")


def test_a_printed_code_of_an_older_schedule_is_reported_not_used(schedule: Schedule) -> None:
    # 030201 keeps files 3 years; the letter is printed 15: the code predates this schedule
    limits = constraints(schedule, {"file_number": "110/030201/7", "retention": 15})
    assert limits.code_in_force is None and "舊版" in limits.notes[0]
    assert limits.allowed(schedule, "040201")  # 15 years: the class the text names
    assert not limits.allowed(schedule, "030201")
    unknown = constraints(schedule, {"file_number": "112/020105/3", "retention": 10})
    assert unknown.code_in_force is None and "不在現行" in unknown.notes[0]


def test_a_30_year_letter_reading_like_a_5_year_class_goes_to_review(
        schedule: Schedule) -> None:
    d = decide(CEREMONY_NO_CODE, Context(schedule, 0.6))
    assert d.class_code is not None
    assert schedule.retention_of(d.class_code) in (30, "permanent")
    assert d.needs_review(0.6) and d.review_reason is not None
    assert "30年" in d.review_reason and "010501" in d.review_reason
    alternatives = d.explanation["alternatives"]
    assert any("not_allowed" in a for a in alternatives)


def test_the_printed_class_is_proposed_and_the_ceremony_class_refused(
        cl_archive: Archive) -> None:
    doc_id = add_document(cl_archive, CEREMONY)
    make_officers(cl_archive)
    with cl_archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        assert (doc.status, doc.class_code) == ("needs_review", "010101")
    login("lin")
    shown = _json("show", str(doc_id))["printed"]
    assert shown == {"file_number": "113/010101/5", "retention": 30, "confidentiality": "密",
                     "declassify": "本件於113年10月11日後解密"}
    item = next(i for i in _json("review", "list")["items"] if i["id"] == doc_id)
    assert item["printed"] == shown and "010501" in item["reason"]
    table = cli("review", "list")
    assert "113/010101/5" in table.stdout
    refused = cli("review", "correct", str(doc_id), "--class", "010501")
    assert refused.exit_code == 7 and "30年" in refused.output
    assert cli("review", "accept", str(doc_id)).exit_code == 0
    with cl_archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and (doc.status, doc.class_code) == ("classified", "010101")


def test_a_letter_without_printed_values_shows_them_empty(cl_archive: Archive) -> None:
    doc_id = add_document(cl_archive, GIFT_LETTER)
    make_officers(cl_archive)
    login("lin")
    assert _json("show", str(doc_id))["printed"] == {
        "file_number": None, "retention": None, "confidentiality": "普通", "declassify": None}
