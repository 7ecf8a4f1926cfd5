from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.retention.matching import EvidenceKind, RuleMatch, match_document
from pipeline.retention.schedule import Schedule, load_schedule
from pipeline.settings import REPO_RULES_DIR

GIFT_LETTER = """臺南市政府　函
發文日期：中華民國113年5月20日
發文字號：府秘機字第1130654321號
主旨：檢送本府秘書處113年第1季受贈財物登記表乙份，請查照。
說明：一、依公務員廉政倫理規範規定辦理。
二、本處同仁於113年3月間受贈禮品（茶葉禮盒乙份，市價約新臺幣800元），已依規定簽報並登記。"""

REPAIR_FORM = """臺南市政府秘書處　線上報修單
報修單位：民政局　　報修人：王小明　　分機：1234
報修項目：冷氣故障不冷
報修地點：永華市政中心５樓東側辦公室
處理情形：已派員修繕完成"""

PROCUREMENT_AUDIT = """主旨：檢送本府113年度第2次採購稽核小組稽核報告，請查照。
說明：一、本府採購稽核小組於113年6月3日至本處辦理採購稽核，稽核結果計有缺失3項。
二、請依稽核委員意見於30日內改善並回復。"""

ENGLISH_LETTER = """Dear Mayor Huang,
On behalf of the City of Columbus, thank you for receiving our delegation last month.
We look forward to a formal sister city agreement with the Tainan City Government."""


SECRETARIAT = load_schedule(REPO_RULES_DIR / "secretariat-v1.yaml")


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    return SECRETARIAT


def best(matches: list[RuleMatch], schedule: Schedule) -> str:
    assert matches, "nothing matched"
    return schedule.get(matches[0].code).title.zh_tw


def kinds(match: RuleMatch) -> set[EvidenceKind]:
    return {e.kind for e in match.evidence if e.count}


def test_gift_letter(schedule: Schedule) -> None:
    matches = match_document(GIFT_LETTER, schedule)
    assert best(matches, schedule) == "受贈財物及餽贈登記"
    top = matches[0]
    assert {EvidenceKind.keyword, EvidenceKind.regex, EvidenceKind.doc_number} <= kinds(top)
    gift = next(e for e in top.evidence if e.rule == "受贈")
    assert gift.matched == ("受贈",) and gift.count == 2
    assert "受贈財物登記表" in gift.snippet
    assert gift.start is not None and GIFT_LETTER[gift.start : gift.start + 2] == "受贈"
    assert top.confidence > 0.5


def test_repair_form_with_full_width_digits(schedule: Schedule) -> None:
    matches = match_document(REPAIR_FORM, schedule)
    assert best(matches, schedule) == "線上報修及一般修繕"
    regex_hit = next(e for e in matches[0].evidence if e.kind is EvidenceKind.regex)
    assert set(regex_hit.matched) >= {"報修單位：", "報修項目："}
    assert matches[0].confidence > 0.8


def test_procurement_audit_with_sender(schedule: Schedule) -> None:
    matches = match_document(PROCUREMENT_AUDIT, schedule, sender="行政院公共工程委員會")
    assert best(matches, schedule) == "採購稽核及查核報告"
    sender = next(e for e in matches[0].evidence if e.kind is EvidenceKind.sender)
    assert sender.rule == "行政院公共工程委員會" and sender.start is None
    assert matches[0].score > 2 * matches[1].score


def test_english_correspondence_goes_to_international_exchange(schedule: Schedule) -> None:
    codes = [m.code for m in match_document(ENGLISH_LETTER, schedule)[:2]]
    titles = {schedule.get(c).title.zh_tw for c in codes}
    assert titles == {"外賓接待及國際交流往來函件", "締結姊妹市及國際合作協定"}


def test_doc_number_argument_is_used_instead_of_the_text(schedule: Schedule) -> None:
    text = "主旨：本處113年度檔案銷毀目錄，請同意銷毀。"
    plain = match_document(text, schedule)
    numbered = match_document(text, schedule, doc_number="府秘檔字第1130001234號")
    assert best(numbered, schedule) == best(plain, schedule) == "檔案銷毀"
    evidence = next(e for e in numbered[0].evidence if e.kind is EvidenceKind.doc_number)
    assert evidence.start is None and evidence.matched == ("府秘檔字第1130001234號",)
    assert numbered[0].score > plain[0].score


def test_ocr_spaces_and_variant_characters(schedule: Schedule) -> None:
    matches = match_document("台南市政府秘書處 線 上 報 修 單", schedule)
    assert best(matches, schedule) == "線上報修及一般修繕"


def test_unrelated_text_matches_nothing(schedule: Schedule) -> None:
    assert match_document("The quick brown fox jumps over the lazy dog.", schedule) == []


def test_english_keywords_match_whole_words_only(schedule: Schedule) -> None:
    assert match_document("drilling equipment", schedule) == []
    assert any(
        e.rule == "drill" for m in match_document("fire drill", schedule) for e in m.evidence
    )


def test_ranking_is_by_score_then_code(schedule: Schedule) -> None:
    matches = match_document(GIFT_LETTER + REPAIR_FORM + PROCUREMENT_AUDIT, schedule)
    assert [(-m.score, m.code) for m in matches] == sorted((-m.score, m.code) for m in matches)
    assert all(0 <= m.confidence <= 1 for m in matches)


RULES_WITH_BAD_REGEX = """\
schema_version: 1
schedule_id: redos
version: 1
agency: {zh-TW: 測試機關, en: Test agency}
effective_date: 2025-01-01
approved_by: 測試
divisions:
  archives: {zh-TW: 檔案科, en: Archives}
classes:
  - code: "06"
    level: 類
    title: {zh-TW: 檔案管理, en: Archives}
  - code: "0601"
    level: 綱
    parent: "06"
    title: {zh-TW: 災難性, en: Catastrophic}
    division: archives
    retention: 1
    trigger: latest_document
    disposition: destroy
    confidentiality: public
    legal_basis: 測試
    match:
      regex: ['(a+)+$', '(a|aa)+$']
  - code: "0602"
    level: 綱
    parent: "06"
    title: {zh-TW: 正常, en: Normal}
    division: archives
    retention: 1
    trigger: latest_document
    disposition: destroy
    confidentiality: public
    legal_basis: 測試
    match:
      keywords: [aaa]
      doc_number_patterns: ['(x|xx)+$']
"""


def test_catastrophic_regex_times_out_safely(tmp_path: Path) -> None:
    path = tmp_path / "redos.yaml"
    path.write_text(RULES_WITH_BAD_REGEX, encoding="utf-8")
    schedule = load_schedule(path)
    started = time.monotonic()
    matches = match_document(
        "a" * 50 + "b aaa b", schedule, doc_number="x" * 60 + "y", regex_timeout=0.2
    )
    assert time.monotonic() - started < 3
    by_code = {m.code: m for m in matches}
    catastrophic = by_code["0601"]
    assert catastrophic.score == 0 and catastrophic.confidence == 0
    assert any("timed out" in w for w in catastrophic.warnings)
    normal = by_code["0602"]
    assert normal.score > 0 and any("timed out" in w for w in normal.warnings)
    assert matches[0].code == "0602"


@given(st.text(max_size=300))
def test_matching_never_fails_and_offsets_point_into_the_text(text: str) -> None:
    for match in match_document(text, SECRETARIAT):
        assert 0 <= match.confidence <= 1
        assert match.score > 0 or match.warnings
        for e in match.evidence:
            if e.start is not None:
                assert 0 <= e.start < len(text)
                assert any(text.startswith(m, e.start) for m in e.matched)
