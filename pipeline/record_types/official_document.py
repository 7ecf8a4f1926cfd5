"""Official document (公文): letters 函, memos 簽 and announcements 公告 — the general type.

It is the fallback: chosen only when no specific type (gift register, repair ticket...)
recognises the document, so a letter *about* a gift stays a letter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

import regex
from pydantic import BaseModel, ConfigDict, Field

from pipeline import secrecy
from pipeline.docheader import SUBJECT_LABEL
from pipeline.record_types.base import PageText, RecordType, full_text, reading_text
from pipeline.record_types.parsing import (
    evidence,
    first_date,
    labelled,
    letter_header_count,
    lines,
    strip_noise,
    tidy,
)

#: the agency whose records these are; a memo (簽) is internal, so it is issued here
HOME_AGENCY = "臺南市政府"
URGENCIES = ("最速件", "速件", "普通件")
LEVELS = ("絕對機密", "極機密", "機密", "密", "普通")
CLASSIFIED = frozenset(LEVELS[:-1])
_DOC_NUMBER = r"[\u4e00-\u9fff]{1,8}字第\s*\d{5,12}\s*號"
_TITLE = re.compile(r"^(?P<agency>\S{2,24}?)\s*(?P<form>函|書函|公告|開會通知單)$")
_MEMO = re.compile(r"^\S{0,2}\s*於\s*(?P<unit>\S{2,24}?(?:處|科|室|局|所|課|組|中心))$")
#: a line that starts the subject paragraph (主旨), value in ``v``; OCR noise before it
SUBJECT_START = regex.compile(rf"^{SUBJECT_LABEL}\s*[:：]?\s*(?P<v>.*)$")
_BOUNDARY = re.compile(
    r"^(?:說\s*明|擬\s*辦|依\s*據|公告事項|正本|副本|[一二三四五六七八九十]、|、)"
)
_ASK = re.compile(
    r"[,，、]?\s*(?:請\s*(?:查照|鑒核|核示|照辦|查收|備查|查照辦理)?|簽請核示|敬請\S{0,4})[。.°]?$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HEADER_LINE = regex.compile(r"^\W{0,2}(?:受文者|發文日期|發文字號|速別|(?:密等及解密){e<=1}|附件)")
#: a line whose label OCR turned into debris: at most one Chinese character before the colon
_GARBLED_LABEL = re.compile(r"^(?P<pre>[^:：]{0,12}?)[:：](?P<v>.+)$")


class OfficialDocumentFields(BaseModel):
    """Header fields of a 公文 (文書處理手冊)."""

    model_config = ConfigDict(extra="forbid")

    doc_number: str | None = Field(None, title="文號", description="發文字號 (府秘檔字第…號)")
    doc_date: date | None = Field(None, title="發文日期", description="date of issue")
    issuing_agency: str | None = Field(None, title="發文機關", description="issuing agency")
    recipient: str | None = Field(None, title="受文者", description="addressee")
    subject: str | None = Field(None, title="主旨", description="subject, without 請查照")
    urgency: str | None = Field(None, title="速別", description="最速件, 速件 or 普通件")
    classification: str | None = Field(
        None, title="密等", description="普通, 密, 機密, 極機密 or 絕對機密"
    )
    doc_kind: str | None = Field(None, title="文別", description="函, 書函, 簽, 公告... (DI tags)")
    declassify: str | None = Field(
        None, title="解密條件或保密期限", description="declassification condition (DI tags)"
    )
    file_number: str | None = Field(None, title="檔號", description="printed 檔號 (DI tags)")
    retention: str | None = Field(None, title="保存年限", description="printed 保存年限 (DI tags)")


class OfficialDocument(RecordType):
    name: ClassVar[str] = "official_document"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "公文", "en": "Official document"}
    Fields: ClassVar[type[BaseModel]] = OfficialDocumentFields
    proposed_class: ClassVar[str | None] = None  # any class: the classifier decides
    confidentiality: ClassVar[str] = "internal"
    fallback: ClassVar[bool] = True
    date_field: ClassVar[str | None] = "doc_date"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"主\s*旨\s*[:：]", 0.25),
        (r"^\S{0,2}\s*於\s*\S{2,24}?(?:處|科|室)$", 0.35),  # 簽 於秘書處總務科
        (r"^\S{0,24}\s*(?:函|公告|書函)$", 0.3),
        (r"公告事項|^說\s*明\s*[:：]|^擬\s*辦\s*[:：]?$|敬陳", 0.15),
        (_DOC_NUMBER, 0.15),
        (r"依分層負責規定|決行", 0.1),
    )

    def recognise(self, text: str) -> float:
        header = min(letter_header_count(text), 4) * 0.12
        return min(1.0, evidence(text, self.RULES) + header)

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        first = lines(reading_text(pages[0]) if pages else "")
        number = doc_number(text)
        return {
            "doc_number": number,
            "doc_date": doc_date(text, first),
            "issuing_agency": issuing_agency(first, number),
            "recipient": _value(labelled(text, "受文者")),
            "subject": subject(text, first),
            "urgency": urgency(text, first),
            "classification": classification(text),
        }

    def confidentiality_for(self, fields: Mapping[str, Any]) -> str:
        # each 密等 to its own level (國家機密保護法 Art. 4; 密 is 一般公務機密)
        level = fields.get("classification")
        return secrecy.parse_level(level) if level in CLASSIFIED else "internal"


def _value(text: str | None) -> str | None:
    return tidy(text) if text else None


def doc_number(text: str) -> str | None:
    """The 發文字號; without its label, the first number in the document's header."""
    for source in (labelled(text, "發文字號"), _header(text)):
        if source and (m := regex.search(_DOC_NUMBER, source)):
            return re.sub(r"\s+", "", m.group(0))
    return None


def _header(text: str) -> str:
    """The text before the subject: a number quoted in 說明 belongs to another document."""
    m = regex.search(r"主\s*旨|^\s*[:：]", text, regex.MULTILINE)
    return text[: m.start()] if m else text


def doc_date(text: str, first: list[str]) -> date | None:
    """發文日期, or the date under a memo's heading (簽 ... 113年6月3日)."""
    if (value := labelled(text, "發文日期")) and (d := first_date(value)):
        return d
    if _memo_unit(first):
        return first_date("\n".join(first[:3]))
    return None


def _memo_unit(first: list[str]) -> str | None:
    for line in first[:2]:
        if m := _MEMO.match(line):
            return m["unit"]
    return None


def issuing_agency(first: list[str], number: str | None) -> str | None:
    """From the title line (臺南市政府 函), a memo's unit, or the 府 of the number."""
    for line in first[:5]:
        if m := _TITLE.match(line.replace(" ", "")):
            return m["agency"]
    if unit := _memo_unit(first):
        return unit if unit.startswith(HOME_AGENCY) else HOME_AGENCY + unit
    if number and number.startswith("府"):  # 府X字: issued by the city government (府)
        return HOME_AGENCY
    return None


def subject(text: str, first: list[str]) -> str | None:
    """The 主旨 paragraph, joined over its wrapped lines, without the closing request."""
    all_lines = lines(text)
    start = _subject_start(all_lines)
    if start is None:
        return None
    index, head = start
    parts = [head]
    for line in all_lines[index + 1 :]:
        if re.search(r"[。]$", parts[-1]):
            break
        if len(line.replace(" ", "")) <= 3 and not _BOUNDARY.match(line):
            continue  # seal or rule fragments OCR'd between the wrapped lines
        if not _continues(line):
            break
        parts.append(line)
    body = _ASK.sub("", "".join(parts).rstrip("。. "))
    if any(_TITLE.match(ln.replace(" ", "")) and ln.endswith("公告") for ln in first[:3]):
        body = body.removeprefix("公告")
    return tidy(body) if len(body) >= 4 else None


def _subject_start(all_lines: list[str]) -> tuple[int, str] | None:
    for i, line in enumerate(all_lines):
        if labelled_subject := SUBJECT_START.match(line):
            return i, labelled_subject["v"]
    # OCR garbled or lost the label but kept its colon: the first such line after the
    # header (受文者 ... 附件), so that a garbled 地址 line is not taken for the subject
    after = max((i + 1 for i, ln in enumerate(all_lines[:30]) if _HEADER_LINE.match(ln)),
                default=0)
    for i, line in enumerate(all_lines[after:], after):
        m = _GARBLED_LABEL.match(line)
        if m and len(_CJK.findall(m["pre"])) <= 1 and len(_CJK.findall(m["v"])) >= 8:
            return i, strip_noise(m["v"])
    return None


def _continues(line: str) -> bool:
    """A wrapped line of the subject: mostly Chinese, not a new labelled paragraph."""
    if _BOUNDARY.match(line) or re.match(r"^\S{1,8}[:：]", line):
        return False
    return len(_CJK.findall(line)) >= 0.6 * len(line.replace(" ", ""))


def urgency(text: str, first: list[str]) -> str | None:
    """速別; OCR often puts the value on a line of its own, away from the label."""
    candidates = [labelled(text, "速別") or "", *(strip_noise(ln) for ln in first)]
    for value in candidates:
        for level in URGENCIES:
            if value == level or (value.startswith(level) and candidates[0] == value):
                return level
    return None


def classification(text: str) -> str | None:
    """密等 (the first word of 密等及解密條件或保密期限)."""
    value = labelled(text, "密等及解密條件或保密期限", "等及解密條件或保密期限", "密等", colon=True)
    if not value:
        return None
    value = value.replace(" ", "")
    return next((level for level in LEVELS if value.startswith(level)), None)
